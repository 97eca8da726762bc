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
