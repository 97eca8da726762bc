import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, createChartRenderer, REPO_ROOT, type ChartRenderer } from './support/chart-renderer';
import { instructions, parseDockerfile, stage, stageEnv } from './support/dockerfile';
import { containerEnvironment, ofKind, type Container, type K8sObject, type Workload } from './support/manifests';
import { defaultOf, REGISTER_SIDECAR, requiredVariables, SERVICES, variableNames, type ServiceSchema } from './support/service-schemas';

// The other places that configure the processes — the Dockerfile's runtime stages,
// deploy/compose.yaml and the vLLM sidecar example — kept honest the same way as
// the chart: known variables only, required ones set, values the schema accepts.

const byComponent = (component: string): ServiceSchema => SERVICES.find((s) => s.component === component)!;
/** Dockerfile target → the schema of the process it runs. */
const TARGETS: Record<string, ServiceSchema> = {
  'control-plane': byComponent('control-plane'),
  gateway: byComponent('gateway'),
  'sim-scheduler': byComponent('sim'),
  register: REGISTER_SIDECAR,
};
const PORT_VARIABLES = ['PORT', 'ADMIN_PORT', 'GRPC_PORT'];

function problems(service: ServiceSchema, env: Record<string, string>, helpers: ReadonlySet<string> = new Set()): string[] {
  const known = new Set(variableNames(service));
  const unknown = Object.keys(env).filter((k) => !known.has(k) && !helpers.has(k)).map((k) => `${k}: unknown`);
  const missing = requiredVariables(service).filter((k) => env[k] === undefined).map((k) => `${k}: required`);
  const parsed = service.schema.safeParse(env);
  return [...unknown, ...missing, ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`))];
}

describe('Dockerfile runtime stages', () => {
  const stages = parseDockerfile();

  it.each(Object.keys(TARGETS))('%s: ENV is known to the process, ports are its defaults and are EXPOSEd', (target) => {
    const service = TARGETS[target]!;
    const env = stageEnv(stages, target);
    const ownEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'NODE_ENV'));
    expect(Object.keys(ownEnv).filter((k) => !variableNames(service).includes(k) && k !== 'HOST')).toEqual([]);
    if (variableNames(service).includes('HOST')) expect(env.HOST).toBe('0.0.0.0');
    expect(env.NODE_ENV).toBe('production');
    const ports = PORT_VARIABLES.filter((k) => ownEnv[k] !== undefined);
    for (const name of ports) expect([name, Number(ownEnv[name])]).toEqual([name, defaultOf(service, name)]);
    const exposed = instructions(stage(stages, target), 'EXPOSE').flatMap((e) => e.split(/\s+/)).map(Number);
    expect(exposed.sort()).toEqual(ports.map((name) => Number(ownEnv[name])).sort());
  });

  it('runs every target as uid 10001 under tini', () => {
    const runtime = stage(stages, 'runtime');
    expect(instructions(runtime, 'USER')).toEqual(['10001:10001']);
    expect(instructions(runtime, 'ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
    for (const target of Object.keys(TARGETS)) expect(stage(stages, target).base).toBe('runtime');
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: { target: string }; environment?: Record<string, string> }>;
  };
  /** Compose's `${VAR:-default}` as compose would expand it with VAR unset. */
  const expand = (text: string) => String(text).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
  const built = Object.entries(compose.services).filter(([, s]) => s.build);

  it('has Redis, two control planes, two gateways and three sims', () => {
    const count = (target: string) => built.filter(([, s]) => s.build!.target === target).length;
    expect([count('control-plane'), count('gateway'), count('sim-scheduler')]).toEqual([2, 2, 3]);
    expect(Object.keys(compose.services)).toContain('redis');
  });

  it.each(built.map(([name, s]) => [name, s] as const))('%s: environment passes its service schema', (_name, service) => {
    const schema = TARGETS[service.build!.target]!;
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, expand(v)]));
    expect(problems(schema, env)).toEqual([]);
  });
});

describe('the vLLM example with the switchyard-register sidecar', () => {
  let renderer: ChartRenderer;
  let chart: K8sObject[];
  const example = parse(readFileSync(path.join(CHART_DIR, 'examples', 'vllm-with-register-sidecar.yaml'), 'utf8')) as Workload;
  const containers = example.spec.template.spec.containers;
  const sidecar = containers.find((c) => c.name === 'switchyard-register') as Container;
  const vllm = containers.find((c) => c.name !== 'switchyard-register') as Container;
  // The example names Secrets of its own namespace; the placeholders stand in for them.
  const env = () => containerEnvironment(sidecar, []);

  beforeAll(() => {
    renderer = createChartRenderer();
    chart = renderer.render(['helm/switchyard/examples/values-vllm.yaml']);
  }, 600_000);
  afterAll(() => renderer?.cleanup());

  it('gives the sidecar only variables the CLI knows, the required ones, and valid values', () => {
    expect(problems(REGISTER_SIDECAR, env().values, env().expansionHelpers)).toEqual([]);
  });

  it('registers the vLLM port at the pod IP, under the pod name', () => {
    const url = new URL(env().values.SCHEDULER_URL!);
    expect(Number(url.port)).toBe(vllm.ports![0]!.containerPort);
    expect(url.hostname).toBe('10.20.1.7');
    expect(sidecar.env!.find((e) => e.name === 'SCHEDULER_ID')!.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  });

  it('points at the control-plane admin Service the example values create', () => {
    const url = new URL(env().values.CONTROL_PLANE_URL!);
    const service = ofKind(chart, 'Service').find((s) => s.metadata.labels?.['app.kubernetes.io/component'] === 'control-plane')!;
    const adminPort = (service.spec as { ports: Array<{ name: string; port: number }> }).ports.find((p) => p.name === 'admin')!.port;
    expect(url.hostname.split('.')[0]).toBe(service.metadata.name);
    expect(Number(url.port)).toBe(adminPort);
  });

  it('runs the sidecar from the `register` image, locked down', () => {
    expect(sidecar.image).toMatch(/\/register:\d+\.\d+\.\d+$/);
    expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });
});
