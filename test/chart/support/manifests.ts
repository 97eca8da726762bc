/**
 * The slice of the Kubernetes object model the chart tests read, and helpers to
 * walk rendered manifests. Parsed YAML is cast to these shapes; the tests assert
 * on the fields, so a missing one fails an expectation rather than type-checking.
 */

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  labels?: Labels;
  annotations?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface Probe {
  httpGet?: { path: string; port: string | number; scheme?: 'HTTP' | 'HTTPS' };
  tcpSocket?: { port: string | number };
  exec?: { command: string[] };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext & { fsGroup?: number };
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  volumes?: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string; path: string }> } }>;
}

export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Labels };
    template: { metadata: ObjectMeta; spec: PodSpec };
  };
}

/** Every object of one kind. */
export function ofKind<T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** The object of a kind and name; throws when the render has none. */
export function named<T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in the rendered chart`);
  return found as T;
}

/** The Deployment of a chart component (app.kubernetes.io/component label). */
export function workloadOf(objects: readonly K8sObject[], component: string): Workload {
  const found = ofKind<Workload>(objects, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === component);
  if (!found) throw new Error(`no Deployment for component ${component}`);
  return found;
}

/** A label selector (matchLabels) selects `labels` when every pair is present. */
export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Deployments whose pod template labels the selector selects. */
export function podsSelectedBy(objects: readonly K8sObject[], selector: Labels | undefined): Workload[] {
  return ofKind<Workload>(objects, 'Deployment').filter((d) => selects(selector, d.spec.template.metadata.labels));
}

/** A Secret's value as text (undefined when the key is absent). */
export function decodeSecret(secret: K8sObject, key: string): string | undefined {
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

/** Stand-ins for values only the cluster knows (downward API, Secrets created outside the chart). */
export interface EnvPlaceholders {
  field(fieldPath: string): string;
  externalSecret(envName: string, secretName: string, key: string): string;
}

export const DEFAULT_PLACEHOLDERS: EnvPlaceholders = {
  field: (fieldPath) => (fieldPath === 'status.podIP' ? '10.20.1.7' : 'pod-7d9f8c-x2x4z'),
  externalSecret: (envName, _secretName, key) => (envName === 'REDIS_URL' ? 'redis://redis.example:6379' : `external-${key}`),
};

export interface ContainerEnvironment {
  /** The environment the process sees (ConfigMaps, Secrets, fields, `$(VAR)` expanded). */
  readonly values: Record<string, string>;
  /** Variables defined only for `$(VAR)` expansion by another variable of the container. */
  readonly expansionHelpers: ReadonlySet<string>;
}

/**
 * Resolves what a container's process gets as environment: envFrom ConfigMaps of
 * the render, then `env` (which wins), Secrets decoded when the chart renders
 * them, placeholders otherwise, and Kubernetes' `$(VAR)` expansion.
 */
export function containerEnvironment(container: Container, objects: readonly K8sObject[], placeholders = DEFAULT_PLACEHOLDERS): ContainerEnvironment {
  const values: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) throw new Error(`${container.name}: only configMapRef envFrom is expected`);
    Object.assign(values, named(objects, 'ConfigMap', source.configMapRef.name).data ?? {});
  }
  const referenced = new Set<string>();
  for (const env of container.env ?? []) {
    values[env.name] = resolveEnvVar(env, values, referenced, objects, placeholders);
  }
  const fromFields = (container.env ?? []).filter((e) => e.valueFrom?.fieldRef).map((e) => e.name);
  return { values, expansionHelpers: new Set(fromFields.filter((name) => referenced.has(name))) };
}

function resolveEnvVar(env: EnvVar, earlier: Record<string, string>, referenced: Set<string>, objects: readonly K8sObject[], placeholders: EnvPlaceholders): string {
  if (env.value !== undefined) {
    return env.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => {
      referenced.add(name);
      return earlier[name] ?? whole;
    });
  }
  const from = env.valueFrom;
  if (from?.fieldRef) return placeholders.field(from.fieldRef.fieldPath);
  if (from?.secretKeyRef) {
    const { name, key } = from.secretKeyRef;
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    if (!secret) return placeholders.externalSecret(env.name, name, key);
    const value = decodeSecret(secret, key);
    if (value === undefined) throw new Error(`${env.name}: Secret ${name} has no key ${key}`);
    return value;
  }
  if (from?.configMapKeyRef) {
    const value = named(objects, 'ConfigMap', from.configMapKeyRef.name).data?.[from.configMapKeyRef.key];
    if (value === undefined) throw new Error(`${env.name}: ConfigMap ${from.configMapKeyRef.name} has no key ${from.configMapKeyRef.key}`);
    return value;
  }
  return '';
}

/** The container port a probe or Service targets (by name or number), if the container has it. */
export function findPort(container: Container, port: string | number): number | undefined {
  const match = (container.ports ?? []).find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  return match?.containerPort;
}
