import { freePort, sleep, startRedisServer, startService, stopAll, waitFor, type RedisServer, type ServiceProcess } from '@switchyard/testing';

/**
 * A cluster of real processes sharing one throw-away redis-server: control-plane
 * replicas, gateways that know every replica, and sims. Ports are fixed up front
 * so a process can be killed and started again at the same address.
 */
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const REGISTRATION_TOKEN = 'e2e-registration-token-0123456789';
export const LEASE_MS = 2_000;

export interface Node {
  readonly id: string;
  readonly url: string;
  process: ServiceProcess;
}

export interface ControlPlaneNode extends Node {
  readonly grpcAddr: string;
}

export interface ClusterOptions {
  controlPlanes: string[];
  gateways: string[];
  controlPlaneEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

export interface AdminAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string | null; param: string | null } };
}

export interface Cluster {
  readonly redis: RedisServer;
  readonly controlPlanes: Map<string, ControlPlaneNode>;
  readonly gateways: Map<string, Node>;
  readonly sims: Map<string, Node>;
  /** (Re)starts a replica on its fixed ports; resolves once it is ready. */
  startControlPlane(id: string): Promise<ControlPlaneNode>;
  startGateway(id: string, env?: Record<string, string>, waitReady?: boolean): Promise<Node>;
  /** A sim serving `sim-model` and `model-<id>`, self-registering through `registerWith` when given. */
  startSim(id: string, registerWith?: string, env?: Record<string, string>): Promise<Node>;
  admin(controlPlane: string, method: string, path: string, body?: unknown, token?: string): Promise<AdminAnswer>;
  leader(controlPlane: string): Promise<{ id: string | null; epoch: number; self: boolean }>;
  /** The models a gateway's table offers (its GET /v1/models). */
  models(gateway: string): Promise<string[]>;
  /** Every process's last output lines, for failure messages. */
  dump(): string;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const redis = await startRedisServer();
  const processes: ServiceProcess[] = [];
  const controlPlanes = new Map<string, ControlPlaneNode>();
  const gateways = new Map<string, Node>();
  const sims = new Map<string, Node>();
  const ports = new Map<string, { admin: number; grpc: number }>();
  for (const id of options.controlPlanes) ports.set(id, { admin: await freePort(), grpc: await freePort() });
  const gatewayPorts = new Map<string, number>();
  for (const id of options.gateways) gatewayPorts.set(id, await freePort());
  const shared = { HOST: '127.0.0.1', REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'e2e:', LOG_LEVEL: 'info' };
  const spawn = (service: Parameters<typeof startService>[0], env: Record<string, string>, label: string) => {
    const p = startService(service, env, label);
    processes.push(p);
    return p;
  };
  const dump = () => processes.map((p) => `--- ${p.name}\n${p.output().slice(-2500)}`).join('\n');
  const ready = async (url: string, what: string) => {
    try {
      await waitFor(async () => (await fetch(`${url}/ready`)).ok, 15_000, 50, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    }
  };

  const cluster: Cluster = {
    redis,
    controlPlanes,
    gateways,
    sims,
    async startControlPlane(id) {
      const { admin, grpc } = ports.get(id)!;
      const env = {
        ...shared, ADMIN_PORT: String(admin), GRPC_PORT: String(grpc), CONTROL_PLANE_ID: id, LEADER_LEASE_MS: String(LEASE_MS),
        ADMIN_TOKEN, REGISTRATION_TOKEN, REGISTRATION_ALLOWED_HOSTS: '127.0.0.1', ...options.controlPlaneEnv,
      };
      const node = { id, url: `http://127.0.0.1:${admin}`, grpcAddr: `127.0.0.1:${grpc}`, process: spawn('control-plane', env, id) };
      controlPlanes.set(id, node);
      await ready(node.url, `${id} ready`);
      return node;
    },
    async startGateway(id, env = {}, waitReady = true) {
      const port = gatewayPorts.get(id)!;
      const addrs = [...ports.values()].map((p) => `127.0.0.1:${p.grpc}`).join(',');
      const node = { id, url: `http://127.0.0.1:${port}`, process: spawn('gateway', { ...shared, PORT: String(port), CONTROL_PLANE_ADDR: addrs, GATEWAY_ID: id, ...options.gatewayEnv, ...env }, id) };
      gateways.set(id, node);
      if (waitReady) await ready(node.url, `${id} ready`);
      return node;
    },
    async startSim(id, registerWith, env = {}) {
      const port = await freePort();
      const registration: Record<string, string> = registerWith ? { CONTROL_PLANE_URL: controlPlanes.get(registerWith)!.url, REGISTRATION_TOKEN } : {};
      const simEnv = { HOST: '127.0.0.1', PORT: String(port), SIM_ID: id, SIM_MODELS: `sim-model,model-${id}`, SIM_TTFT_MS: '5', SIM_ITL_MS: '2', LOG_LEVEL: 'info', ...registration, ...env };
      const node = { id, url: `http://127.0.0.1:${port}`, process: spawn('sim-scheduler', simEnv, id) };
      sims.set(id, node);
      await waitFor(async () => (await fetch(`${node.url}/health`)).ok, 10_000, 50, `${id} healthy`);
      return node;
    },
    async admin(controlPlane, method, path, body, token = ADMIN_TOKEN) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${controlPlanes.get(controlPlane)!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: (await res.json()) as AdminAnswer['body'] };
    },
    async leader(controlPlane) {
      const { body } = await cluster.admin(controlPlane, 'GET', '/admin/leader');
      return body as unknown as { id: string | null; epoch: number; self: boolean };
    },
    async models(gateway) {
      const res = await fetch(`${gateways.get(gateway)!.url}/v1/models`, { signal: AbortSignal.timeout(2_000) });
      return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    },
    dump,
    async stop() {
      await stopAll(processes);
      await redis.stop();
    },
  };
  return cluster;
}

