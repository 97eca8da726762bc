import { z } from 'zod';

/** `unknown`: registered and not probed yet (routable at full weight: registration checked it answers). */
export const SCHEDULER_STATES = ['unknown', 'healthy', 'degraded', 'unhealthy', 'draining'] as const;
export type SchedulerState = (typeof SCHEDULER_STATES)[number];

/** A scheduler as the admin API lists it (the contract's `Scheduler`). `api_key` is never here. */
export interface SchedulerView {
  id: string;
  url: string;
  models: string[];
  weight: number;
  priority: number;
  labels: Record<string, string>;
  source: 'admin' | 'self';
  state: SchedulerState;
  effective_weight: number;
  registered_at: string;
  last_probe_at: string | null;
  last_error?: string;
  /** Requests one gateway keeps open to it at most, when registered with one. */
  max_concurrency?: number;
  /**
   * The scheduler's own load gauges from its /metrics; `source` is the engine whose names were
   * read (`vllm`, `sglang`, `llamacpp`, `tgi`, `sim`) and `metrics` the gauge names found.
   */
  load?: { running: number; waiting: number; kv_cache_usage: number; source?: string; metrics?: string[]; prefix_cache?: { hit_rate: number; hits?: number; queries?: number }; kv_cache_capacity_tokens?: number };
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Body of `POST /admin/scheduler/add`. URL host policy is checked separately. */
export const addSchedulerSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, 'id: 1-128 characters of letters, digits, . _ : -').optional(),
    url: z.string().min(1, 'url is required'),
    models: z.array(z.string().min(1).max(256)).max(256).optional(),
    weight: z.number().finite().min(0).max(1_000_000).default(1),
    priority: z.number().int().min(0).max(1000).default(0),
    labels: z.record(z.string(), z.string()).default({}),
    ttl_seconds: z.number().int().min(1).max(86_400).optional(),
    api_key: z.string().min(1).max(4096).optional(),
    /** Requests one gateway keeps open to this scheduler at most; absent = the gateway's default (issue 21 item 5). */
    max_concurrency: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type AddSchedulerRequest = z.infer<typeof addSchedulerSchema>;
