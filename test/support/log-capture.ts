import { Writable } from 'node:stream';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** One parsed pino JSON line. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; proc?: string };

/** A pino logger writing into memory: every raw line, and the lines parsed. */
export function captureLogs(options: LoggerOptions = {}): { logger: Logger; raw: string[]; lines: () => LogLine[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug', ...options }, stream);
  const lines = () =>
    raw
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LogLine);
  return { logger, raw, lines };
}
