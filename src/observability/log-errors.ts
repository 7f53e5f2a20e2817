/**
 * How a log line shows an error to the person who reads it (the `prosa` command's user):
 * the message says each cause once, URL passwords are masked, and the stack trace is
 * left out unless the level is `debug` or `trace`. Never throws, whatever was thrown.
 */
import { pino } from 'pino';
import { maskUrlCredentials } from './secrets.js';

/** Most causes of an error a log line follows. */
const MAX_CAUSES = 8;

/** The `message` of `value` when it is an error-like object, else undefined; never throws. */
function ownMessage(value: unknown): string | undefined {
  try {
    if (typeof value !== 'object' || value === null) return undefined;
    const message: unknown = (value as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error's message with its causes' messages, each said once: a cause whose message
 * the text already holds (`upstream unreachable: connect ECONNREFUSED` caused by
 * `connect ECONNREFUSED`) adds nothing. Never throws.
 */
export function messageWithCauses(error: unknown): string {
  let text = ownMessage(error) ?? '';
  const seen = new Set<unknown>([error]);
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES; depth++) {
    let cause: unknown;
    try {
      cause = (current as { cause?: unknown }).cause;
    } catch {
      break;
    }
    if (cause === undefined || cause === null || seen.has(cause)) break;
    seen.add(cause);
    const message = ownMessage(cause);
    if (message !== undefined && message !== '' && !text.includes(message)) text = text === '' ? message : `${text}: ${message}`;
    current = cause;
  }
  return text;
}

/**
 * An `err` serializer for lines a user reads: pino's, but the message says each cause
 * once, and the stack trace is kept only when `withStack`. Never throws.
 */
export function userErrorSerializer(withStack: boolean): (error: unknown) => unknown {
  return (error) => {
    try {
      const serialized = pino.stdSerializers.err(error as Error) as unknown;
      if (typeof serialized !== 'object' || serialized === null || serialized === error) return serialized;
      const out = serialized as { message?: unknown; stack?: unknown };
      // The logger's formatters mask the log object before serializers run: mask URL passwords here.
      out.message = maskUrlCredentials(messageWithCauses(error));
      if (!withStack) delete out.stack;
      else if (typeof out.stack === 'string') out.stack = maskUrlCredentials(out.stack);
      return out;
    } catch {
      return { type: 'Error', message: maskUrlCredentials(messageWithCauses(error)) || 'an error that cannot be read' };
    }
  };
}
