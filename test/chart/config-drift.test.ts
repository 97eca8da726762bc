import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LOG_LEVELS } from '@switchyard/config';
import { STRATEGY_NAMES } from '@switchyard/routing';
import { CHART_DIR, createChartRenderer, type ChartRenderer } from './support/chart-renderer';
import { containerEnvironment, ofKind, workloadOf, type Container, type K8sObject, type Workload } from './support/manifests';
import { defaultOf, parseVariable, REGISTER_SIDECAR, requiredVariables, SERVICES, variableNames, type ServiceSchema } from './support/service-schemas';

// Acceptance 2 (issue 8): chart and code cannot drift. Every variable a container
// gets is one its service's config schema knows, every required one is set, the
// whole environment passes the schema as it would at start-up, and every port the
// templates open is the port the process is configured to listen on.

const VALUES_FILES: Record<string, string[]> = {
  default: [],
  ha: ['helm/switchyard/ci/ha-values.yaml'],
  demo: ['helm/switchyard/ci/demo-values.yaml'],
  single: ['helm/switchyard/ci/single-values.yaml'],
  'existing-secrets': ['helm/switchyard/ci/existing-secrets-values.yaml'],
  vllm: ['helm/switchyard/examples/values-vllm.yaml'],
  admission: ['helm/switchyard/ci/admission-values.yaml'],
};

/** Container port name → the variable that sets it, per component. Every opened port must be listed. */
const PORT_VARIABLES: Record<string, Record<string, string>> = {
  'control-plane': { admin: 'ADMIN_PORT', grpc: 'GRPC_PORT' },
  gateway: { http: 'PORT' },
  sim: { http: 'PORT' },
};

/**
 * Variables the chart sets on purpose to something other than the service default
 * (in-cluster addresses, pod identity, credentials, the container bind address).
 * Everything else in values.yaml must mirror the service's default.
 */
const DELIBERATE_OVERRIDES = new Set([
  'HOST', 'CONTROL_PLANE_ADDR', 'CONTROL_PLANE_URL', 'REGISTRATION_ALLOWED_HOSTS', 'GATEWAY_ID', 'SIM_ID', 'SIM_PUBLIC_URL',
  'REDIS_URL', 'ADMIN_TOKEN', 'REGISTRATION_TOKEN', 'API_KEYS_FILE',
  // Gateways drain for minutes in Kubernetes rollouts (issue 19 item 5: long streams finish); a bare process keeps 30 s.
  'SHUTDOWN_GRACE_MS',
]);

let renderer: ChartRenderer;
const renders: Record<string, K8sObject[]> = {};
beforeAll(() => {
  renderer = createChartRenderer();
  for (const [name, files] of Object.entries(VALUES_FILES)) renders[name] = renderer.render(files);
}, 600_000);
afterAll(() => renderer?.cleanup());

const deployments = (objects: K8sObject[], service: ServiceSchema): Workload[] =>
  ofKind<Workload>(objects, 'Deployment').filter((d) => d.metadata.labels?.['app.kubernetes.io/component'] === service.component);

/** Renders that run sims; the others must not be counted as checking them. */
const SIM_RENDERS = new Set(['demo']);
const cases = Object.keys(VALUES_FILES).flatMap((render) =>
  SERVICES.filter((service) => service.component !== 'sim' || SIM_RENDERS.has(render)).map((service) => [render, service.component, service] as const),
);

/** What is wrong with a container's environment for its service; empty when nothing is. */
function environmentProblems(container: Container, objects: K8sObject[], service: ServiceSchema): string[] {
  const { values, expansionHelpers } = containerEnvironment(container, objects);
  const known = new Set(variableNames(service));
  const unknown = Object.keys(values).filter((name) => !known.has(name) && !expansionHelpers.has(name)).map((name) => `${name}: unknown to the ${service.title}`);
  const missing = requiredVariables(service).filter((name) => values[name] === undefined).map((name) => `${name}: required but not set`);
  const parsed = service.schema.safeParse(values);
  const invalid = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
  return [...unknown, ...missing, ...invalid];
}

describe.each(cases)('%s render, %s', (render, _component, service) => {
  const containers = () => deployments(renders[render]!, service).flatMap((d) => d.spec.template.spec.containers);

  it('sets only variables the service knows, every required one, and values it accepts', () => {
    expect(containers().length).toBeGreaterThan(0);
    for (const container of containers()) {
      expect(environmentProblems(container, renders[render]!, service)).toEqual([]);
      expect(containerEnvironment(container, renders[render]!).values.HOST).toMatch(/^(0\.0\.0\.0|::)$/);
    }
  });

  it('opens exactly the ports the process listens on', () => {
    for (const container of containers()) {
      const { values } = containerEnvironment(container, renders[render]!);
      for (const port of container.ports ?? []) {
        const variable = PORT_VARIABLES[service.component]?.[port.name ?? ''];
        expect([port.name, variable]).toEqual([port.name, expect.any(String)]);
        expect(parseVariable(service, variable!, values[variable!] ?? '')).toBe(port.containerPort);
      }
      expect((container.ports ?? []).map((p) => p.name).sort()).toEqual(Object.keys(PORT_VARIABLES[service.component]!).sort());
    }
  });
});

