import path from 'node:path';
import { createChartRenderer, type ChartRenderer } from './support/chart-renderer';
import { containerEnvironment, ofKind, workloadOf, type K8sObject } from './support/manifests';
import { SERVICES } from './support/service-schemas';

// The TLS and CORS values (issue 6): gateway.tls.existingSecret and
// controlPlane.tls.existingSecret mount the Secret where TLS_CERT_FILE and
// TLS_KEY_FILE point and switch probes (and everything that calls the admin port)
// to HTTPS; gateway.corsAllowedOrigins and gateway.maxConcurrency reach the env.

const TLS_VALUES = {
  controlPlane: { tls: { existingSecret: 'cp-tls' } },
  gateway: { tls: { existingSecret: 'gw-tls' }, corsAllowedOrigins: ['https://app.example.com', 'https://admin.example.com'], maxConcurrency: 64, schedulerMaxConcurrencyDefault: 3, schedulerCapacityWaitMs: 250 },
  sim: { enabled: true },
  monitoring: { serviceMonitor: { enabled: true } },
};
const SECRET_OF: Record<string, string> = { 'control-plane': 'cp-tls', gateway: 'gw-tls' };

let renderer: ChartRenderer;
let tls: K8sObject[];
let plain: K8sObject[];

beforeAll(() => {
  renderer = createChartRenderer();
  tls = renderer.render([TLS_VALUES]);
  plain = renderer.render([{ sim: { enabled: true } }]);
}, 600_000);
afterAll(() => renderer?.cleanup());

const podOf = (objects: K8sObject[], component: string) => workloadOf(objects, component).spec.template.spec;
const envOf = (objects: K8sObject[], component: string) => containerEnvironment(podOf(objects, component).containers[0]!, objects).values;

describe.each(['control-plane', 'gateway'])('%s with tls.existingSecret', (component) => {
  it('mounts the Secret read-only where TLS_CERT_FILE and TLS_KEY_FILE point', () => {
    const pod = podOf(tls, component);
    const container = pod.containers[0]!;
    const env = envOf(tls, component);
    expect([env.TLS_CERT_FILE, env.TLS_KEY_FILE]).toEqual(['/etc/switchyard/tls/tls.crt', '/etc/switchyard/tls/tls.key']);
    const mount = container.volumeMounts!.find((m) => m.mountPath === path.posix.dirname(env.TLS_CERT_FILE!))!;
    expect(mount).toMatchObject({ name: expect.any(String), readOnly: true });
    expect(pod.volumes!.find((v) => v.name === mount.name)?.secret?.secretName).toBe(SECRET_OF[component]);
  });

  it('passes the service config check (both TLS variables set)', () => {
    const service = SERVICES.find((s) => s.component === component)!;
    expect(service.schema.safeParse(envOf(tls, component)).success).toBe(true);
  });

  it('probes /health and /ready over HTTPS', () => {
    const container = podOf(tls, component).containers[0]!;
    expect([container.livenessProbe?.httpGet?.scheme, container.readinessProbe?.httpGet?.scheme]).toEqual(['HTTPS', 'HTTPS']);
  });

  it('is scraped over https by its ServiceMonitor', () => {
    const monitor = ofKind(tls, 'ServiceMonitor').find((m) => m.metadata.labels?.['app.kubernetes.io/component'] === component)!;
    const endpoints = (monitor.spec as { endpoints: Array<{ scheme?: string }> }).endpoints;
    expect(endpoints.map((e) => e.scheme)).toEqual(['https']);
  });

  it('without the value: no TLS variables, no tls volume, probes over HTTP', () => {
    const pod = podOf(plain, component);
    const env = envOf(plain, component);
    expect([env.TLS_CERT_FILE, env.TLS_KEY_FILE]).toEqual([undefined, undefined]);
    expect((pod.volumes ?? []).filter((v) => v.secret?.secretName === SECRET_OF[component])).toEqual([]);
    expect(pod.containers[0]!.readinessProbe?.httpGet?.scheme ?? 'HTTP').toBe('HTTP');
  });
});

describe('gateway CORS and concurrency values', () => {
  it('set CORS_ALLOWED_ORIGINS as a comma list and GATEWAY_MAX_CONCURRENCY', () => {
    const env = envOf(tls, 'gateway');
    expect(env.CORS_ALLOWED_ORIGINS).toBe('https://app.example.com,https://admin.example.com');
    expect(env.GATEWAY_MAX_CONCURRENCY).toBe('64');
  });

  it('set SCHEDULER_MAX_CONCURRENCY_DEFAULT and SCHEDULER_CAPACITY_WAIT_MS (issue 21 item 5)', () => {
    const env = envOf(tls, 'gateway');
    expect([env.SCHEDULER_MAX_CONCURRENCY_DEFAULT, env.SCHEDULER_CAPACITY_WAIT_MS]).toEqual(['3', '250']);
  });

  it('leave both unset by default (CORS off, no cap)', () => {
    const env = envOf(plain, 'gateway');
    expect([env.CORS_ALLOWED_ORIGINS, env.GATEWAY_MAX_CONCURRENCY, env.SCHEDULER_MAX_CONCURRENCY_DEFAULT, env.SCHEDULER_CAPACITY_WAIT_MS]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

it('gives self-registering sims an https:// control-plane URL when the admin port serves TLS', () => {
  expect(envOf(tls, 'sim').CONTROL_PLANE_URL).toMatch(/^https:\/\//);
  expect(envOf(plain, 'sim').CONTROL_PLANE_URL).toMatch(/^http:\/\//);
});
