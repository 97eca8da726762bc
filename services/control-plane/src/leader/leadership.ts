/** Which replica leads, for `GET /admin/leader` and for stamping tables. */
export interface LeaderInfo {
  id: string;
  epoch: number;
}

/**
 * Leadership as the rest of the control plane sees it. Only the leader computes
 * and publishes tables (ARCHITECTURE.md, "State in Redis"); the Redis lease of
 * issue 3 implements this same interface, with an epoch that grows on every
 * acquisition.
 */
export interface Leadership {
  /** This replica's id. */
  readonly replicaId: string;
  isLeader(): boolean;
  /** The epoch this replica writes tables with while it leads. */
  epoch(): number;
  /** The current leader as known to this replica. */
  leader(): Promise<LeaderInfo>;
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
  };
}
