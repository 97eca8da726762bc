/**
 * Resident memory and CPU time of a target process (and its children, for nginx's
 * workers), read from /proc so it works for any target, not only ones with /metrics.
 */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** @param {number} pid @returns {number[]} pid and every descendant */
function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length && i < 64; i += 1) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // The process exited between listing and reading; it has no memory to count.
    }
  }
  return out;
}

/** @param {number} pid @returns {number} VmRSS of the tree in MiB (NaN when unreadable) */
export function rssMb(pid) {
  let kb = 0;
  let found = false;
  for (const p of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (match) {
        kb += Number(match[1]);
        found = true;
      }
    } catch {
      // Exited meanwhile.
    }
  }
  return found ? kb / 1024 : Number.NaN;
}

/** @param {number} pid @returns {number} user + system CPU seconds of the tree */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited meanwhile.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * Samples RSS every `intervalMs` until stop(); reports the peak, the first and last
 * sample, and the CPU the tree used over the window (seconds, and % where 100 = one
 * full core).
 * @param {number} pid
 * @param {number} [intervalMs]
 */
export function startSampler(pid, intervalMs = 250) {
  if (pid <= 0) return { stop: () => ({ rss_max_mb: Number.NaN, rss_first_mb: Number.NaN, rss_last_mb: Number.NaN, cpu_s: Number.NaN, cpu_pct: Number.NaN, samples: [] }) };
  const startedAt = performance.now();
  const cpuStart = cpuSeconds(pid);
  /** @type {number[]} */
  const samples = [rssMb(pid)];
  const timer = setInterval(() => samples.push(rssMb(pid)), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(rssMb(pid));
      const finite = samples.filter(Number.isFinite);
      const elapsedS = (performance.now() - startedAt) / 1000;
      const cpuS = cpuSeconds(pid) - cpuStart;
      return {
        rss_max_mb: finite.length ? Math.max(...finite) : Number.NaN,
        rss_first_mb: finite[0] ?? Number.NaN,
        rss_last_mb: finite.at(-1) ?? Number.NaN,
        cpu_s: cpuS,
        cpu_pct: elapsedS > 0 ? (100 * cpuS) / elapsedS : Number.NaN,
        samples: finite,
      };
    },
  };
}
