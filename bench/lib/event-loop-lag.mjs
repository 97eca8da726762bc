/**
 * Reading a Node service's event-loop lag from its Prometheus text: prom-client's
 * `nodejs_eventloop_lag_*_seconds` gauges (monitorEventLoopDelay, reset on every
 * scrape, so each scrape closes one window). The gateway and the control plane
 * both expose them.
 */

/**
 * The first sample of `name` in a Prometheus text (labels ignored), or NaN.
 * @param {string} text
 * @param {string} name
 * @returns {number}
 */
export function gauge(text, name) {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * The event-loop lag p99 (seconds) since the previous scrape of `url`'s /metrics.
 * @param {string} url
 * @returns {Promise<number>}
 */
export async function scrapeEventLoopP99(url) {
  const res = await fetch(`${url}/metrics`);
  return gauge(await res.text(), 'nodejs_eventloop_lag_p99_seconds');
}

/** @typedef {{p50_s: number, p99_s: number, max_s: number} & Record<string, number>} LagWindow */

/**
 * Scrapes `url`'s /metrics every `everyMs` until stopped, one lag window per
 * scrape (the first scrape only opens the first window). `extra` names more
 * gauges to read at each scrape (`{table_version: 'switchyard_…'}`). stop()
 * closes the running window early with a last scrape and returns every window.
 * @param {string} url
 * @param {{everyMs?: number, extra?: Record<string, string>}} [options]
 * @returns {{stop(): Promise<LagWindow[]>}}
 */
export function sampleEventLoopLag(url, options = {}) {
  const everyMs = options.everyMs ?? 5_000;
  const extra = Object.entries(options.extra ?? {});
  /** @type {LagWindow[]} */
  const windows = [];
  let running = true;
  /** @type {() => void} */
  let wake = () => undefined;
  const scrape = () => fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
  const loop = (async () => {
    await scrape();
    while (running) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => (clearTimeout(timer), resolve(undefined));
      });
      const text = await scrape();
      /** @type {LagWindow} */
      const window = { p50_s: gauge(text, 'nodejs_eventloop_lag_p50_seconds'), p99_s: gauge(text, 'nodejs_eventloop_lag_p99_seconds'), max_s: gauge(text, 'nodejs_eventloop_lag_max_seconds') };
      for (const [field, name] of extra) window[field] = gauge(text, name);
      windows.push(window);
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
      return windows;
    },
  };
}
