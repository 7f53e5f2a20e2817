/**
 * Gateway: one run of an http-server processor. It owns the `node:http` server, turns
 * each HTTP request into a bus request and each outcome into an HTTP answer, counts the
 * exchanges in flight, and stops gracefully. A restart makes a new gateway, so nothing
 * of a crashed run leaks into the next.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProcessorContext } from '../../../actors/adaptor.js';
import { ProcessorError, ServiceError } from '../../../actors/errors.js';
import type { Tvf } from '../../../tvf/tvf.js';
import type { BodyCodec } from '../body-codec.js';
import { CONTENT_TYPES, formatForAccept, formatOfContentType, type BodyFormat } from '../body-format.js';
import {
  errorBody,
  HTTP_ERROR_STATUS,
  SERVICE_ERROR_STATUS,
  statusOfField,
  type HttpErrorKind,
} from './answers.js';
import { ABORTED, declaresBody, readBody, TOO_LARGE, type BodyOutcome } from './body-reader.js';
import { copyRequestFields, type RouteHit, type RouteTable } from './routes.js';
import type { HttpServerSettings } from './settings.js';
import { messageOf, safeError } from '../../../tvf/unknown-value.js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { MAX_TIMEOUT_MS, type RequestOptions } from '../../../actors/requests.js';
import { CountedWarning } from '../../../observability/counted-warning.js';
import { CONTEXT_HEADER, formatTraceparent, readContextHeaders } from '../../../observability/trace-context.js';
import type { ServerRoute } from './routes.js';

/** The answer header that gives the caller the trace its request joined (W3C Trace Context level 2). */
export const TRACE_RESPONSE_HEADER = 'traceresponse';

/** What every run of an http-server shares: resolved once from the settings. */
export interface GatewayPlan {
  readonly settings: HttpServerSettings;
  readonly routes: RouteTable;
  readonly codec: BodyCodec;
  /** Field id of the reply status, if any. */
  readonly statusField: number | undefined;
  /** Answers sent, by status class (index 2 counts 2xx, ...): shared by every run. */
  readonly answers: number[];
}

const JSON_TYPE = CONTENT_TYPES.json;
/** How often node checks `headersTimeout` / `requestTimeout`: a quarter of the shorter, within [25 ms, 1 s]. */
function checkingIntervalMs(settings: HttpServerSettings): number {
  return Math.max(25, Math.min(1_000, Math.floor(Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs) / 4)));
}


/** Answers of requests that node's parser refused, by error code. */
function clientErrorAnswer(error: Error & { code?: string; reason?: string }): [number, HttpErrorKind, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headersTooLarge', 'the request head is larger than maxHeaderBytes'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'requestTimeout', 'the request was not received in time'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'bodyTooLarge', 'chunk extensions are too large'];
    default:
      return [400, 'badRequest', `malformed HTTP request: ${error.reason ?? error.code ?? 'parse error'}`];
  }
}

/** One run of an http-server: listening, serving, stopping. */
export class Gateway {
  private readonly plan: GatewayPlan;
  private readonly ctx: ProcessorContext;
  private readonly server: Server;
  private inFlight = 0;
  private stopping = false;
  private whenIdle: (() => void) | undefined;
  private readonly defaultFormat: BodyFormat;
  private readonly maxBodyBytes: number;
  /** Bad request-context headers: counted on the bus, logged the 1st, 10th, 100th... time. */
  private readonly badContext: CountedWarning;
  private readonly ignoredHeader = (header: string, reason: string) => {
    this.ctx.contextIgnored();
    this.badContext.hit({ header, reason });
  };

  constructor(plan: GatewayPlan, ctx: ProcessorContext) {
    this.plan = plan;
    this.ctx = ctx;
    this.badContext = new CountedWarning(ctx.logger, 'ignored a bad request-context header');
    const settings = plan.settings;
    this.defaultFormat = settings.defaultFormat;
    this.maxBodyBytes = settings.maxBodyBytes;
    this.server = createServer(
      {
        maxHeaderSize: settings.maxHeaderBytes,
        headersTimeout: settings.headersTimeoutMs,
        requestTimeout: settings.requestTimeoutMs,
        keepAliveTimeout: settings.keepAliveTimeoutMs,
        connectionsCheckingInterval: checkingIntervalMs(settings),
        // Checked in `exchange`, so the 400 carries the JSON error body like every other.
        requireHostHeader: false,
      },
      (req, res) => this.exchange(req, res),
    );
    this.server.timeout = settings.idleSocketTimeoutMs;
    if (settings.maxConnections !== undefined) this.server.maxConnections = settings.maxConnections;
    this.server.on('clientError', (error: Error, socket: Duplex) => this.refuse(error, socket));
  }

