import { loadConfigOrExit } from '@switchyard/config';
import { createLifecycle, exitOnSignals } from '@switchyard/lifecycle';
import { createLogger } from '@switchyard/observability';
import { configSchema } from './config';
import { createSim } from './create-sim';

// Wiring only: config, logger, the sim, signals.
const config = loadConfigOrExit('sim-scheduler', configSchema);
const logger = createLogger({ service: 'sim-scheduler', level: config.LOG_LEVEL });
const sim = createSim(config, { logger });
const lifecycle = createLifecycle([sim], logger);
exitOnSignals(lifecycle, { graceMs: config.SHUTDOWN_GRACE_MS, logger });
lifecycle.start().catch((err: unknown) => {
  logger.error('start failed', { error: String(err) });
  process.exit(1);
});
