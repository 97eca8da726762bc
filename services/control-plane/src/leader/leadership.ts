import type { TableFence } from '../state/state-store';

/** Which replica leads, for `GET /admin/leader` and for stamping tables. */
export interface LeaderInfo {
  /** The leading replica's id; null while no replica holds the lease. */
  id: string | null;
  epoch: number;
}

/**
 * Leadership as the rest of the control plane sees it. Only the leader probes
 * and computes tables (ARCHITECTURE.md, "State in Redis"); with Redis this is a
 * lease plus an epoch that grows on every acquisition (redis-leadership.ts).
 */
export interface Leadership {
  /** This replica's id. */
  readonly replicaId: string;
  isLeader(): boolean;
  /** The epoch this replica writes tables with while it leads. */
  epoch(): number;
  /** The current leader as known to this replica. */
  leader(): Promise<LeaderInfo>;
  /** What table writes carry so Redis can refuse them once this replica no longer leads. */
  fence(): TableFence | undefined;
  /** Calls `listener` whenever isLeader() changes; returns the unsubscribe function. */
  onChange(listener: (leading: boolean) => void): () => void;
}

/**
 * The embedded (in-memory state) control plane is a single replica: it is always
 * the leader, in epoch 1.
 */
export function createSingleReplicaLeadership(replicaId: string): Leadership {
  return {
    replicaId,
    isLeader: () => true,
    epoch: () => 1,
    leader: async () => ({ id: replicaId, epoch: 1 }),
    fence: () => undefined,
    onChange: () => () => undefined,
  };
}
