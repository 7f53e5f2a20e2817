/**
 * The http-client's adaptor: serves each of its services by calling the upstream
 * through one undici `Pool`. Each run (each `init`) makes a new pool and waits for a
 * probe to find the upstream (the processor joins the service table only then; past
 * `probe.waitMs` it crashes and restarts with backoff); `terminate` destroys the pool,
 * aborting any call still running.
 *
 * Outcomes: an upstream 2xx is the reply; any other status is a `protocol` error with
 * the status and a body excerpt; a refused or lost connection is `unreachable`; no
 * answer before the request's deadline (or `timeoutMs`) is `timeout`, and the call is
 * aborted. When calls keep failing to reach the upstream for `downAfterMs`, the
 * processor crashes (recoverable): its services leave the table until a restart's
 * probe finds the upstream again.
 */
import type { Pool } from 'undici';
import type { Adaptor, ProcessorContext, RequestInfo } from '../../../actors/adaptor.js';
import { ProcessorError, ServiceError } from '../../../actors/errors.js';
import type { Tvf } from '../../../tvf/tvf.js';
import { BodyCodec } from '../body-codec.js';
import { formatOfContentType } from '../body-format.js';
import { resolveField } from '../settings.js';
import { describeFailure, isUnreachable } from './call-failure.js';
import { probeUpstream, type ProbeTarget } from './probe.js';
import type { HttpClientSettings } from './settings.js';
import { planUpstreamRoutes, type UpstreamRoute } from './upstream-routes.js';
import { UpstreamHealth } from './upstream-health.js';
import { writeContextHeaders } from '../../../observability/trace-context.js';

/** First wait between two probes of an upstream that is not up yet; it doubles up to {@link PROBE_RETRY_MAX_MS}. */
const PROBE_RETRY_FIRST_MS = 50;
const PROBE_RETRY_MAX_MS = 1_000;

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Longest excerpt of an upstream error body quoted in a `protocol` error. */
const EXCERPT_CHARS = 200;

const TOO_LARGE: unique symbol = Symbol('too large');

/** Reads a response body, bounded; {@link TOO_LARGE} (and the stream destroyed) past `max` bytes. */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<Buffer | typeof TOO_LARGE> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return TOO_LARGE;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What an http-client reports (`prosa run` shows it in its summary). */
export interface HttpClientReport {
  /** Always `'http-client'`: tells this report from other kinds'. */
  kind: 'http-client';
  /** The upstream origin. */
  upstream: string;
  /** Requests served since the processor was built. */
  requests: number;
  /** How they ended (a request that could not be sent counts as `protocol` or `timeout`). */
  outcomes: { response: number; protocol: number; unreachable: number; timeout: number };
}

/** True when `value` is an {@link HttpClientReport}. */
export function isHttpClientReport(value: unknown): value is HttpClientReport {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'http-client';
}

/** An http-client's adaptor. One per processor; it survives restarts. */
export class HttpClientAdaptor implements Adaptor {
  private readonly settings: HttpClientSettings;
  private readonly codec: BodyCodec;
  private readonly routes: Map<string, UpstreamRoute>;
  private readonly origin: string;
  private readonly probe: ProbeTarget;
  private readonly statusField: number | undefined;
  private readonly health: UpstreamHealth;
  private pool: Pool | undefined;
  private crashing = false;
  private readonly counts: HttpClientReport = {
    kind: 'http-client',
    upstream: '',
    requests: 0,
    outcomes: { response: 0, protocol: 0, unreachable: 0, timeout: 0 },
  };

