import { BLOCK_HASH_SCHEME, createPrefixIndex, promptBlocks } from '@switchyard/routing';
import { createPeerPlacements } from './peer-placements';

const query = (text: string) => promptBlocks(text, 3, { blockChars: 8, maxChars: 1024 });

describe('peer placements', () => {
  it('reports this gateway\'s cache-aware picks once, and keeps sharing its counts for a while after the last', () => {
    let now = 0;
    const peers = createPeerPlacements({ index: createPrefixIndex(), now: () => now, maxPerReport: 2, shareForMs: 10_000 });
    expect(peers.drain()).toEqual({ placements: [], shares: false });
    const q = query('x'.repeat(20));
    peers.routed('s1', q);
    peers.routed('s2', q);
    peers.routed('s3', q); // over maxPerReport: not shared
    const first = peers.drain();
    expect(first.placements).toEqual([{ scheduler_id: 's1', block_hashes: [...q.hashes] }, { scheduler_id: 's2', block_hashes: [...q.hashes] }]);
    expect(first.shares).toBe(true);
    now = 5_000;
    expect(peers.drain()).toEqual({ placements: [], shares: true });
    now = 10_001;
    expect(peers.drain().shares).toBe(false);
  });

  it('records other gateways\' placements for known schedulers and sums their in-flight counts until they go stale', () => {
    let now = 0;
    const index = createPrefixIndex();
    const peers = createPeerPlacements({ index, now: () => now, staleMs: 5_000 });
    const q = query('y'.repeat(30));
    const s1 = peers.counter('s1');
    const scheme = BLOCK_HASH_SCHEME;
    const recorded = peers.apply([
      { gateway_id: 'gw-a', placements: [{ scheduler_id: 's1', block_hashes: [...q.hashes] }, { scheduler_id: 'gone', block_hashes: [...q.hashes] }], in_flight: { s1: 2 }, block_hash_scheme: scheme },
      { gateway_id: 'gw-b', placements: [{ scheduler_id: 's2', block_hashes: [] }], in_flight: { s1: 1, s2: 4 }, block_hash_scheme: scheme },
      // A gateway that hashes blocks another way (another release, forwarded by a control plane that does not filter): its counts only.
      { gateway_id: 'gw-old', placements: [{ scheduler_id: 's3', block_hashes: [...q.hashes] }], in_flight: { s3: 5 } },
    ], (id) => id !== 'gone');
    // Only the known scheduler's placement with hashes of this scheme is recorded (and counted for the metric).
    expect(recorded).toBe(1);
    expect(Object.fromEntries(index.match(q))).toEqual({ s1: q.count });
    expect([s1.value, peers.counter('s2').value, peers.counter('s3').value]).toEqual([3, 4, 5]);
    // gw-a reports again with fewer; gw-b falls silent and goes stale.
    now = 3_000;
    peers.apply([{ gateway_id: 'gw-a', placements: [], in_flight: {} }], () => true);
    expect(s1.value).toBe(1);
    now = 6_000;
    peers.drain();
    expect([s1.value, peers.counter('s2').value, peers.counter('s3').value]).toEqual([0, 0, 0]);
    // Malformed input routes nothing and throws nothing.
    expect(peers.apply([{ gateway_id: 'gw-c', placements: [{ scheduler_id: 's1', block_hashes: null as unknown as number[] }], in_flight: undefined as unknown as Record<string, number>, block_hash_scheme: scheme }], () => true)).toBe(0);
    expect(s1.value).toBe(0);
    peers.retain(new Set());
    expect(peers.counter('s1')).not.toBe(s1);
  });
});
