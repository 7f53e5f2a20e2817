/**
 * Process figures: memory, CPU time and event-loop delay of the Node.js process a bus runs
 * in. The event-loop delay comes from `perf_hooks.monitorEventLoopDelay`, enabled while
 * the figures are open and disabled by `close()` (prom-client's `collectDefaultMetrics`
 * starts monitors and GC observers it never stops, one set per registry).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Event-loop delay over the time since the previous sample, in seconds. */
export interface EventLoopLag {
  /** Mean delay. */
  meanSeconds: number;
  /** Median delay. */
  p50Seconds: number;
  /** 99th percentile of the delay. */
  p99Seconds: number;
  /** Longest delay. */
  maxSeconds: number;
}

/** One reading of the process figures. */
export interface ProcessSample {
  /** Resident set size. */
  residentMemoryBytes: number;
  /** V8 heap in use. */
  heapUsedBytes: number;
  /** V8 heap reserved. */
  heapTotalBytes: number;
  /** Memory of C++ objects bound to JavaScript objects (buffers included). */
  externalMemoryBytes: number;
  /** User plus system CPU time since the process started. */
  cpuSeconds: number;
  /** Process start, in seconds since the Unix epoch. */
  startTimeSeconds: number;
  /** Event-loop delay since the previous sample (zeros once closed). */
  eventLoopLag: EventLoopLag;
}

/** Default resolution of the event-loop delay monitor, in milliseconds. */
export const DEFAULT_EVENT_LOOP_RESOLUTION_MS = 10;

const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/** Reads the process figures. Open until `close()`. */
export class ProcessFigures {
  private monitor: IntervalHistogram | undefined;
  private last: ProcessSample;

  /** @param resolutionMs sampling interval of the event-loop delay monitor. */
  constructor(resolutionMs = DEFAULT_EVENT_LOOP_RESOLUTION_MS) {
    this.monitor = monitorEventLoopDelay({ resolution: resolutionMs });
    this.monitor.enable();
    this.last = this.sample();
  }

  /**
   * Reads every figure now. The event-loop delay covers the time since the previous
   * sample (the monitor restarts at each sample), as Prometheus scrapes expect.
   */
  sample(): ProcessSample {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const monitor = this.monitor;
    let eventLoopLag: EventLoopLag = { meanSeconds: 0, p50Seconds: 0, p99Seconds: 0, maxSeconds: 0 };
    if (monitor !== undefined && monitor.count > 0) {
      eventLoopLag = {
        meanSeconds: monitor.mean / 1e9,
        p50Seconds: monitor.percentile(50) / 1e9,
        p99Seconds: monitor.percentile(99) / 1e9,
        maxSeconds: monitor.max / 1e9,
      };
      monitor.reset();
    }
    this.last = {
      residentMemoryBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalMemoryBytes: memory.external,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      startTimeSeconds: START_TIME_SECONDS,
      eventLoopLag,
    };
    return this.last;
  }

  /** The last sample taken. */
  latest(): ProcessSample {
    return this.last;
  }

  /** Stops the event-loop delay monitor. Idempotent; `sample()` still reads memory and CPU. */
  close(): void {
    this.monitor?.disable();
    this.monitor = undefined;
  }
}
