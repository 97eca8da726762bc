import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import { waitFor } from '@switchyard/testing';
import { loadConfig } from '../config';
import { createGateway, type Gateway } from '../create-gateway';
import { startFakeControlPlane, type FakeControlPlane } from './fake-control-plane';

/** A gateway running in-process against a fake control plane, with its log lines captured. */
export interface GatewayHarness {
  readonly gateway: Gateway;
  readonly controlPlane: FakeControlPlane;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** Pushes `table` from the fake control plane and resolves once the gateway applied it. */
  applyTable(table: RoutingTable): Promise<void>;
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts a fake control plane and a gateway on port 0 watching it; `env` overrides config variables. */
export async function startGatewayHarness(env: Record<string, string> = {}): Promise<GatewayHarness> {
  const controlPlane = await startFakeControlPlane();
  const parsed = loadConfig({ PORT: '0', CONTROL_PLANE_ADDR: controlPlane.address, GATEWAY_ID: 'gw-test', ...env });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const logger = createLogger({ service: 'gateway', level: 'info', stream });
  const gateway = createGateway(parsed.config, { logger, reportIntervalMs: 100 });
  await gateway.start();
  return {
    gateway,
    controlPlane,
    baseUrl: `http://127.0.0.1:${gateway.port}`,
    async applyTable(table) {
      controlPlane.push(table);
      const isApplied = () => {
        const applied = gateway.store.current()?.table;
        return applied?.epoch === table.epoch && applied.version === table.version;
      };
      await waitFor(isApplied, 5_000, 10, `table ${table.epoch}/${table.version} applied`);
    },
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      await gateway.stop();
      await controlPlane.stop();
    },
  };
}
