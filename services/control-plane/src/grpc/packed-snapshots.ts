import { packKeys, type ApiKeyRecord, type PackedKeys, type RoutingTable } from '@switchyard/proto';

/**
 * The snapshot a gateway with supports_packed_keys gets (issue 16): the same
 * table with its keys as packed_keys instead of api_keys. One packed form per
 * table object (so the grpc server encodes it once for every stream, see
 * serializeOnce) and one packing per key list: a scheduler change reuses the
 * packed keys of the table before it.
 */
export function createPackedSnapshots(): (table: RoutingTable) => RoutingTable {
  const byTable = new WeakMap<RoutingTable, RoutingTable>();
  const byKeys = new WeakMap<readonly ApiKeyRecord[], PackedKeys>();
  return (table) => {
    let packed = byTable.get(table);
    if (packed) return packed;
    let keys = byKeys.get(table.api_keys);
    if (!keys) {
      keys = packKeys(table.api_keys);
      byKeys.set(table.api_keys, keys);
    }
    packed = { ...table, api_keys: [], packed_keys: keys };
    byTable.set(table, packed);
    return packed;
  };
}
