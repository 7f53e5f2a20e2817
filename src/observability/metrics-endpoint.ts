/**
 * The metrics endpoint: `node:http` serving `/metrics` (Prometheus text format) and
 * `/health` (200 while Main runs and no processor has failed, 503 otherwise), on loopback
 * unless told otherwise. It closes when its bus stops.
 *
 * It answers only requests whose `Host` is its own address (421 otherwise: a page of
 * another site that a DNS rebinding points at 127.0.0.1 reads nothing), and, when given a
 * token, only requests that carry it as `Authorization: Bearer <token>` (401 otherwise).
 */
import { BusError } from '../actors/errors.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedAuthorities, bearerMatches, hostAllowed, type HostRuleOptions } from './http-guard.js';
import type { ProsaEvents } from '../actors/prosa.js';
import type { ProsaMetrics } from './prosa-metrics.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Default port of the metrics endpoint (the OpenTelemetry Prometheus exporter's). */
export const DEFAULT_METRICS_PORT = 9464;
/** Default host of the metrics endpoint: loopback only. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** Where the endpoint listens, and who it answers. */
export interface MetricsEndpointOptions extends HostRuleOptions {
  /**
   * TCP port; 0 picks a free one (read it back from `port`).
   * @defaultValue 9464
   */
  port?: number;
  /**
   * Interface to listen on. Anything but loopback exposes the figures to the network.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string;
  /**
   * When set, every request must carry `Authorization: Bearer <token>` (compared in
   * constant time); others get 401. A secret: never logged.
   * @defaultValue none: no token asked
   */
  token?: string;
}

/** A listening metrics endpoint. */
export class MetricsEndpoint {
  /** Port it listens on. */
  readonly port: number;
  /** Host it listens on. */
  readonly host: string;
  private readonly server: Server;
  private closing: Promise<void> | undefined;
  private readonly offStop: () => void;

  private constructor(server: Server, metrics: ProsaMetrics, host: string) {
    this.server = server;
    this.host = host;
    this.port = (server.address() as AddressInfo).port;
    const onMain = ({ state }: ProsaEvents['main.state']): void => {
      if (state === 'stopped') void this.close();
    };
    metrics.prosa.events.on('main.state', onMain);
    this.offStop = () => metrics.prosa.events.off('main.state', onMain);
  }

  /**
   * Serves `metrics` over HTTP. Resolves once listening; rejects with the listen error
   * (`EADDRINUSE`, ...). Closes by itself when the bus stops (or at once if it already has).
   */
  static listen(metrics: ProsaMetrics, options: MetricsEndpointOptions = {}): Promise<MetricsEndpoint> {
    const port = options.port ?? DEFAULT_METRICS_PORT;
    const host = options.host ?? DEFAULT_METRICS_HOST;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      return Promise.reject(new BusError('InvalidOption', `metrics port must be an integer in 0..65535, got ${String(port)}`));
    }
    const token = options.token;
    if (token !== undefined && (typeof token !== 'string' || token.length === 0 || /\s/.test(token))) {
      return Promise.reject(new BusError('InvalidOption', 'metrics token must be a non-empty string without spaces'));
    }
    let allowed: ReadonlySet<string> | undefined;
    const server = createServer((request, response) => {
      allowed ??= allowedAuthorities(host, (server.address() as AddressInfo).port, options);
      if (!hostAllowed(request, allowed)) {
        send(response, 421, 'text/plain; charset=utf-8', 'misdirected request: this Host is not the address of this endpoint\n');
        return;
      }
      if (token !== undefined && !bearerMatches(request, token)) {
        response.setHeader('www-authenticate', 'Bearer realm="prosa metrics"');
        send(response, 401, 'text/plain; charset=utf-8', 'unauthorized: send Authorization: Bearer <token>\n');
        return;
      }
      void respond(metrics, request, response);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const endpoint = new MetricsEndpoint(server, metrics, host);
        if (metrics.prosa.state === 'stopped') void endpoint.close();
        resolve(endpoint);
      });
    });
  }

  /** `http://host:port`, brackets around an IPv6 host. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Stops listening and ends open connections. Idempotent; resolves once closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.offStop();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

async function respond(metrics: ProsaMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics' && path !== '/health') {
    send(response, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /health\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (path === '/health') {
    const health = metrics.health();
    send(response, health.healthy ? 200 : 503, 'application/json', JSON.stringify({ status: health.healthy ? 'ok' : 'unavailable', ...health }) + '\n');
    return;
  }
  try {
    send(response, 200, metrics.contentType, await metrics.metrics());
  } catch (error) {
    send(response, 500, 'text/plain; charset=utf-8', `metrics failed: ${messageOf(error)}\n`);
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
