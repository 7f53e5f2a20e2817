/**
 * The part of autocannon 8's programmatic API the benchmarks use (the package ships no
 * types). See node_modules/autocannon/README.md for the rest.
 */
declare module 'autocannon' {
  /** Options of one load run. */
  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Concurrent connections. */
    connections?: number;
    /** Requests in flight per connection. */
    pipelining?: number;
    /** Seconds the run lasts. */
    duration?: number;
    /** Worker threads firing the requests (the load then runs off this event loop). */
    workers?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
  }

  /** An hdr-histogram summary: min, max, mean and percentiles. */
  export interface Histogram {
    min: number;
    max: number;
    average: number;
    mean: number;
    stddev: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }

  /** What a run measured. */
  export interface Result {
    /** Requests per second, sampled each second. */
    requests: Histogram;
    /** Response latency, in milliseconds. */
    latency: Histogram;
    throughput: Histogram;
    /** Seconds the run took. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }

  /** Runs a load test; resolves with its result. */
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
