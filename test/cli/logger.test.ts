import { describe, expect, it } from 'vitest';
import { ProcessorError } from '../../src/actors/errors.js';
import { commandLogOutput } from '../../src/cli/logger.js';
import { createLogger } from '../../src/observability/logger.js';
import { messageWithCauses } from '../../src/observability/log-errors.js';
import { captureIo } from './io.js';

/** A crash as the http-client built them: each level says its cause and chains it too. */
function chainedCrash(): Error {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8092'), { code: 'ECONNREFUSED' });
  const probe = new Error('TCP connection failed: connect ECONNREFUSED 127.0.0.1:8092', { cause: refused });
  return new ProcessorError('upstream http://127.0.0.1:8092 is unreachable: TCP connection failed: connect ECONNREFUSED 127.0.0.1:8092', {
    recoverable: true,
    cause: probe,
  });
}

function loggedErr(level: 'info' | 'debug', error: unknown): Record<string, unknown> {
  const io = captureIo();
  createLogger({ name: 'test', level, ...commandLogOutput(io.stderr), format: 'json' }).warn({ err: error }, 'crashed');
  return (JSON.parse(io.stderr.text) as { err: Record<string, unknown> }).err;
}

describe('the command logger', () => {
  it('says a crash cause once in the logged message, however the causes are chained', () => {
    const err = loggedErr('info', chainedCrash());
    expect(err['message']).toBe('upstream http://127.0.0.1:8092 is unreachable: TCP connection failed: connect ECONNREFUSED 127.0.0.1:8092');
    expect(err['type']).toBe('ProcessorError');
    expect(err['recoverable']).toBe(true);
  });

  it('adds the causes a message does not say yet', () => {
    const error = new Error('init failed', { cause: new Error('no licence', { cause: new Error('licence server down') }) });
    expect(messageWithCauses(error)).toBe('init failed: no licence: licence server down');
    const looped: { message: string; cause?: unknown } = { message: 'a' };
    looped.cause = { message: 'b', cause: looped };
    expect(messageWithCauses(looped)).toBe('a: b');
  });

  it('leaves the stack trace out unless the level is debug or trace', () => {
    expect(loggedErr('info', chainedCrash())).not.toHaveProperty('stack');
    expect(loggedErr('debug', chainedCrash())['stack']).toMatch(/^ProcessorError: upstream/);
  });

  it('logs an error whose getters throw, instead of throwing', () => {
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    expect(loggedErr('info', hostile)).toMatchObject({ type: 'Error' });
  });
});
