import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Client } from 'undici';
import type { z } from 'zod';
import type { Adaptor, Prosa, ProcessorSpec } from '../../src/index.js';
import { HttpClientAdaptor } from '../../src/processors/http/client/adaptor.js';
import { httpClientFactory } from '../../src/processors/http/client/factory.js';
import { HttpServerAdaptor } from '../../src/processors/http/server/adaptor.js';
import { httpServerFactory } from '../../src/processors/http/server/factory.js';
import { silentLogger } from '../support/bus.js';

const silent = silentLogger();

/** Adds an http-server processor built by its factory from `settings` (the settings file's form). */
export function addGateway(
  bus: Prosa,
  settings: z.input<typeof httpServerFactory.settings>,
  name = 'gateway',
  spec: Partial<ProcessorSpec> = {},
) {
  const product = httpServerFactory.create(httpServerFactory.settings.parse(settings), { name, instance: bus.name, logger: silent });
  const processor = bus.processor(name, { ...spec, services: product.services, adaptor: product.adaptor });
  const adaptor = product.adaptor as HttpServerAdaptor;
  return {
    processor,
    adaptor,
    /** `http://127.0.0.1:port` of the current run. */
    url: () => `http://127.0.0.1:${adaptor.address!.port}`,
    port: () => adaptor.address!.port,
  };
}

/** Adds an http-client processor built by its factory from `settings`. */
export function addClient(
  bus: Prosa,
  settings: z.input<typeof httpClientFactory.settings>,
  name = 'client',
  spec: Partial<ProcessorSpec> = {},
) {
  const product = httpClientFactory.create(httpClientFactory.settings.parse(settings), { name, instance: bus.name, logger: silent });
  const processor = bus.processor(name, { ...spec, services: product.services, adaptor: product.adaptor });
  return { processor, adaptor: product.adaptor as HttpClientAdaptor };
}

/** An adaptor that answers with the request itself, after `delayMs` when given. */
export function echo(delayMs = 0): Adaptor {
  return {
    processRequest: (_service, request) =>
      delayMs === 0 ? request : new Promise((resolve) => setTimeout(() => resolve(request), delayMs)),
  };
}

/** One HTTP answer. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An HTTP/1.1 client of one origin (undici `Client`: one keep-alive connection), closed by `close()`. */
export function httpClient(url: string) {
  const client = new Client(url);
  return {
    client,
    async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
      const response = await client.request({ method: method as 'GET', path, body, headers });
      const text = await response.body.text();
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: response.statusCode, headers: flat, body: text };
    },
    close: () => client.destroy(),
  };
}

/** Parses the first HTTP/1.1 response in `text` (content-length bodies only). */
export function parseAnswer(text: string): Answer | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (match === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = Buffer.from(text.slice(end + 4), 'latin1').subarray(0, length).toString('utf8');
  return { status: Number(match[1]), headers, body };
}

/** What {@link rawExchange} saw. */
export interface RawResult {
  /** Everything received, as latin1 text. */
  text: string;
  /** True when the server closed (or reset) the connection, false when `timeoutMs` passed first. */
  closedByServer: boolean;
  elapsedMs: number;
}

/**
 * Sends raw bytes on a new connection, `gapMs` apart, and collects everything until the
 * server closes the connection or `timeoutMs` passes. `between(i)` runs before chunk i > 0.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { timeoutMs?: number; gapMs?: number; between?: (index: number) => Promise<void> | void } = {},
): Promise<RawResult> {
  const { timeoutMs = 2_000, gapMs = 0, between } = options;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(received).toString('latin1'), closedByServer, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('connect', async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0) {
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
          await between?.(i);
        }
        if (socket.destroyed) return;
        socket.write(chunks[i]!);
      }
    });
  });
}

/** A request the {@link upstream} received. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** True when the connection closed before the answer was sent (the caller aborted). */
  aborted: boolean;
}

type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** A plain node:http server on a free loopback port, with a swappable handler. */
export async function upstream(handler: UpstreamHandler) {
  let current = handler;
  const requests: UpstreamRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const record: UpstreamRequest = { method: req.method!, url: req.url!, headers: req.headers, body: '', aborted: false };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      record.body = body.toString('utf8');
      current(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next: UpstreamHandler) {
      current = next;
    },
    /** Stops listening and drops every connection. */
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    /** Listens again on the same port. */
    reopen: () => new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve)),
  };
}

/** Answers with `status`, a content type and `body`. */
export function answer(res: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Resolves once `check()` is true, polling every 5 ms; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 1_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > until) throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