  /** @throws Error for settings the schema would have refused. */
  constructor(settings: HttpClientSettings) {
    this.settings = settings;
    this.codec = new BodyCodec({ dict: settings.dict, maxBytes: settings.maxBodyBytes });
    this.routes = planUpstreamRoutes(settings, this.codec.dict);
    const url = new URL(settings.url);
    this.origin = url.origin;
    this.counts.upstream = url.origin;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    this.probe = { host: hostname, port, path: settings.probe.path, timeoutMs: settings.probe.timeoutMs };
    this.statusField = settings.statusField === undefined ? undefined : resolveField(settings.statusField, this.codec.dict);
    if (settings.statusField !== undefined && this.statusField === undefined) {
      throw new TypeError(`statusField '${String(settings.statusField)}' is not a field name in dict`);
    }
    this.health = new UpstreamHealth(settings.downAfterMs);
  }

  /** Services this client provides. */
  get services(): string[] {
    return [...this.routes.keys()];
  }

  /**
   * Opens the pool and probes the upstream until it answers, for at most `probe.waitMs`
   * (the processor is not in the table meanwhile); an upstream still down then is a
   * recoverable crash. Ends early, with a crash, when the run ends (a stop).
   */
  async init(ctx: ProcessorContext): Promise<void> {
    const settings = this.settings;
    // Loaded by the first run, not with the package: `import 'prosa'` does not pay for undici.
    const { Pool } = await import('undici');
    const pool = new Pool(this.origin, {
      connections: settings.maxConnections,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connect: { timeout: settings.connectTimeoutMs },
    });
    this.pool = pool;
    this.crashing = false;
    await this.waitForUpstream(pool, ctx);
    this.health.reset();
    ctx.logger.info({ upstream: this.origin, services: this.services }, 'http-client: upstream reachable');
  }

