import type { GatewayPlacements, PrefixPlacement } from '@switchyard/proto';
import { BLOCK_HASH_SCHEME, type PrefixIndex, type PrefixQuery } from '@switchyard/routing';
import { counterIn, newCounter, setCount, type LiveCounter } from './live-counter';

/**
 * How cache-aware gateways agree (issue 18 item 3, docs/routing.md): each gateway
 * reports the prompts it routed (chained block hashes and scheduler) and its
 * in-flight counts with its once-a-second stats report; the control plane
 * forwards them to the other gateways, which record the placements in their own
 * prefix index, as if they had routed them, and add the counts to the load bound.
 * So a conversation's next turn finds where its previous turn went whichever
 * gateway it reaches, and every gateway bounds a scheduler's load by the fleet's
 * requests, not only its own.
 */
export interface PeerPlacements {
  /** This gateway's cache-aware pick, for its next report. */
  routed(schedulerId: string, query: PrefixQuery): void;
  /** The placements since the previous report (then forgotten), and whether this gateway shares at all. */
  drain(): { placements: PrefixPlacement[]; shares: boolean };
  /**
   * What other gateways routed (from the table stream): placements into the index
   * (`known` schedulers only, hashed as this release hashes: BLOCK_HASH_SCHEME),
   * counts kept. Returns the placements recorded.
   */
  apply(peers: readonly GatewayPlacements[], known: (schedulerId: string) => boolean): number;
  /** The live count of requests the other gateways have in flight to a scheduler (read `value`; plans attach their Σ to it). */
  counter(schedulerId: string): LiveCounter;
  /** Drops the idle counters of schedulers that left the table. */
  retain(ids: ReadonlySet<string>): void;
}

export interface PeerPlacementOptions {
  index: PrefixIndex;
  /** Placements kept for one report at most; the rest of a burst is not shared (default 2,048). */
  maxPerReport?: number;
  /** A peer's counts older than this are dropped (a gateway that stopped reporting). Default 5 s. */
  staleMs?: number;
  /** How long after its last cache-aware pick a gateway keeps reporting its counts (default 10 s). */
  shareForMs?: number;
  now?: () => number;
}

const DEFAULT_MAX_PER_REPORT = 2_048;
const DEFAULT_STALE_MS = 5_000;
const DEFAULT_SHARE_FOR_MS = 10_000;

export function createPeerPlacements(options: PeerPlacementOptions): PeerPlacements {
  const max = options.maxPerReport ?? DEFAULT_MAX_PER_REPORT;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const shareForMs = options.shareForMs ?? DEFAULT_SHARE_FOR_MS;
  const now = options.now ?? Date.now;
  // A query's hashes are its own copy (BlockHasher.query copies them): kept and sent as they are.
  let outbox: PrefixPlacement[] = [];
  let lastRoutedAt = Number.NEGATIVE_INFINITY;
  const peers = new Map<string, { at: number; inFlight: Record<string, number> }>();
  const totals = new Map<string, LiveCounter>();
  const counterOf = (id: string) => counterIn(totals, id, newCounter);
  // Once per report: the new totals first, then each counter set to its own, so the plans' sums move by the changes only.
  const sum = () => {
    const next = new Map<string, number>();
    for (const peer of peers.values()) {
      for (const id in peer.inFlight) {
        // A count that is not a finite positive number adds nothing: a NaN would stay in every running sum.
        const count = peer.inFlight[id]!;
        if (Number.isFinite(count) && count > 0) next.set(id, (next.get(id) ?? 0) + count);
      }
    }
    for (const [id, counter] of totals) setCount(counter, next.get(id) ?? 0);
    for (const [id, value] of next) setCount(counterOf(id), value);
  };
  /** Forgets peers that stopped reporting (gone, or their stream moved to another replica); true when one was. */
  const dropStale = (at: number): boolean => {
    let dropped = false;
    for (const [id, peer] of peers) {
      if (at - peer.at <= staleMs) continue;
      peers.delete(id);
      dropped = true;
    }
    return dropped;
  };
  return {
    routed(schedulerId, query) {
      lastRoutedAt = now();
      if (outbox.length < max) outbox.push({ scheduler_id: schedulerId, block_hashes: query.hashes.length === query.count ? query.hashes : query.hashes.slice(0, query.count) });
    },
    drain() {
      const at = now();
      if (dropStale(at)) sum();
      const placements = outbox;
      outbox = [];
      return { placements, shares: placements.length > 0 || at - lastRoutedAt < shareForMs };
    },
    apply(batch, known) {
      const at = now();
      let recorded = 0;
      for (const peer of batch) {
        peers.set(peer.gateway_id, { at, inFlight: peer.in_flight ?? {} });
        // Another release's hashes never match this one's (a control plane before the scheme field forwards every gateway's).
        if ((peer.block_hash_scheme ?? 0) !== BLOCK_HASH_SCHEME) continue;
        for (const placement of peer.placements ?? []) {
          const hashes = placement.block_hashes;
          if (!known(placement.scheduler_id) || !Array.isArray(hashes) || hashes.length === 0) continue;
          options.index.record(placement.scheduler_id, queryOf(hashes));
          recorded += 1;
        }
      }
      dropStale(at);
      sum();
      return recorded;
    },
    counter: counterOf,
    retain(ids) {
      for (const [id, counter] of totals) if (counter.value === 0 && !ids.has(id)) totals.delete(id);
    },
  };
}

/** A received chain as the index records it (only hashes and count are read). */
function queryOf(hashes: readonly number[]): PrefixQuery {
  return { hashes, count: hashes.length, instructionBlocks: 0 };
}
