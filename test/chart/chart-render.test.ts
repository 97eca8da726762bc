import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, createChartRenderer, type ChartRenderer } from './support/chart-renderer';
import { PROBE_PATHS } from './support/probes';
import { findPort, ofKind, podsSelectedBy, selects, workloadOf, type Container, type K8sObject, type PodSpec, type Workload } from './support/manifests';

// Acceptance 3 (issue 8): the chart renders (helm template, or helm-render without
// helm) with the default values and the HA example, and the manifests are sound.

const CURRENT_API_VERSIONS: Record<string, string> = {
  ConfigMap: 'v1',
  Pod: 'v1',
  Secret: 'v1',
  Service: 'v1',
  ServiceAccount: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
};
const STANDARD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/part-of', 'helm.sh/chart'];
const SWITCHYARD_COMPONENTS = ['control-plane', 'gateway', 'sim'];
const HA = 'helm/switchyard/ci/ha-values.yaml';
const DEMO = 'helm/switchyard/ci/demo-values.yaml';

const appVersion = String((parse(readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion);

let renderer: ChartRenderer;
const renders: Record<string, K8sObject[]> = {};

beforeAll(() => {
  renderer = createChartRenderer();
  renders.default = renderer.render([]);
  renders.ha = renderer.render([HA]);
  renders.demo = renderer.render([DEMO]);
}, 600_000);

afterAll(() => renderer?.cleanup());

const component = (w: Workload) => w.metadata.labels?.['app.kubernetes.io/component'] ?? '';
const containersOf = (objects: K8sObject[]) => ofKind<Workload>(objects, 'Deployment').flatMap((w) => w.spec.template.spec.containers.map((c) => ({ w, c })));
/** Deployment containers plus bare Pods (the `helm test` hook), as { pod spec, container }. */
const allContainers = (objects: K8sObject[]) => [
  ...containersOf(objects).map(({ w, c }) => ({ name: w.metadata.name, pod: w.spec.template.spec, c })),
  ...ofKind(objects, 'Pod').flatMap((p) => (p.spec as unknown as PodSpec).containers.map((c) => ({ name: p.metadata.name, pod: p.spec as unknown as PodSpec, c }))),
];

describe.each(['default', 'ha', 'demo'])('the %s render', (name) => {
  const objects = () => renders[name]!;

  it('has only current apiVersions, and every object is named and labelled', () => {
    for (const o of objects()) {
      expect(`${o.kind} ${CURRENT_API_VERSIONS[o.kind] ?? 'unexpected kind'}`).toBe(`${o.kind} ${o.apiVersion}`);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      for (const label of STANDARD_LABELS) expect([o.metadata.name, label, o.metadata.labels?.[label]]).toEqual([o.metadata.name, label, expect.any(String)]);
    }
  });

  it('has Deployment selectors that select their own pod template', () => {
    for (const w of ofKind<Workload>(objects(), 'Deployment')) {
      expect(selects(w.spec.selector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
      expect(w.spec.selector.matchLabels['app.kubernetes.io/component']).toBe(component(w));
    }
  });

  it('has Services that select exactly one Deployment and target its named ports', () => {
    for (const svc of ofKind(objects(), 'Service')) {
      const spec = svc.spec as { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> };
      const pods = podsSelectedBy(objects(), spec.selector);
      expect([svc.metadata.name, pods.length]).toEqual([svc.metadata.name, 1]);
      const containers = pods[0]!.spec.template.spec.containers;
      for (const port of spec.ports) expect(containers.some((c) => findPort(c, port.targetPort) !== undefined)).toBe(true);
    }
  });

  it('has PDBs, HPAs, ServiceMonitors and NetworkPolicies that point at real workloads and ports', () => {
    for (const pdb of ofKind(objects(), 'PodDisruptionBudget')) {
      expect(podsSelectedBy(objects(), (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toHaveLength(1);
    }
    for (const hpa of ofKind(objects(), 'HorizontalPodAutoscaler')) {
      const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      expect(ofKind(objects(), target.kind).map((o) => o.metadata.name)).toContain(target.name);
    }
    for (const sm of ofKind(objects(), 'ServiceMonitor')) {
      const spec = sm.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
      const services = ofKind(objects(), 'Service').filter((s) => selects(spec.selector.matchLabels, s.metadata.labels));
      expect(services).toHaveLength(1);
      const portNames = (services[0]!.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
      for (const endpoint of spec.endpoints) {
        expect(portNames).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
    for (const np of ofKind(objects(), 'NetworkPolicy')) {
      const spec = np.spec as { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ ports: Array<{ port: string }> }> };
      const pods = podsSelectedBy(objects(), spec.podSelector.matchLabels);
      expect(pods).toHaveLength(1);
      for (const port of spec.ingress.flatMap((rule) => rule.ports)) {
        expect(pods[0]!.spec.template.spec.containers.some((c) => findPort(c, port.port) !== undefined)).toBe(true);
      }
    }
  });

  it('probes /health (liveness) and /ready (readiness) on a real container port', () => {
    for (const { w, c } of containersOf(objects()).filter(({ w }) => SWITCHYARD_COMPONENTS.includes(component(w)))) {
      const paths = PROBE_PATHS[component(w)]!;
      expect([c.name, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path]).toEqual([c.name, paths.liveness, paths.readiness]);
      expect(findPort(c, c.livenessProbe!.httpGet!.port)).toBeDefined();
      expect(findPort(c, c.readinessProbe!.httpGet!.port)).toBeDefined();
      expect(w.spec.template.spec.automountServiceAccountToken).toBe(false);
    }
    for (const { c } of containersOf(objects())) {
      expect([c.name, Boolean(c.livenessProbe && c.readinessProbe)]).toEqual([c.name, true]);
    }
  });

  it('locks down every container: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const { pod: podSpec, c } of allContainers(objects())) {
      const pod = podSpec.securityContext ?? {};
      const sc = c.securityContext ?? {};
      expect({
        container: c.name,
        runAsNonRoot: sc.runAsNonRoot ?? pod.runAsNonRoot,
        allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
        readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
        drop: sc.capabilities?.drop,
        add: sc.capabilities?.add,
        seccomp: (sc.seccompProfile ?? pod.seccompProfile)?.type,
      }).toEqual({ container: c.name, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, drop: ['ALL'], add: undefined, seccomp: 'RuntimeDefault' });
      expect(pod.runAsUser ?? sc.runAsUser).toBeGreaterThan(0);
    }
  });

  it('sets resource requests and limits on every container', () => {
    for (const { c } of allContainers(objects())) {
      expect([c.name, c.resources?.requests?.cpu, c.resources?.requests?.memory, c.resources?.limits?.memory]).toEqual([c.name, expect.any(String), expect.any(String), expect.any(String)]);
    }
  });

  it('pins every image to a tag, never `latest`; Switchyard images default to the appVersion', () => {
    for (const { c } of allContainers(objects())) {
      const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
      expect([c.image, tag]).toEqual([c.image, expect.not.stringMatching(/^latest$/)]);
      if (c.image.startsWith('switchyard/')) expect(tag).toBe(appVersion);
    }
  });

  it('has a `helm test` hook that checks the gateway and control plane Services from inside', () => {
    const hooks = ofKind(objects(), 'Pod').filter((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks).toHaveLength(1);
    const args = (hooks[0]!.spec as unknown as PodSpec).containers[0]!.command!.join(' ');
    for (const svc of ofKind(objects(), 'Service').filter((s) => ['gateway', 'control-plane'].includes(s.metadata.labels?.['app.kubernetes.io/component'] ?? ''))) {
      expect(args).toContain(`http://${svc.metadata.name}:`);
    }
  });

  it('gives every Switchyard pod a preStop sleep and a grace period covering it plus SHUTDOWN_GRACE_MS', () => {
    for (const { w, c } of containersOf(objects()).filter(({ w }) => SWITCHYARD_COMPONENTS.includes(component(w)))) {
      const sleep = Number(c.lifecycle?.preStop?.exec?.command[1]);
      expect(c.lifecycle?.preStop?.exec?.command[0]).toBe('sleep');
      const graceMs = Number(configMapOf(objects(), c).SHUTDOWN_GRACE_MS);
      expect(graceMs).toBeGreaterThan(0);
      expect(w.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(sleep + Math.ceil(graceMs / 1000));
    }
  });

  it('lets a rolled gateway drain for minutes by default: terminationGracePeriodSeconds >= 120 (issue 19 item 5)', () => {
    const gateway = ofKind<Workload>(objects(), 'Deployment').find((d) => component(d) === 'gateway')!;
    expect(gateway.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(120);
  });

  it('rolls pods on config changes: checksum annotations on every Switchyard pod', () => {
    for (const w of ofKind<Workload>(objects(), 'Deployment').filter((d) => SWITCHYARD_COMPONENTS.includes(component(d)))) {
      const annotations = w.spec.template.metadata.annotations ?? {};
      expect([w.metadata.name, annotations['checksum/config'], annotations['checksum/secret']]).toEqual([w.metadata.name, expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    }
  });
});

function configMapOf(objects: K8sObject[], c: Container): Record<string, string> {
  const name = c.envFrom?.[0]?.configMapRef?.name;
  return objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data ?? {};
}

describe('replicas', () => {
  const hpaOf = (objects: K8sObject[]) => ofKind(objects, 'HorizontalPodAutoscaler')[0]?.spec as { minReplicas: number; maxReplicas: number } | undefined;

  it('defaults: 2 control planes, gateways owned by an HPA from 2, bundled Redis, no sims', () => {
    const objects = renders.default!;
    expect(workloadOf(objects, 'control-plane').spec.replicas).toBe(2);
    expect(workloadOf(objects, 'gateway').spec.replicas).toBeUndefined();
    expect(hpaOf(objects)).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(workloadOf(objects, 'redis').spec.replicas).toBe(1);
    expect(() => workloadOf(objects, 'sim')).toThrow();
  });

  it('HA example: 2 control planes, at least 3 gateways, external Redis, monitoring and policies on', () => {
    const objects = renders.ha!;
    expect(workloadOf(objects, 'control-plane').spec.replicas).toBe(2);
    expect(hpaOf(objects)).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(() => workloadOf(objects, 'redis')).toThrow();
    expect(ofKind(objects, 'ServiceMonitor').map((o) => o.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual(['control-plane', 'gateway']);
    expect(ofKind(objects, 'NetworkPolicy').map((o) => o.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual(['control-plane', 'gateway']);
    expect(ofKind(objects, 'PodDisruptionBudget')).toHaveLength(2);
  });

  it('demo example: fixed gateway replicas without an HPA, and the sims', () => {
    const objects = renders.demo!;
    expect(workloadOf(objects, 'gateway').spec.replicas).toBe(2);
    expect(hpaOf(objects)).toBeUndefined();
    expect(workloadOf(objects, 'sim').spec.replicas).toBe(2);
  });
});
