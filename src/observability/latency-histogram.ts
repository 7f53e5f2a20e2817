/**
 * The request latency histogram as prom-client exposes it, read from the
 * {@link RequestFigures} the hot path feeds rather than from `observe()` calls.
 */
import { Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { RequestFigures } from './request-figures.js';

type LatencyLabel = 'service' | 'le';
type HistogramExposition = MetricObjectWithValues<MetricValueWithName<LatencyLabel>>;

function noCollect(): void {}

/** `prosa_request_duration_seconds{service}`: a prom-client histogram over request figures. */
export class LatencyHistogram extends Histogram<LatencyLabel> {
  private readonly figures: RequestFigures;
  private readonly name: string;
  private readonly help: string;

  /** Registers the histogram `name` in `registry`, its buckets those of `figures`. */
  constructor(name: string, help: string, registry: Registry, figures: RequestFigures) {
    super({ name, help, labelNames: ['service'], buckets: [...figures.latencyBuckets], registers: [registry] });
    this.name = name;
    this.help = help;
    this.figures = figures;
  }

  /** The histogram's series, from the request figures (cumulative buckets, sum, count). */
  override async get(): Promise<HistogramExposition> {
    return this.exposition();
  }

  /**
   * What prom-client 15's registry reads to write a histogram's text (a method its typings
   * leave out); overridden too, so the text and `get()` show the same figures.
   */
  async getForPromString(): Promise<HistogramExposition> {
    return this.exposition();
  }

  private exposition(): HistogramExposition {
    const name = this.name;
    const bounds = this.figures.latencyBuckets;
    const values: MetricValueWithName<LatencyLabel>[] = [];
    for (const figures of this.figures.services()) {
      const service = figures.service;
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += figures.buckets[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { service, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative });
      }
      values.push({ metricName: `${name}_sum`, labels: { service }, value: figures.latencySumMs / 1000 });
      values.push({ metricName: `${name}_count`, labels: { service }, value: cumulative });
    }
    return {
      name,
      help: this.help,
      // prom-client's typings declare `type` as an enum its JavaScript does not export; the
      // registry reads the string, as its own histograms give it.
      type: 'histogram' as unknown as HistogramExposition['type'],
      aggregator: 'sum',
      collect: noCollect, // the typings ask for it; the figures are read above
      values,
    };
  }
}
