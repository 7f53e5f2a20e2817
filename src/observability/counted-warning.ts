/**
 * A warning about something that may happen often (a message dropped for its size, a
 * client refused): counted every time, logged the 1st, 10th, 100th, ... time with the
 * count so far, so a flood costs a few log lines.
 */
import type { Logger } from 'pino';

/** Where counted warnings go: any logger with `warn`. */
export type WarningLogger = Pick<Logger, 'warn'>;

/** One kind of counted warning. */
export class CountedWarning {
  /** Times it happened. */
  count = 0;

  constructor(
    private readonly logger: WarningLogger | undefined,
    private readonly message: string,
  ) {}

  /** Counts one more; logs it (with `fields` and the count) when the count is 1 or a power of ten. */
  hit(fields: Record<string, unknown> = {}): void {
    this.count++;
    if (this.logger === undefined || !isPowerOfTen(this.count)) return;
    this.logger.warn({ ...fields, count: this.count }, `${this.message} (${this.count} so far)`);
  }
}

function isPowerOfTen(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}