  /** Where the server listens, once it does. */
  get address(): AddressInfo | undefined {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /** HTTP exchanges received and not answered yet. */
  get exchangesInFlight(): number {
    return this.inFlight;
  }

  /**
   * Starts listening. Rejects with a `ProcessorError`: recoverable when the port is in
   * use (it may be freed), fatal for anything else (a bad host, a port not allowed).
   * After it resolves, a server error crashes the processor (recoverable).
   */
  async listen(): Promise<AddressInfo> {
    const { host, port } = this.plan.settings.listen;
    const server = this.server;
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => {
          server.off('listening', onListening);
          reject(error);
        };
        const onListening = (): void => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen({ host, port });
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new ProcessorError(`http-server cannot listen on ${host}:${port}: ${messageOf(error)}`, {
        recoverable: code === 'EADDRINUSE',
        cause: error,
      });
    }
    server.on('error', (error) => this.ctx.fail(new ProcessorError(`http-server failed: ${error.message}`, { cause: error })));
    return this.address!;
  }

  /**
   * Stops gracefully: new connections are refused and new requests on open ones are
   * answered 503 `shutdown` with `Connection: close`; exchanges in flight get `graceMs`
   * to be answered (their answers close their connections); then every connection
   * still open is closed. Resolves once the server is closed. Safe to call twice.
   */
  async close(graceMs: number): Promise<void> {
    const server = this.server;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.whenIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    server.closeIdleConnections();
    server.closeAllConnections();
    await closed;
  }

  // one exchange ---------------------------------------------------------------

