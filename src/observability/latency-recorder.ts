/**
 * Latency recorder: an HDR-style log-bucket histogram. Bucket bounds grow by 1% from
 * 1 microsecond to one hour, so any percentile it reports is within 0.5% of a recorded
 * value (the geometric middle of its bucket, clamped to the exact min and max). Memory
 * is fixed (about 2,200 counters) whatever the number of samples; recording is one
 * logarithm and one increment. In the observability layer, so that the injector, the
 * run summary and the console share it.
 */

/** Lowest distinct value, in milliseconds (1 µs); below it values share bucket 0. */
const LOWEST_MS = 0.001;
/** Highest distinct value, in milliseconds (1 h); above it values share the last bucket. */
const HIGHEST_MS = 3_600_000;
/** Relative width of a bucket. */
const PRECISION = 0.01;
const LOG_STEP = Math.log1p(PRECISION);
const BUCKETS = Math.ceil(Math.log(HIGHEST_MS / LOWEST_MS) / LOG_STEP) + 2;

/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  /** Number of latencies recorded. */
  count: number;
  /** Smallest, exact (0 when none). */
  min: number;
  /** Arithmetic mean, exact (0 when none). */
  mean: number;
  /** Median (nearest rank). */
  p50: number;
  /** 90th percentile (nearest rank). */
  p90: number;
  /** 99th percentile (nearest rank). */
  p99: number;
  /** Largest, exact (0 when none). */
  max: number;
}

function bucketOf(ms: number): number {
  if (!(ms > LOWEST_MS)) return 0;
  const index = 1 + Math.floor(Math.log(ms / LOWEST_MS) / LOG_STEP);
  return index < BUCKETS ? index : BUCKETS - 1;
}

/** Geometric middle of bucket `index`. */
function valueOf(index: number): number {
  if (index === 0) return LOWEST_MS;
  return LOWEST_MS * Math.exp((index - 0.5) * LOG_STEP);
}

/** A histogram of latencies in milliseconds. */
export class LatencyRecorder {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private low = Infinity;
  private high = -Infinity;

  /** Number of latencies recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency (negative and NaN values count as 0). */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    this.counts[bucketOf(value)]!++;
    this.total++;
    this.sum += value;
    if (value < this.low) this.low = value;
    if (value > this.high) this.high = value;
  }

  /**
   * The `p`-th percentile (0 < p <= 100) by nearest rank: the smallest recorded value
   * (to 0.5%) that at least p% of the values do not exceed. 0 when nothing is recorded.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (p >= 100) return this.high;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.high, Math.max(this.low, valueOf(i)));
    }
    return this.high;
  }

  /** Adds every value `other` recorded. */
  merge(other: LatencyRecorder): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
  }

  /** Forgets every value. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.low = Infinity;
    this.high = -Infinity;
  }

  /** Count, min, mean, p50, p90, p99 and max. */
  summary(): LatencySummary {
    if (this.total === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return {
      count: this.total,
      min: this.low,
      mean: this.sum / this.total,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.high,
    };
  }
}
