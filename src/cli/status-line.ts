/**
 * Live status of a running instance: TPS over the last interval, requests in flight,
 * errors, processors by state. On a TTY it is one line on stderr, redrawn about once a
 * second (log lines are printed above it); elsewhere it is logged every few seconds.
 */
import type { Logger } from 'pino';
import type { Instance } from '../instance/instance.js';
import type { OutputStream } from './io.js';

/** The figures of one status line. */
export interface StatusFigures {
  /** Seconds since the run started. */
  elapsedS: number;
  /** Responses per second over the last interval. */
  tps: number;
  /** Requests in flight on the bus. */
  inFlight: number;
  /** Errors since the start (every kind). */
  errors: number;
  /** Processor state -> how many processors are in it. */
  processors: Record<string, number>;
}

/** `prosa-demo  12s  998 tps  in flight 3  errors 0  serving 2` */
export function formatStatus(instance: string, figures: StatusFigures): string {
  const states = Object.entries(figures.processors)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  return `${instance}  ${Math.round(figures.elapsedS)}s  ${Math.round(figures.tps)} tps  in flight ${figures.inFlight}  errors ${figures.errors}  ${states}`;
}

/** A terminal line that log output can be printed above. */
export class TtyLine {
  private readonly out: OutputStream;
  private text = '';

  constructor(out: OutputStream) {
    this.out = out;
  }

  /** Shows `text` as the line (cut to the terminal's width). */
  show(text: string): void {
    const columns = this.out.columns ?? 0;
    const width = columns > 1 ? columns - 1 : 120;
    this.text = text.length > width ? text.slice(0, width) : text;
    this.out.write(`\r\x1b[2K${this.text}`);
  }

  /** Prints `chunk` (whole lines) above the line, then redraws the line. */
  print(chunk: string): void {
    if (this.text === '') {
      this.out.write(chunk);
      return;
    }
    this.out.write('\r\x1b[2K');
    this.out.write(chunk);
    this.out.write(this.text);
  }

  /** Removes the line for good. */
  clear(): void {
    if (this.text !== '') this.out.write('\r\x1b[2K');
    this.text = '';
  }
}

/** Options of a {@link StatusReporter}. */
export interface StatusOptions {
  /** The line to redraw, on a TTY; without one the status is logged. */
  tty?: TtyLine;
  /** Where the status goes when there is no TTY. */
  logger: Logger;
  /**
   * Time between two updates, in milliseconds.
   * @defaultValue 1000 on a TTY, 5000 otherwise
   */
  intervalMs?: number;
}

/** Updates the status of an instance on a timer until `stop()`. */
export class StatusReporter {
  private readonly instance: Instance;
  private readonly options: StatusOptions;
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private startedAt = 0;
  private last = { at: 0, responses: 0 };

  constructor(instance: Instance, options: StatusOptions) {
    this.instance = instance;
    this.options = options;
    this.intervalMs = options.intervalMs ?? (options.tty === undefined ? 5_000 : 1_000);
  }

  /** Starts the updates (idempotent). */
  start(): void {
    if (this.timer !== undefined) return;
    this.startedAt = performance.now();
    this.last = { at: this.startedAt, responses: this.instance.prosa.stats().responses };
    this.timer = setInterval(() => this.update(), this.intervalMs);
  }

  /** Stops the updates and clears the TTY line (idempotent). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.options.tty?.clear();
  }

  /** The figures as of now; moves the TPS window forward. */
  figures(): StatusFigures {
    const now = performance.now();
    const stats = this.instance.prosa.stats();
    const dt = (now - this.last.at) / 1_000;
    const tps = dt > 0 ? (stats.responses - this.last.responses) / dt : 0;
    this.last = { at: now, responses: stats.responses };
    const processors: Record<string, number> = {};
    for (const entry of this.instance.processors.values()) {
      const state = entry.processor.state;
      processors[state] = (processors[state] ?? 0) + 1;
    }
    return {
      elapsedS: (now - this.startedAt) / 1_000,
      tps,
      inFlight: stats.inFlight,
      errors: Object.values(stats.errors).reduce((sum, n) => sum + n, 0),
      processors,
    };
  }

  private update(): void {
    const figures = this.figures();
    const text = formatStatus(this.instance.settings.name, figures);
    if (this.options.tty !== undefined) this.options.tty.show(text);
    else this.options.logger.info({ status: figures }, text);
  }
}
