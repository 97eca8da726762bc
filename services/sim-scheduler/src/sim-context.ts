import type { ServerResponse } from 'node:http';
import type { Logger } from '@switchyard/observability';
import type { PrefixCache } from './cache/prefix-cache';
import type { Fault } from './faults/fault';
import type { SlotPool } from './generation/slot-pool';
import type { SimMetrics } from './metrics';
import type { ParseContext } from './requests/request-fields';
import type { SimStats } from './stats/sim-stats';

/** Everything the sim's handlers share, built once by createSim (no module state). */
export interface SimContext {
  id: () => string;
  ttftMs: number;
  itlMs: number;
  /** SIM_PREFILL_MS_PER_TOKEN: added to the first token's delay per uncached prompt token. */
  prefillMsPerToken: number;
  cache: PrefixCache;
  failRate: number;
  apiKey: string | undefined;
  embeddingDim: number;
  maxBodyBytes: number;
  parse: ParseContext;
  pool: SlotPool;
  stats: SimStats;
  metrics: SimMetrics;
  /** The process-wide fault (SIM_FAULT, `POST /sim/fault`). */
  fault: { current: Fault };
  /** Requests held open by the `hang` fault; stop() closes them at once. */
  hung: Set<ServerResponse>;
  draining: () => boolean;
  rand: () => number;
  newId: (prefix: string) => string;
  logger: Logger;
}
