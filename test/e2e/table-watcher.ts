import { applyDelta, createRoutingClient, isDelta, unpackKeys, type RoutingTable, type WatchRequest } from '@switchyard/proto';

/**
 * A raw WatchRoutingTable client for tests (issue 16): records every message as
 * it came off the wire, and keeps the table they add up to. `deltas: false` sends
 * the WatchRequest a gateway of the previous release sends (no supports_deltas);
 * `packedKeys` asks for snapshot keys packed, as gateways since issue 16 do.
 */
export interface TableWatcher {
  readonly messages: RoutingTable[];
  /** The table the messages add up to (snapshots replace it, batches apply to it), packed keys listed as api_keys. */
  table(): RoutingTable | undefined;
  /** Batches that did not apply (should stay empty against a correct control plane). */
  readonly rejected: string[];
  close(): void;
}

/** `have`: the table the watcher already holds (its epoch and version go into the request). */
export function watchTables(address: string, options: { gatewayId: string; deltas: boolean; packedKeys?: boolean; have?: RoutingTable }): TableWatcher {
  const client = createRoutingClient(address);
  const request: WatchRequest = { gateway_id: options.gatewayId, have_epoch: options.have?.epoch ?? 0, have_version: options.have?.version ?? 0 };
  if (options.deltas) request.supports_deltas = true;
  if (options.packedKeys) request.supports_packed_keys = true;
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
    table: () => (table?.packed_keys ? { ...table, api_keys: unpackKeys(table.packed_keys), packed_keys: null } : table),
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
  const { delta: _delta, packed_keys: _packed, peer_placements: _placements, ...rest } = table;
  return { ...rest, api_keys: [...rest.api_keys].sort((a, b) => a.key_sha256.localeCompare(b.key_sha256)) };
}
