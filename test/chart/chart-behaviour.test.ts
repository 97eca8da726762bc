import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chartWithRenderedNotes, createChartRenderer, type ChartRenderer } from './support/chart-renderer';
import { containerEnvironment, decodeSecret, named, ofKind, selects, workloadOf, type K8sObject } from './support/manifests';

// What the chart does with values: rolling on change, refusing contradictions,
// network isolation, where secrets end up, and NOTES that render.

const HA = 'helm/switchyard/ci/ha-values.yaml';
const DEMO = 'helm/switchyard/ci/demo-values.yaml';

let renderer: ChartRenderer;
beforeAll(() => {
  renderer = createChartRenderer();
}, 600_000);
afterAll(() => renderer?.cleanup());

const annotation = (objects: K8sObject[], component: string, key: string) => workloadOf(objects, component).spec.template.metadata.annotations?.[key];

describe('checksum annotations', () => {
  const fixedTokens = { auth: { adminToken: 'admin-token-0001', registrationToken: 'registration-token-0001' } };

  it('are stable across renders of the same values', () => {
    const a = renderer.render([fixedTokens]);
    const b = renderer.render([fixedTokens]);
    for (const component of ['control-plane', 'gateway']) {
      expect(annotation(a, component, 'checksum/config')).toBe(annotation(b, component, 'checksum/config'));
      expect(annotation(a, component, 'checksum/secret')).toBe(annotation(b, component, 'checksum/secret'));
    }
  });

  it('change checksum/config of exactly the component whose config changed', () => {
    const base = renderer.render([fixedTokens]);
    const gatewayChange = renderer.render([fixedTokens, { gateway: { retryMaxAttempts: 5 } }]);
    expect(annotation(gatewayChange, 'gateway', 'checksum/config')).not.toBe(annotation(base, 'gateway', 'checksum/config'));
    expect(annotation(gatewayChange, 'control-plane', 'checksum/config')).toBe(annotation(base, 'control-plane', 'checksum/config'));

    const controlPlaneChange = renderer.render([fixedTokens, { controlPlane: { probeIntervalMs: 5000 } }]);
    expect(annotation(controlPlaneChange, 'control-plane', 'checksum/config')).not.toBe(annotation(base, 'control-plane', 'checksum/config'));
    expect(annotation(controlPlaneChange, 'gateway', 'checksum/config')).toBe(annotation(base, 'gateway', 'checksum/config'));

    const shared = renderer.render([fixedTokens, { logLevel: 'debug' }]);
    for (const component of ['control-plane', 'gateway']) {
      expect(annotation(shared, component, 'checksum/config')).not.toBe(annotation(base, component, 'checksum/config'));
    }
  });

  it('change checksum/secret when a token or the Redis URL changes', () => {
    const base = renderer.render([fixedTokens]);
    const rotated = renderer.render([{ auth: { ...fixedTokens.auth, adminToken: 'admin-token-0002' } }]);
    expect(annotation(rotated, 'control-plane', 'checksum/secret')).not.toBe(annotation(base, 'control-plane', 'checksum/secret'));
    const external = { redis: { url: 'redis://a.example:6379', bundled: { enabled: false } } };
    const moved = { redis: { url: 'redis://b.example:6379', bundled: { enabled: false } } };
    expect(annotation(renderer.render([fixedTokens, external]), 'gateway', 'checksum/secret')).not.toBe(
      annotation(renderer.render([fixedTokens, moved]), 'gateway', 'checksum/secret'),
    );
  });
});

