/**
 * The lifecycle log: one line per lifecycle change of a processor.
 *
 * Each at the level and in the words its new state calls for: `registered` (serving),
 * `stopped` and `restarting in N ms` at info, `crashed: cause` at warn, `failed: why:
 * cause` at error, the passing states at debug.
 */
import type { Logger } from 'pino';
import { messageOf } from '../tvf/unknown-value.js';
import type { Crash, ProcessorMachineContext, ProcessorState } from '../machines/processor.machine.js';

/** The level each state's arrival is logged at; the others are logged at debug. */
const LEVEL: Partial<Record<ProcessorState, 'info' | 'warn' | 'error'>> = {
  serving: 'info',
  crashed: 'warn',
  restarting: 'info',
  failed: 'error',
  stopped: 'info',
};

/** What a lifecycle line says of a processor: its logger, services and machine context. */
export interface LoggedProcessor {
  readonly logger: Logger;
  readonly services: readonly string[];
  /** The processor machine's context as of the change. */
  readonly context: ProcessorMachineContext;
}

/**
 * Logs that `processor` went from `previous` to `state`. The message is built only when
 * its level is on; the crash's error is already safe to log (see `Crash.error`).
 */
export function logLifecycle(processor: LoggedProcessor, state: ProcessorState, previous: ProcessorState): void {
  const { logger, context } = processor;
  const level = LEVEL[state] ?? 'debug';
  if (!logger.isLevelEnabled(level)) return;
  const crash = context.lastCrash;
  switch (state) {
    case 'serving':
      logger.info({ services: processor.services, from: previous }, 'registered');
      break;
    case 'crashed':
      logger.warn({ err: crash?.error, from: previous, recoverable: crash?.recoverable }, `crashed: ${causeOf(crash)}`);
      break;
    case 'restarting':
      logger.info(
        { delayMs: context.restartDelayMs, attempt: context.consecutiveCrashes },
        `restarting in ${context.restartDelayMs} ms`,
      );
      break;
    case 'failed': {
      const why = crash?.recoverable === false
        ? 'fatal error'
        : `restart budget spent (${context.crashTimes.length} crashes within ${context.restart.windowMs} ms)`;
      logger.error({ err: crash?.error, from: previous }, `failed: ${why}: ${causeOf(crash)}`);
      break;
    }
    default:
      logger[level]({ from: previous }, state);
  }
}

/** The one-line cause of a crash, for a log message. */
function causeOf(crash: Crash | undefined): string {
  return crash === undefined ? 'unknown cause' : messageOf(crash.error);
}
