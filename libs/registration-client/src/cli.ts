#!/usr/bin/env node
import { createLogger } from '@switchyard/observability';
import { CLI_USAGE, loadCliConfig } from './cli-config';
import { runSidecar } from './run-sidecar';

// `switchyard-register`: wiring only (config, logger, signals, exit code).
const parsed = loadCliConfig(process.argv.slice(2), process.env);
if (parsed.ok === 'help') {
  process.stdout.write(`${CLI_USAGE}\n`);
  process.exit(0);
}
if (!parsed.ok) {
  process.stderr.write(`switchyard-register: invalid configuration: ${parsed.problems.join('; ')}\n`);
  process.exit(1);
}
const config = parsed.config;
const logger = createLogger({ service: 'switchyard-register', level: config.LOG_LEVEL });
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info('stopping', { signal });
    stop.abort();
  });
}
runSidecar(config, { logger, signal: stop.signal }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.error('sidecar failed', { error: String(err) });
    process.exit(1);
  },
);