describe('values that contradict each other fail rendering with a clear message', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['two control planes without Redis', { redis: { bundled: { enabled: false } } }, /controlPlane\.replicas > 1 needs shared state in Redis/],
    ['two Redis sources', { redis: { url: 'redis://r:6379' } }, /only one of redis\.url, redis\.existingSecret, redis\.bundled\.enabled/],
    ['API keys on with no keys', { auth: { apiKeys: { enabled: true } } }, /auth\.apiKeys\.enabled needs at least one entry/],
    ['an HPA whose max is below its min', { gateway: { autoscaling: { minReplicas: 5, maxReplicas: 3 } } }, /maxReplicas must be >= minReplicas/],
    // helm's schema check names the value; helm-render (no schema) reaches the template's own check.
    ['the `latest` tag', { image: { tag: 'latest' } }, /`latest` is not allowed|image[./]tag/],
  ];

  it.each(cases)('%s', (_what, values, message) => {
    const result = renderer.renderRaw([values]);
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(message);
  });

  it('one control plane without Redis is fine (in-memory state), and sets no REDIS_URL', () => {
    const objects = renderer.render(['helm/switchyard/ci/single-values.yaml']);
    for (const component of ['control-plane', 'gateway']) {
      const container = workloadOf(objects, component).spec.template.spec.containers[0]!;
      expect(containerEnvironment(container, objects).values.REDIS_URL).toBeUndefined();
    }
  });
});

describe('admission values (issue 19)', () => {
  const gatewayEnvironment = (values: Array<string | object>) => {
    const objects = renderer.render(values);
    return containerEnvironment(workloadOf(objects, 'gateway').spec.template.spec.containers[0]!, objects).values;
  };

  it('reach the gateway as its variables, the headroom reserve included; unset ones keep the gateway defaults', () => {
    expect(gatewayEnvironment(['helm/switchyard/ci/admission-values.yaml'])).toMatchObject({
      ADMISSION_QUEUE_MAX_LENGTH: '50',
      SATURATION_MAX_IN_FLIGHT: '16',
      ADMISSION_RESERVE_SLOTS: '1',
      ADMISSION_RESERVE_WINDOW_MS: '5000',
    });
    const defaults = gatewayEnvironment([]);
    expect([defaults.ADMISSION_RESERVE_SLOTS, defaults.ADMISSION_RESERVE_WINDOW_MS]).toEqual([undefined, undefined]);
    // 0 turns the reserve off: a set zero is rendered, not dropped as unset.
    expect(gatewayEnvironment([{ gateway: { admission: { reserve: { slots: 0 } } } }]).ADMISSION_RESERVE_SLOTS).toBe('0');
  });
});

