import * as grpc from '@grpc/grpc-js';
import { loadServices, type RoutingTable } from '@switchyard/proto';
import Redis from 'ioredis';
import { startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './test-support/redis-fixture';

/** The bound ports from the `listening` log line (ports are 0 in these tests). */
function listeningLine(p: ServiceProcess): { admin_port: number; grpc_port: number } | undefined {
  for (const line of p.output().split('\n')) {
    if (!line.includes('"listening"')) continue;
    const parsed = JSON.parse(line) as { message: string; admin_port: number; grpc_port: number };
    if (parsed.message === 'listening') return parsed;
  }
  return undefined;
}

describe('control-plane process (dist/main.js)', () => {
  const processes: ServiceProcess[] = [];
  afterAll(async () => {
    await stopAll(processes);
  });

  it('logs its bound ports, serves HTTP and gRPC, and exits 0 on SIGTERM', async () => {
    const p = startService('control-plane', { ADMIN_PORT: '0', GRPC_PORT: '0', LOG_LEVEL: 'info', ADMIN_TOKEN: 'tok' });
    processes.push(p);
    const ports = await waitFor(() => listeningLine(p), 10_000, 20, 'the listening line');
    expect((await fetch(`http://127.0.0.1:${ports.admin_port}/ready`)).status).toBe(200);
    const leader = await fetch(`http://127.0.0.1:${ports.admin_port}/admin/leader`, { headers: { authorization: 'Bearer tok' } });
    expect(await leader.json()).toMatchObject({ epoch: 1, self: true });

    const { RoutingService } = loadServices();
    const client = new RoutingService(`127.0.0.1:${ports.grpc_port}`, grpc.credentials.createInsecure());
    const call = (client as unknown as { WatchRoutingTable(req: object): grpc.ClientReadableStream<RoutingTable> }).WatchRoutingTable({ gateway_id: 'gw', have_version: 0, have_epoch: 0 });
    const first = new Promise<RoutingTable>((resolve) => call.once('data', resolve));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    expect((await first).epoch).toBe(1);

    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect((await status).code).toBe(grpc.status.OK);
    client.close();
  });

  it('exits 1 with one line naming a bad variable', async () => {
    const p = startService('control-plane', { ADMIN_PORT: 'eighty', ROUTING_STRATEGY: 'random' });
    processes.push(p);
    expect(await p.exited).toBe(1);
    expect(p.output().trim().split('\n')).toHaveLength(1);
    expect(p.output()).toMatch(/^control-plane: invalid configuration: .*ADMIN_PORT: .*ROUTING_STRATEGY: /);
  });

  it('with REDIS_URL: leads, is ready, and hands the lease over on SIGTERM', async () => {
    const prefix = uniquePrefix('main');
    try {
      const env = { ADMIN_PORT: '0', GRPC_PORT: '0', LOG_LEVEL: 'info', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, CONTROL_PLANE_ID: 'cp-main-test' };
      const p = startService('control-plane', env);
      processes.push(p);
      const ports = await waitFor(() => listeningLine(p), 10_000, 20, 'the listening line');
      expect((await fetch(`http://127.0.0.1:${ports.admin_port}/ready`)).status).toBe(200);
      const leader = await (await fetch(`http://127.0.0.1:${ports.admin_port}/admin/leader`)).json();
      expect(leader).toEqual({ id: 'cp-main-test', epoch: 1, self: true });
      p.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      const redis = new Redis(TEST_REDIS_URL);
      expect(await redis.exists(`${prefix}leader`)).toBe(0);
      expect(await redis.hget(`${prefix}table`, 'epoch')).toBe('1');
      redis.disconnect();
    } finally {
      await deleteKeys(prefix);
    }
  });
});