/** A sim of `startTwoReplicaCluster`: self-registered through replica `registerWith` (with `env`), or else added by an admin call on cp-a. */
export interface ClusterSim {
  id: string;
  registerWith?: string;
  env?: Record<string, string>;
}

/**
 * The cluster the replica and Redis tests share: cp-a started first and leading
 * (epoch 1), then cp-b, the sims (each serving `sim-model` and `model-<id>`), and
 * gateways gw-0 and gw-1 that know both replicas; resolves once both gateways
 * list every sim. Stops what it started when any step fails.
 */
export async function startTwoReplicaCluster(sims: readonly ClusterSim[]): Promise<Cluster> {
  const cluster = await startCluster({ controlPlanes: ['cp-a', 'cp-b'], gateways: ['gw-0', 'gw-1'] });
  try {
    await cluster.startControlPlane('cp-a');
    await waitFor(async () => (await cluster.leader('cp-a')).self, 5_000, 50, 'cp-a to lead');
    await cluster.startControlPlane('cp-b');
    for (const sim of sims) {
      const node = await cluster.startSim(sim.id, sim.registerWith, sim.env);
      if (sim.registerWith === undefined) await cluster.admin('cp-a', 'POST', '/admin/scheduler/add', { id: sim.id, url: node.url, models: ['sim-model', `model-${sim.id}`] });
    }
    await cluster.startGateway('gw-0');
    await cluster.startGateway('gw-1');
    await waitFor(() => everyGatewayLists(cluster, sims.map((sim) => `model-${sim.id}`)), 10_000, 50, 'every sim in both gateways');
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Whether every gateway answers and lists every one of `models` (or, with `present` false, none of them). */
export async function everyGatewayLists(cluster: Cluster, models: readonly string[], present = true): Promise<boolean> {
  for (const gateway of cluster.gateways.keys()) {
    const listed = await cluster.models(gateway).catch(() => undefined);
    if (!listed || !models.every((m) => listed.includes(m) === present)) return false;
  }
  return true;
}

/**
 * Polls every gateway's model list until stopped, recording each moment one of
 * `models` is missing (or the gateway does not answer) as `<gateway>: <listed>`:
 * static stability means the list stays empty through any outage.
 */
export function watchGatewayTables(cluster: Cluster, models: readonly string[], intervalMs = 50): { stop(): Promise<string[]> } {
  const gaps: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const gateway of cluster.gateways.keys()) {
        const listed = await cluster.models(gateway).catch((err: unknown) => [String(err)]);
        if (!models.every((m) => listed.includes(m))) gaps.push(`${gateway}: ${listed.join(',')}`);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return gaps;
    },
  };
}

/** Steady chat traffic against every gateway (one request in flight per gateway), counting failures. */
export function startTraffic(urls: readonly string[], model = 'sim-model'): { stop(): Promise<{ ok: number; failed: string[] }> } {
  let running = true;
  let ok = 0;
  const failed: string[] = [];
  const loop = async (url: string) => {
    while (running) {
      try {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 2 }),
          signal: AbortSignal.timeout(5_000),
        });
        const text = await res.text();
        if (res.ok) ok += 1;
        else failed.push(`${url} ${res.status} ${text.slice(0, 200)}`);
      } catch (err) {
        failed.push(`${url} ${String(err)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const loops = urls.map(loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failed };
    },
  };
}
