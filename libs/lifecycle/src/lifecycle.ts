/** A long-lived part of a service: started in order, stopped in reverse. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Release every timer and socket; may wait for in-flight work. */
  stop(): Promise<void>;
}

export interface LifecycleLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface Lifecycle {
  start(): Promise<void>;
  /** Stops started components in reverse order; errors are logged, never stop the others. */
  stop(): Promise<void>;
}

export function createLifecycle(components: readonly Component[], logger: LifecycleLogger): Lifecycle {
  const started: Component[] = [];
  return {
    async start() {
      for (const component of components) {
        await component.start();
        started.push(component);
        logger.info('component started', { component: component.name });
      }
    },
    async stop() {
      while (started.length > 0) {
        const component = started.pop()!;
        try {
          await component.stop();
          logger.info('component stopped', { component: component.name });
        } catch (err) {
          logger.error('component failed to stop', { component: component.name, error: String(err) });
        }
      }
    },
  };
}

export interface ShutdownOptions {
  graceMs: number;
  logger: LifecycleLogger;
  /** Called first, before anything stops: e.g. turn /ready to 503. */
  onSignal?: () => void;
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT → stop the lifecycle, exit 0. If stopping takes longer than the
 * grace period, or a second signal arrives, exit 1 at once.
 */
export function exitOnSignals(lifecycle: Lifecycle, options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.error('second signal, exiting now', { signal });
      exit(1);
      return;
    }
    stopping = true;
    options.logger.info('shutting down', { signal, grace_ms: options.graceMs });
    options.onSignal?.();
    const deadline = setTimeout(() => {
      options.logger.error('grace period over, exiting with work in flight', { grace_ms: options.graceMs });
      exit(1);
    }, options.graceMs + 1_000);
    deadline.unref();
    lifecycle.stop().then(
      () => exit(0),
      (err: unknown) => {
        options.logger.error('shutdown failed', { error: String(err) });
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
