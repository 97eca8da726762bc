import { loadConfigOrExit } from '@switchyard/config';
import { createLifecycle, exitOnSignals } from '@switchyard/lifecycle';
import { createLogger } from '@switchyard/observability';
import { configSchema } from './config';
import { createGateway } from './create-gateway';

const config = loadConfigOrExit('gateway', configSchema);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const gateway = createGateway(config, { logger });
const lifecycle = createLifecycle([gateway], logger);
exitOnSignals(lifecycle, { graceMs: config.SHUTDOWN_GRACE_MS, logger });
lifecycle.start().catch((err: unknown) => {
  logger.error('start failed', { error: String(err) });
  process.exit(1);
});
