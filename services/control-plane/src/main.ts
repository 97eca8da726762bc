import { hostname } from 'node:os';
import { loadConfigOrExit } from '@switchyard/config';
import { exitOnSignals } from '@switchyard/lifecycle';
import { createLogger } from '@switchyard/observability';
import { configSchema } from './config';
import { createControlPlane, type ControlPlane } from './create-control-plane';

/** Wiring only: config, logger, the control plane, signals. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('control-plane', configSchema);
  const logger = createLogger({ service: 'control-plane', level: config.LOG_LEVEL });
  let controlPlane: ControlPlane;
  try {
    controlPlane = createControlPlane(config, { logger, replicaId: config.CONTROL_PLANE_ID ?? `${hostname()}-${process.pid}` });
    await controlPlane.start();
  } catch (err) {
    // One line on stderr, like a config error: the operator sees the cause at once.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`control-plane: ${message}\n`, () => process.exit(1));
    return;
  }
  exitOnSignals({ start: () => controlPlane.start(), stop: () => controlPlane.stop() }, { graceMs: config.SHUTDOWN_GRACE_MS, logger });
}

void main();
