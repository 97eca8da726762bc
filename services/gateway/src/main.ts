import { loadConfigOrExit } from '@switchyard/config';
import { createLifecycle, exitOnSignals } from '@switchyard/lifecycle';
import { createLogger } from '@switchyard/observability';
import { configSchema } from './config';
import { createGateway } from './create-gateway';

const config = loadConfigOrExit('gateway', configSchema);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const gateway = createGatewayOrExit();
const lifecycle = createLifecycle([gateway], logger);
exitOnSignals(lifecycle, { graceMs: config.SHUTDOWN_GRACE_MS, logger });
lifecycle.start().catch((err: unknown) => {
  logger.error('start failed', { error: String(err) });
  process.exit(1);
});

/** Construction fails only on unreadable TLS files: one line on stderr, exit 1, like a config error. */
function createGatewayOrExit() {
  try {
    return createGateway(config, { logger });
  } catch (err) {
    process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