  private exchange(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    if (this.stopping) {
      this.answerError(res, 503, 'shutdown', 'the server is stopping', declaresBody(req));
      return;
    }
    if (req.headers.host === undefined && req.httpVersionMinor === 1) {
      this.answerError(res, 400, 'badRequest', 'an HTTP/1.1 request needs a Host header', declaresBody(req));
      return;
    }
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const hit = this.plan.routes.find(method, url);
    if (hit === null) {
      this.answerMiss(req, res, method, url);
      return;
    }
    const contentType = req.headers['content-type'];
    const declared = formatOfContentType(contentType);
    if (declared === null) {
      this.answerError(
        res,
        415,
        'unsupportedMediaType',
        `Content-Type '${String(contentType).slice(0, 64)}' is neither application/json nor application/x-prosa-tvf`,
        declaresBody(req),
      );
      return;
    }
    const requestFormat = declared ?? this.defaultFormat;
    const replyFormat = formatForAccept(req.headers.accept, requestFormat);
    readBody(req, this.maxBodyBytes, (body) => this.dispatch(req, res, hit, requestFormat, replyFormat, body));
  }

  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    hit: RouteHit,
    requestFormat: BodyFormat,
    replyFormat: BodyFormat,
    body: BodyOutcome,
  ): void {
    if (body === ABORTED) {
      this.ended(); // the client is gone: nobody to answer
      return;
    }
    if (body === TOO_LARGE) {
      this.answerError(res, 413, 'bodyTooLarge', `the body is larger than maxBodyBytes (${this.maxBodyBytes})`, true);
      return;
    }
    let tvf: Tvf;
    try {
      tvf = this.plan.codec.decode(requestFormat, body);
      if (hit.store.copiesFields) copyRequestFields(tvf, hit, req.headers);
    } catch (error) {
      this.answerError(res, 400, 'malformedBody', messageOf(error), false);
      return;
    }
    const headers = req.headers;
    // The request context: read only when the client sent one, or when tracing makes a span of the exchange.
    const options =
      headers.traceparent !== undefined || headers.baggage !== undefined || headers[CONTEXT_HEADER.timeoutMs] !== undefined || this.ctx.tracing !== undefined
        ? this.contextOptions(req, res, hit.store)
        : hit.store.requestOptions;
    this.ctx.request(hit.store.service, tvf, options).then(
      (reply) => this.answerReply(res, reply, replyFormat),
      (error: unknown) => this.answerFailure(res, error),
    );
  }

  /**
   * The bus request's options with the client's context: its trace (through this
   * exchange's span, kind server, when tracing is on), its metadata (`baggage`), and its
   * deadline (`prosa-timeout-ms`, capping the route's `timeoutMs`). A traced answer
   * carries `traceresponse`. A bad header is ignored and counted.
   */
  private contextOptions(req: IncomingMessage, res: ServerResponse, route: ServerRoute): RequestOptions {
    const read = readContextHeaders((name) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    }, this.ignoredHeader);
    let trace = read.trace;
    const tracing = this.ctx.tracing;
    if (tracing !== undefined) {
      const span = tracing.startSpan(
        `${route.method} ${route.path}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': route.method, 'http.route': route.path, 'prosa.processor': this.ctx.name } },
        trace,
      );
      if (span !== undefined) {
        trace = span.spanContext();
        res.once('close', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
      }
      if (trace !== null) res.setHeader(TRACE_RESPONSE_HEADER, formatTraceparent(trace));
    }
    const own = route.requestOptions?.timeoutMs;
    const timeoutMs = read.timeoutMs === undefined ? own : Math.min(read.timeoutMs, own ?? MAX_TIMEOUT_MS);
    return { timeoutMs, meta: read.meta, trace: trace ?? undefined };
  }

  private answerMiss(req: IncomingMessage, res: ServerResponse, method: string, url: string): void {
    const miss = this.plan.routes.miss(method, url);
    const path = url.split('?', 1)[0]!.slice(0, 256);
    switch (miss.kind) {
      case 'notFound':
        this.answerError(res, 404, 'notFound', `no route for ${path}`, declaresBody(req));
        return;
      case 'methodNotAllowed':
        this.answerError(res, 405, 'methodNotAllowed', `${method} is not allowed on ${path}; allowed: ${miss.allow.join(', ')}`, declaresBody(req), {
          allow: miss.allow.join(', '),
        });
        return;
      case 'badUrl':
        this.answerError(res, 400, 'badUrl', 'the URL cannot be decoded', declaresBody(req));
        return;
    }
  }

  private answerReply(res: ServerResponse, reply: Tvf, format: BodyFormat): void {
    let status = 200;
    let body: string;
    try {
      let out = reply;
      const field = this.plan.statusField;
      if (field !== undefined && reply.contains(field)) {
        const chosen = statusOfField(reply.getString(field));
        if (typeof chosen === 'string') {
          this.answerError(res, 502, 'protocol', chosen, false);
          return;
        }
        status = chosen;
        out = reply.clone();
        out.remove(field);
      }
      body = this.plan.codec.encode(format, out);
    } catch (error) {
      this.answerError(res, 502, 'protocol', `the reply cannot be written as ${format}: ${messageOf(error)}`, false);
      return;
    }
    this.send(res, status, CONTENT_TYPES[format], body, undefined, false);
  }

  private answerFailure(res: ServerResponse, error: unknown): void {
    if (!(error instanceof ServiceError)) {
      this.ctx.logger.error({ err: safeError(error) }, 'bus request failed without a ServiceError');
      this.send(res, HTTP_ERROR_STATUS.internalError, JSON_TYPE, errorBody('internalError', 'internal error'), undefined, false);
      return;
    }
    const kind = error.kind;
    const status = SERVICE_ERROR_STATUS[kind];
    if (kind === 'overloaded') {
      this.send(res, status, JSON_TYPE, errorBody(kind, error.message), { 'retry-after': String(this.plan.settings.retryAfterSeconds) }, false);
    } else {
      this.send(res, status, JSON_TYPE, errorBody(kind, error.message), undefined, kind === 'shutdown');
    }
  }

  private answerError(
    res: ServerResponse,
    status: number,
    kind: HttpErrorKind | ServiceError['kind'],
    message: string,
    close: boolean,
    headers?: Record<string, string>,
  ): void {
    this.send(res, status, JSON_TYPE, errorBody(kind, message), headers, close);
  }

  /** Writes the answer (unless the client is gone) and ends the exchange. Called once per exchange. */
  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    headers: Record<string, string> | undefined,
    close: boolean,
  ): void {
    if (!res.destroyed && !res.headersSent) {
      if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name]!);
      // While stopping, every answer closes its connection: no new request may follow it.
      if (close || this.stopping) res.setHeader('connection', 'close');
      // A flat array of names and values: node writes it as it stands, with no object to walk.
      res.writeHead(status, ['content-type', contentType, 'content-length', String(Buffer.byteLength(body))]);
      res.end(body);
      this.plan.answers[(status / 100) | 0]!++;
    }
    this.ended();
  }

  private ended(): void {
    if (--this.inFlight === 0 && this.whenIdle !== undefined) {
      const idle = this.whenIdle;
      this.whenIdle = undefined;
      idle();
    }
  }

  /** Answers a request node's parser refused (bad bytes, a head too large, too slow), then closes. */
  private refuse(error: Error & { code?: string }, socket: Duplex): void {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent === true) {
      socket.destroy();
      return;
    }
    const [status, kind, message] = clientErrorAnswer(error);
    const body = errorBody(kind, message);
    this.plan.answers[(status / 100) | 0]!++;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${JSON_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}
