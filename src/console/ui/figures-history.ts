/**
 * The last minutes of figures ticks, as the charts draw them: a bounded history (the
 * oldest tick leaves when a new one comes past the limit), turned into uPlot's columns
 * (one array of times, one array per series). Pure: no DOM.
 */
import type { FiguresTick } from '../figures.js';
import { SERVICE_ERROR_KINDS } from '../../actors/errors.js';

/** The latency percentiles the latency chart draws. */
export const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** Columns for a chart: `x` the tick times (seconds since the epoch), then one array per series, `null` where a tick has no value. */
export interface Columns {
  labels: string[];
  data: [number[], ...(number | null)[][]];
}

/** The choice "every service at once" of the service selector. */
export const ALL_SERVICES = '';

/** The figures ticks of the last `limit` intervals. */
export class FiguresHistory {
  private ticks: FiguresTick[] = [];

  /** @param limit most ticks kept (300 one-second ticks: five minutes). */
  constructor(private readonly limit = 300) {}

  /** Ticks kept now. */
  get size(): number {
    return this.ticks.length;
  }

  /** The newest tick, if any. */
  get last(): FiguresTick | undefined {
    return this.ticks[this.ticks.length - 1];
  }

  /** Forgets every tick, then keeps the newest `limit` of `ticks` (a snapshot's history). */
  reset(ticks: readonly FiguresTick[]): void {
    this.ticks = ticks.slice(-this.limit);
  }

  /** Adds a tick; the oldest leaves past the limit. */
  push(tick: FiguresTick): void {
    this.ticks.push(tick);
    if (this.ticks.length > this.limit) this.ticks.splice(0, this.ticks.length - this.limit);
  }

  /** Every service seen in the kept ticks, sorted. */
  services(): string[] {
    const names = new Set<string>();
    for (const tick of this.ticks) for (const name of Object.keys(tick.services)) names.add(name);
    return [...names].sort();
  }

  /** Requests per second: one series per service, at most `maxSeries` (the busiest), then the total. */
  requestRates(maxSeries = 8): Columns {
    const busiest = this.services()
      .map((name) => ({ name, total: this.ticks.reduce((sum, tick) => sum + (tick.services[name]?.requests ?? 0), 0) }))
      .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
      .slice(0, maxSeries)
      .map((entry) => entry.name)
      .sort();
    const columns = busiest.map((name) => this.ticks.map((tick) => tick.services[name]?.perSecond ?? null));
    return { labels: [...busiest, 'total'], data: [this.times(), ...columns, this.ticks.map((tick) => tick.totals.perSecond)] };
  }

  /** Errors per second by kind, of `service` or of every service ({@link ALL_SERVICES}). */
  errorRates(service: string): Columns {
    const columns = SERVICE_ERROR_KINDS.map((kind) =>
      this.ticks.map((tick) => {
        const figures = service === ALL_SERVICES ? tick.totals : tick.services[service];
        if (figures === undefined) return null;
        const seconds = tick.intervalMs > 0 ? tick.intervalMs / 1000 : 1;
        return figures.errors[kind] / seconds;
      }),
    );
    return { labels: [...SERVICE_ERROR_KINDS], data: [this.times(), ...columns] };
  }

  /** Latency percentiles of `service`, in milliseconds; `null` for a tick that timed no request of it. */
  latency(service: string): Columns {
    const columns = PERCENTILES.map((percentile) =>
      this.ticks.map((tick) => {
        const latency = tick.services[service]?.latencyMs;
        return latency === undefined || latency.count === 0 ? null : latency[percentile];
      }),
    );
    return { labels: PERCENTILES.map((percentile) => `${service} ${percentile}`), data: [this.times(), ...columns] };
  }

  private times(): number[] {
    return this.ticks.map((tick) => Date.parse(tick.at) / 1000);
  }
}