  /** Probes until the upstream answers; throws the crash once `probe.waitMs` is spent or the run ends. */
  private async waitForUpstream(pool: Pool, ctx: ProcessorContext): Promise<void> {
    const giveUpAt = performance.now() + this.settings.probe.waitMs;
    let delayMs = PROBE_RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await probeUpstream(this.probe, pool);
        return;
      } catch (error) {
        const detail = describeFailure(error);
        const leftMs = giveUpAt - performance.now();
        if (ctx.signal.aborted || leftMs <= 0) {
          // The detail is in the message: the probe's error is not chained as a cause too.
          throw new ProcessorError(`upstream ${this.origin} is unreachable: ${detail}`, { recoverable: true });
        }
        if (attempt === 1) {
          ctx.logger.info({ upstream: this.origin, waitMs: this.settings.probe.waitMs }, `http-client: waiting for the upstream (${detail})`);
        }
        // The last probe runs when the wait is over.
        await sleep(Math.min(delayMs, leftMs), ctx.signal);
      }
      delayMs = Math.min(delayMs * 2, PROBE_RETRY_MAX_MS);
    }
  }

  /** Calls the upstream for one request (see the module doc for the outcomes). */
  async processRequest(service: string, request: Tvf, ctx: ProcessorContext, info: RequestInfo): Promise<Tvf> {
    this.counts.requests++;
    try {
      const reply = await this.call(service, request, ctx, info);
      this.counts.outcomes.response++;
      return reply;
    } catch (error) {
      const kind = error instanceof ServiceError ? error.kind : 'protocol';
      if (kind === 'protocol' || kind === 'unreachable' || kind === 'timeout') this.counts.outcomes[kind]++;
      throw error;
    }
  }

  /** The requests served and how they ended, since the processor was built. */
  report(): HttpClientReport {
    return { ...this.counts, outcomes: { ...this.counts.outcomes } };
  }

  private async call(service: string, request: Tvf, ctx: ProcessorContext, info: RequestInfo): Promise<Tvf> {
    const route = this.routes.get(service);
    const pool = this.pool;
    if (route === undefined || pool === undefined) {
      throw new ServiceError('unreachable', service, ctx.name, route === undefined ? 'not a service of this client' : 'the client is not running');
    }
    const budgetMs = Math.min(this.settings.timeoutMs, info.deadline - performance.now());
    if (!(budgetMs > 0)) throw new ServiceError('timeout', service, ctx.name, 'no time left before the deadline to call the upstream');
    let path: string;
    let body: string | undefined;
    try {
      path = route.path(request);
      body = route.sendsBody ? this.codec.encode(this.settings.format, request) : undefined;
    } catch (error) {
      throw new ServiceError('protocol', service, ctx.name, `the request cannot be sent: ${describeFailure(error)}`, error);
    }
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), budgetMs);
    try {
      const response = await pool.request({ path, method: route.method, headers: upstreamHeaders(route.headers, info), body, signal: deadline.signal });
      const bytes = await readBounded(response.body, this.settings.maxBodyBytes);
      this.health.answered();
      return this.replyOf(service, ctx, response.statusCode, headerText(response.headers['content-type']), bytes);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      if (deadline.signal.aborted) {
        throw new ServiceError('timeout', service, ctx.name, `upstream ${this.origin} did not answer within ${Math.round(budgetMs)} ms (call aborted)`);
      }
      const detail = describeFailure(error);
      if (isUnreachable(error)) {
        this.noteUnreachable(ctx, detail, error);
        throw new ServiceError('unreachable', service, ctx.name, `upstream ${this.origin}: ${detail}`, error);
      }
      throw new ServiceError('protocol', service, ctx.name, `upstream ${this.origin} call failed: ${detail}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Destroys the pool: calls still running are aborted (their requests have settled by then). */
  async terminate(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private replyOf(service: string, ctx: ProcessorContext, status: number, contentType: string | undefined, bytes: Buffer | typeof TOO_LARGE): Tvf {
    if (bytes === TOO_LARGE) {
      throw new ServiceError('protocol', service, ctx.name, `upstream answered ${status} with a body larger than maxBodyBytes (${this.settings.maxBodyBytes})`);
    }
    if (status < 200 || status > 299) {
      const excerpt = bytes.toString('utf8', 0, Math.min(bytes.length, EXCERPT_CHARS * 4)).slice(0, EXCERPT_CHARS).replace(/\s+/g, ' ').trim();
      throw new ServiceError('protocol', service, ctx.name, `upstream answered ${status}${excerpt === '' ? '' : `: ${excerpt}`}`);
    }
    const format = formatOfContentType(contentType) ?? this.settings.format;
    let reply: Tvf;
    try {
      reply = this.codec.decode(format, bytes);
    } catch (error) {
      throw new ServiceError('protocol', service, ctx.name, `upstream answered ${status} with a bad body: ${describeFailure(error)}`, error);
    }
    if (this.statusField !== undefined) reply.putString(this.statusField, String(status));
    return reply;
  }

  /** Counts a failed connection; past `downAfterMs` of them, crashes the processor (recoverable). */
  private noteUnreachable(ctx: ProcessorContext, detail: string, cause: unknown): void {
    const downMs = this.health.unreachable(performance.now());
    if (downMs === undefined || this.crashing) return;
    this.crashing = true;
    const error = new ProcessorError(`upstream ${this.origin} unreachable for ${Math.round(downMs)} ms (${detail})`, { recoverable: true, cause });
    // After this request has settled with its own `unreachable` error: the crash fails the
    // other requests in flight, and this one should keep its detail.
    setImmediate(() => ctx.fail(error));
  }
}

/**
 * The headers of an upstream call: the route's own, plus the request's context when it
 * has one (`traceparent`/`tracestate` of the work done for it, `baggage` of its metadata);
 * the route's frozen object itself otherwise (nothing allocated).
 */
function upstreamHeaders(headers: Readonly<Record<string, string>>, info: RequestInfo): Readonly<Record<string, string>> {
  const trace = info.trace;
  const meta = info.meta;
  if (trace === undefined && meta === undefined) return headers;
  const out: Record<string, string> = { ...headers };
  writeContextHeaders((name, value) => (out[name] = value), trace, meta);
  return out;
}