describe('network policies (HA example)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderer.render([HA]);
  });

  type Rule = { ports: Array<{ port: string }>; from?: Array<{ namespaceSelector?: { matchExpressions?: Array<{ key: string; values: string[] }> }; podSelector?: { matchLabels: Record<string, string> } }> };
  const rules = (component: string) => (ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.labels?.['app.kubernetes.io/component'] === component)!.spec as { ingress: Rule[] }).ingress;

  it('opens the admin port only to the allowed namespaces (and the release namespace)', () => {
    const admin = rules('control-plane').filter((r) => r.ports.some((p) => p.port === 'admin'));
    expect(admin).toHaveLength(1);
    const peers = admin[0]!.from!;
    expect(peers.every((peer) => peer.namespaceSelector && !peer.podSelector)).toBe(true);
    const names = peers.flatMap((peer) => peer.namespaceSelector!.matchExpressions!.filter((e) => e.key === 'kubernetes.io/metadata.name').flatMap((e) => e.values));
    expect(names.sort()).toEqual(['default', 'inference', 'monitoring']);
  });

  it('opens the gRPC port (routing tables carry upstream keys) only to this release\'s gateway pods', () => {
    const grpc = rules('control-plane').filter((r) => r.ports.some((p) => p.port === 'grpc'));
    expect(grpc).toHaveLength(1);
    const peers = grpc[0]!.from!;
    expect(peers).toHaveLength(1);
    expect(peers[0]!.namespaceSelector).toBeUndefined();
    expect(selects(peers[0]!.podSelector!.matchLabels, workloadOf(objects, 'gateway').spec.template.metadata.labels)).toBe(true);
    expect(selects(peers[0]!.podSelector!.matchLabels, workloadOf(objects, 'control-plane').spec.template.metadata.labels)).toBe(false);
  });

  it('restricts the gateway to its API port, from the configured peers', () => {
    const gateway = rules('gateway');
    expect(gateway).toHaveLength(1);
    expect(gateway[0]!.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    expect(gateway[0]!.from).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('writes the API keys file into the Secret and mounts it where API_KEYS_FILE points', () => {
    const objects = renderer.render([DEMO]);
    const secret = ofKind(objects, 'Secret').find((s) => s.data?.['api-keys.json'])!;
    const file = JSON.parse(decodeSecret(secret, 'api-keys.json')!) as { keys: Array<{ user: string }> };
    expect(file.keys.map((k) => k.user)).toEqual(['team-a', 'ops']);

    const pod = workloadOf(objects, 'control-plane').spec.template.spec;
    const container = pod.containers[0]!;
    const keysFile = containerEnvironment(container, objects).values.API_KEYS_FILE!;
    const mount = container.volumeMounts!.find((m) => keysFile.startsWith(`${m.mountPath}/`))!;
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.secret?.secretName).toBe(secret.metadata.name);
    expect(volume.secret?.items).toEqual([{ key: 'api-keys.json', path: path.posix.basename(keysFile) }]);
  });

  it('keeps tokens out of ConfigMaps and gives the gateway no admin or registration token', () => {
    const objects = renderer.render([DEMO]);
    for (const cm of ofKind(objects, 'ConfigMap')) expect(JSON.stringify(cm.data)).not.toMatch(/token|sk-demo|redis:\/\//i);
    const gatewayEnv = containerEnvironment(workloadOf(objects, 'gateway').spec.template.spec.containers[0]!, objects).values;
    expect(Object.keys(gatewayEnv)).not.toEqual(expect.arrayContaining(['ADMIN_TOKEN']));
    expect(Object.keys(gatewayEnv)).not.toEqual(expect.arrayContaining(['REGISTRATION_TOKEN']));
  });

  it('creates no credentials Secret when existing ones are named, and references those', () => {
    const objects = renderer.render(['helm/switchyard/ci/existing-secrets-values.yaml']);
    expect(ofKind(objects, 'Secret')).toEqual([]);
    const env = workloadOf(objects, 'control-plane').spec.template.spec.containers[0]!.env ?? [];
    const refs = Object.fromEntries(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef]));
    expect(refs).toEqual({
      ADMIN_TOKEN: { name: 'switchyard-credentials', key: 'admin-token' },
      REGISTRATION_TOKEN: { name: 'switchyard-credentials', key: 'registration-token' },
      REDIS_URL: { name: 'switchyard-redis', key: 'url' },
    });
  });

  it('points REDIS_URL at the bundled Redis Service by default', () => {
    const objects = renderer.render([]);
    const env = containerEnvironment(workloadOf(objects, 'gateway').spec.template.spec.containers[0]!, objects).values;
    const redisService = named(objects, 'Service', `${workloadOf(objects, 'redis').metadata.name}`);
    expect(env.REDIS_URL).toBe(`redis://${redisService.metadata.name}:6379`);
  });
});

describe('NOTES.txt', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'switchyard-notes-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([[[] as string[]], [[HA]], [[DEMO]]])('renders with %j and tells how to reach the gateway and the admin API', (values) => {
    const chart = chartWithRenderedNotes(scratch);
    const notes = named(renderer.render(values, chart), 'ConfigMap', 'notes-check').data!.notes!;
    expect(notes).toContain('rel-switchyard-gateway');
    expect(notes).toContain('admin-token');
    expect(notes).not.toMatch(/<no value>|%!/);
    rmSync(chart, { recursive: true, force: true });
  });

  it('warns when the gateway is open (no API keys)', () => {
    const chart = chartWithRenderedNotes(scratch);
    expect(named(renderer.render([], chart), 'ConfigMap', 'notes-check').data!.notes).toMatch(/WARNING: auth\.apiKeys\.enabled is false/);
    rmSync(chart, { recursive: true, force: true });
  });
});

