/**
 * Starts nginx (when it is on PATH) from nginx.conf.template in a private prefix
 * directory, in the foreground so the harness owns the process and can stop it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGET_CORE, freePort, onPath, startProcess, waitForHttp } from '../lib/processes.mjs';

const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nginx.conf.template');

/** @returns {string | null} `nginx version: nginx/1.22.1`, or null when nginx is absent */
export function nginxVersion() {
  if (!onPath('nginx')) return null;
  return spawnSync('nginx', ['-v']).stderr.toString().trim() || 'nginx (version unknown)';
}

/**
 * @param {{upstreamPort: number, pin: boolean}} options
 * @returns {Promise<{url: string, pid: number, stop(): Promise<void>}>}
 */
export async function startNginx(options) {
  const prefix = mkdtempSync(path.join(tmpdir(), 'switchyard-bench-nginx-'));
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(prefix, dir));
  const port = await freePort();
  // As root, nginx's workers would drop to `nobody` and could not use the private
  // prefix; keep them as the invoking user.
  const isRoot = process.getuid?.() === 0;
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{USER_DIRECTIVE}}', isRoot ? 'user root root;' : '')
    .replaceAll('{{PREFIX}}', prefix)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{UPSTREAM_PORT}}', String(options.upstreamPort));
  const configFile = path.join(prefix, 'nginx.conf');
  writeFileSync(configFile, config);
  const proc = startProcess({ name: 'nginx', command: 'nginx', args: ['-p', prefix, '-c', configFile], core: TARGET_CORE, pin: options.pin });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, { proc });
  return {
    url,
    pid: proc.pid,
    async stop() {
      await proc.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
