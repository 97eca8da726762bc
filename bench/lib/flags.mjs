/**
 * `--name=value` flags for the small standalone servers under bench/ (responder,
 * proxies), and the "run me as main" test they all share.
 */
import { pathToFileURL } from 'node:url';

/**
 * @param {string[]} argv
 * @returns {Record<string, string>}
 */
export function parseFlags(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match) flags[match[1]] = match[2];
  }
  return flags;
}

/**
 * Whether the module at `moduleUrl` is the process entry point.
 * @param {string} moduleUrl  import.meta.url
 */
export function isMain(moduleUrl) {
  return moduleUrl === pathToFileURL(process.argv[1] ?? '').href;
}

/**
 * Same accept-queue length as the gateway (LISTEN_BACKLOG in @switchyard/lifecycle):
 * with Node's 511, 2,000 streams opened within a second overflow the queue and
 * dropped SYNs retry after 1, 3, 7 s, so the baselines would measure the kernel.
 */
const LISTEN_BACKLOG = 4096;

/**
 * Listens on `host:port` (0 picks a free port) and resolves with the bound port.
 * @param {import('node:net').Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<number>}
 */
export function listenWithBacklog(server, port, host) {
  return new Promise((resolve) => server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
    const address = server.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  }));
}

/**
 * Prints the listening line the harness waits for and stops cleanly on signals.
 * @param {number} port
 * @param {() => Promise<void>} stop
 */
export function announceAndAwaitSignals(port, stop) {
  console.log(JSON.stringify({ message: 'listening', port }));
  const exit = () => void stop().then(() => process.exit(0));
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
}