describe('the drift check itself', () => {
  it('catches an unknown variable, a missing required one and a value the service refuses', () => {
    const gateway = SERVICES.find((s) => s.component === 'gateway')!;
    const objects = renderer.render([{ gateway: { extraEnv: [{ name: 'UPSTREAM_TIMEOUT_MS', value: '1' }, { name: 'RETRY_MAX_ATTEMPTS', value: 'many' }] } }]);
    const container = workloadOf(objects, 'gateway').spec.template.spec.containers[0]!;
    const problems = environmentProblems(container, objects, gateway);
    expect(problems).toEqual(expect.arrayContaining(['UPSTREAM_TIMEOUT_MS: unknown to the gateway', expect.stringMatching(/^RETRY_MAX_ATTEMPTS: /)]));
    // A variable without a default, borrowed from the sidecar's schema (CONTROL_PLANE_URL is required there).
    const mustBeSet = REGISTER_SIDECAR.schema.shape.CONTROL_PLANE_URL!;
    const strict: ServiceSchema = { ...gateway, schema: { ...gateway.schema, parse: (v) => gateway.schema.parse(v), safeParse: (v) => gateway.schema.safeParse(v), shape: { ...gateway.schema.shape, MUST_BE_SET: mustBeSet } } };
    expect(environmentProblems(container, objects, strict)).toEqual(expect.arrayContaining(['MUST_BE_SET: required but not set']));
  });
});

describe('defaults', () => {
  it.each(SERVICES.filter((s) => s.component !== 'sim').map((s) => [s.component, s] as const))(
    'values.yaml mirrors the %s defaults, except deliberate overrides',
    (_component, service) => {
      const container = workloadOf(renders.default!, service.component).spec.template.spec.containers[0]!;
      const { values } = containerEnvironment(container, renders.default!);
      const drifted = Object.entries(values)
        .filter(([name]) => !DELIBERATE_OVERRIDES.has(name))
        .filter(([name, text]) => JSON.stringify(parseVariable(service, name, text)) !== JSON.stringify(defaultOf(service, name)))
        .map(([name, text]) => `${name}=${text} (service default ${JSON.stringify(defaultOf(service, name))})`);
      expect(drifted).toEqual([]);
    },
  );

  it('values.yaml mirrors the sim defaults too (demo render)', () => {
    const sim = SERVICES.find((s) => s.component === 'sim')!;
    const objects = renderer.render([{ sim: { enabled: true } }]);
    const { values } = containerEnvironment(workloadOf(objects, 'sim').spec.template.spec.containers[0]!, objects);
    const drifted = Object.entries(values)
      .filter(([name]) => !DELIBERATE_OVERRIDES.has(name) && name !== 'POD_IP')
      .filter(([name, text]) => JSON.stringify(parseVariable(sim, name, text)) !== JSON.stringify(defaultOf(sim, name)));
    expect(drifted).toEqual([]);
  });
});

describe('addresses between components', () => {
  it.each(Object.keys(VALUES_FILES))('%s: gateways stream from the control-plane gRPC Service, sims register at its admin port', (render) => {
    const objects = renders[render]!;
    const cp = ofKind(objects, 'Service').find((s) => s.metadata.labels?.['app.kubernetes.io/component'] === 'control-plane')!;
    const ports = Object.fromEntries((cp.spec as { ports: Array<{ name: string; port: number }> }).ports.map((p) => [p.name, p.port]));
    const gatewayEnv = containerEnvironment(workloadOf(objects, 'gateway').spec.template.spec.containers[0]!, objects).values;
    expect(gatewayEnv.CONTROL_PLANE_ADDR).toBe(`${cp.metadata.name}.default.svc:${ports.grpc}`);
    const cpEnv = containerEnvironment(workloadOf(objects, 'control-plane').spec.template.spec.containers[0]!, objects).values;
    expect(gatewayEnv.REDIS_KEY_PREFIX).toBe(cpEnv.REDIS_KEY_PREFIX);
    expect(gatewayEnv.REDIS_URL).toBe(cpEnv.REDIS_URL);
    const sims = deployments(objects, SERVICES.find((s) => s.component === 'sim')!);
    for (const sim of sims) {
      const simEnv = containerEnvironment(sim.spec.template.spec.containers[0]!, objects).values;
      expect(simEnv.CONTROL_PLANE_URL).toBe(`http://${cp.metadata.name}.default.svc:${ports.admin}`);
      expect(simEnv.SIM_PUBLIC_URL).toBe(`http://10.20.1.7:${simEnv.PORT}`);
    }
  });

  it('the default registration allow-list admits pod IPs but never loopback or link-local', () => {
    const { values } = containerEnvironment(workloadOf(renders.default!, 'control-plane').spec.template.spec.containers[0]!, renders.default!);
    const entries = values.REGISTRATION_ALLOWED_HOSTS!.split(',');
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry).not.toMatch(/^(127\.|0\.0\.0\.0|::1?(\/|$)|169\.254\.|localhost)/);
  });
});

describe('values.schema.json enums follow the code', () => {
  const schema = JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
    properties: { controlPlane: { properties: { routingStrategy: { enum: string[] } } } };
    definitions: { logLevel: { enum: string[] } };
  };

  it('routing strategies', () => {
    expect([...schema.properties.controlPlane.properties.routingStrategy.enum].sort()).toEqual([...STRATEGY_NAMES].sort());
  });

  it('log levels', () => {
    expect([...schema.definitions.logLevel.enum].sort()).toEqual([...LOG_LEVELS].sort());
  });
});
