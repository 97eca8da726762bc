import { freePort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';

/**
 * A local cluster of real processes for end-to-end tests: one control plane,
 * gateways and sims, each on its own free 127.0.0.1 port. Built services only
 * (`pnpm test` builds first).
 */
export interface Stack {
  adminUrl: string;
  grpcAddr: string;
  gatewayUrls: string[];
  sims: Map<string, { url: string; process: ServiceProcess }>;
  processes: ServiceProcess[];
  startSim(id: string, env?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export interface StackOptions {
  sims?: string[];
  gateways?: number;
  simEnv?: Record<string, string>;
  controlPlaneEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const processes: ServiceProcess[] = [];
  // A start-up wait that fails shows what the processes printed.
  const waitUntil = async (check: () => Promise<boolean>, what: string) => {
    try {
      await waitFor(check, 15_000, 50, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOutput(processes)}`);
    }
  };
  const [adminPort, grpcPort] = [await freePort(), await freePort()];
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const grpcAddr = `127.0.0.1:${grpcPort}`;
  processes.push(startService('control-plane', { HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), ...options.controlPlaneEnv }));
  await waitUntil(async () => (await fetch(`${adminUrl}/ready`)).ok, 'control plane ready');

  const sims = new Map<string, { url: string; process: ServiceProcess }>();
  const startSim = async (id: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = startService('sim-scheduler', { HOST: '127.0.0.1', PORT: String(port), SIM_ID: id, ...options.simEnv, ...env }, id);
    processes.push(process);
    sims.set(id, { url, process });
    await waitUntil(async () => (await fetch(`${url}/health`)).ok, `${id} healthy`);
    return url;
  };
  for (const id of options.sims ?? []) {
    await startSim(id, { CONTROL_PLANE_URL: adminUrl });
  }

  const gatewayUrls: string[] = [];
  for (let i = 0; i < (options.gateways ?? 1); i++) {
    const port = await freePort();
    processes.push(startService('gateway', { HOST: '127.0.0.1', PORT: String(port), CONTROL_PLANE_ADDR: grpcAddr, GATEWAY_ID: `gw-${i}`, ...options.gatewayEnv }, `gateway-${i}`));
    gatewayUrls.push(`http://127.0.0.1:${port}`);
  }
  for (const url of gatewayUrls) await waitUntil(async () => (await fetch(`${url}/ready`)).ok, `${url} ready`);

  return {
    adminUrl,
    grpcAddr,
    gatewayUrls,
    sims,
    processes,
    startSim,
    async stop() {
      await stopAll(processes);
    },
  };
}

/** The last lines each process printed, for a failing test's message. */
export function dumpOutput(processes: readonly ServiceProcess[]): string {
  return processes.map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join('\n');
}

/** An admin API call with a bearer token; throws with the answer's text unless it is 2xx. */
export async function adminCall<T>(adminUrl: string, token: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${adminUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A scheduler as GET /admin/scheduler/list shows it (the fields e2e tests read). */
export interface ListedScheduler {
  id: string;
  state: string;
  last_error?: string;
}

/** Every scheduler the control plane lists (a loopback caller needs no admin token). */
export async function listSchedulers(adminUrl: string): Promise<ListedScheduler[]> {
  return ((await (await fetch(`${adminUrl}/admin/scheduler/list`)).json()) as { schedulers: ListedScheduler[] }).schedulers;
}

/** Registers a scheduler through the admin API (a loopback caller needs no admin token); throws unless it is new (201). */
export async function addScheduler(adminUrl: string, scheduler: { id: string; url: string; models: string[] }): Promise<void> {
  const res = await fetch(`${adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scheduler) });
  if (res.status !== 201) throw new Error(`adding ${scheduler.id}: ${res.status} ${await res.text()}`);
}

/** waitFor whose failure also shows what the stack's processes printed. */
export async function waitForStack(stack: Stack, check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  try {
    await waitFor(check, timeoutMs, 50, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${dumpOutput(stack.processes)}`);
  }
}
