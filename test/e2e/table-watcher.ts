import { applyDelta, createRoutingClient, isDelta, type RoutingTable } from '@switchyard/proto';

/** The part of the generated client and its stream these tests use. */
interface WatchClient {
  WatchRoutingTable(request: object): { on(event: string, listener: (value: never) => void): unknown; cancel(): void };
  close(): void;
}

/**
 * A raw WatchRoutingTable client for tests (issue 16): records every message as
 * it came off the wire, and keeps the table they add up to. `deltas: false` sends
 * the WatchRequest a gateway of the previous release sends (no supports_deltas).
 */
export interface TableWatcher {
  readonly messages: RoutingTable[];
  /** The table the messages add up to (snapshots replace it, batches apply to it). */
  table(): RoutingTable | undefined;
  /** Batches that did not apply (should stay empty against a correct control plane). */
  readonly rejected: string[];
  close(): void;
}

/** `have`: the table the watcher already holds (its epoch and version go into the request). */
export function watchTables(address: string, options: { gatewayId: string; deltas: boolean; have?: RoutingTable }): TableWatcher {
  const client = createRoutingClient(address) as unknown as WatchClient;
  const request: Record<string, unknown> = { gateway_id: options.gatewayId, have_epoch: options.have?.epoch ?? 0, have_version: options.have?.version ?? 0 };
  if (options.deltas) request.supports_deltas = true;
  const call = client.WatchRoutingTable(request);
  const messages: RoutingTable[] = [];
  const rejected: string[] = [];
  let table: RoutingTable | undefined = options.have;
  call.on('data', (message: RoutingTable) => {
    messages.push(message);
    if (!isDelta(message)) {
      table = message;
      return;
    }
    const result = table ? applyDelta(table, message) : undefined;
    if (result?.ok) table = result.table;
    else rejected.push(result ? `${result.reason}: ${result.detail}` : 'a batch before any table');
  });
  call.on('error', () => undefined);
  return {
    messages,
    table: () => table,
    rejected,
    close() {
      call.cancel();
      client.close();
    },
  };
}

/** A table without what legitimately differs between two copies of the same version. */
export function comparable(table: RoutingTable | undefined): unknown {
  if (!table) return undefined;
  // Stream-only fields: a snapshot carries them empty, a table built from batches lacks them.
  const { delta: _delta, peer_placements: _placements, ...rest } = table;
  return { ...rest, api_keys: [...rest.api_keys].sort((a, b) => a.key_sha256.localeCompare(b.key_sha256)) };
}
