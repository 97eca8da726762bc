import { createSlotPool } from './slot-pool';

describe('createSlotPool', () => {
  it('runs up to maxRunning, queues the rest in order, and reports load', () => {
    const pool = createSlotPool(2, 100);
    const granted: string[] = [];
    const a = pool.acquire(10, () => granted.push('a'));
    const b = pool.acquire(30, () => granted.push('b'));
    const c = pool.acquire(10, () => granted.push('c'));
    const d = pool.acquire(10, () => granted.push('d'));
    expect(granted).toEqual(['a', 'b']);
    expect(pool.load()).toEqual({ running: 2, waiting: 2, kv_cache_usage: 0.4 });
    c.release(); // left the queue before running
    a.release();
    a.release(); // idempotent
    expect(granted).toEqual(['a', 'b', 'd']);
    expect(pool.load()).toEqual({ running: 2, waiting: 0, kv_cache_usage: 0.4 });
    b.release();
    d.release();
    expect(pool.load()).toEqual({ running: 0, waiting: 0, kv_cache_usage: 0 });
  });

  it('caps the KV-cache ratio at 1', () => {
    const pool = createSlotPool(4, 10);
    pool.acquire(25, () => undefined);
    expect(pool.load().kv_cache_usage).toBe(1);
  });
});
