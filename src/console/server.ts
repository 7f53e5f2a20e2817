/**
 * The console server: `node:http` serving the console page's files and the JSON API
 * under `/api/v1` (docs/console.md), with its live stream at `/api/v1/stream`
 * (Server-Sent Events). {@link startConsole} is the embedding call; `prosa run
 * --console` makes the same call.
 *
 * Guards, in order, on every request: the `Host` must be one of its own addresses (421:
 * a DNS-rebinding page reads nothing), a browser's `Origin` must be its own page (403),
 * and with a `token` every API request must carry it (401), as `Authorization: Bearer`
 * or as the cookie `/?token=<token>` sets. Calls and applies answer only when enabled
 * (403 `disabled`). Bodies are bounded (413), stream clients are bounded (503), and a
 * client that does not read is dropped.
 */
import { realpath, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { consoleSettingsSchema, TOKEN_REQUIRED_MESSAGE, type ConsoleSettings } from '../config/console-settings.js';
import { parseSettings } from '../config/load.js';
import { SettingsError } from '../config/settings-error.js';
import type { Instance } from '../instance/instance.js';
import { allowedAuthorities, bearerMatches, hasAuthorization, hostAllowed, originAllowed, secretMatches } from '../observability/http-guard.js';
import { messageOf } from '../tvf/unknown-value.js';
import { Caller, parseTimeout } from './call.js';
import { ApiError, ConsoleError } from './errors.js';
import { ConsoleModel, type ConsoleEvent } from './model.js';
import { StreamHub } from './stream.js';

/** Options of {@link startConsole}: the `console` settings section's fields, and what only code can give. */
export type ConsoleOptions = Partial<Omit<ConsoleSettings, 'limits'>> & {
  /** Limits of memory; each left out keeps its default (see `DEFAULT_CONSOLE_LIMITS`). */
  limits?: Partial<ConsoleSettings['limits']>;
  /**
   * The folder of the page's files, served as they are at `/`.
   * @defaultValue the `page` folder beside this module (`src/console/page` from source, `dist/console/page` once built)
   */
  pageDir?: string;
  /** Where the console logs (its URL, slow clients, failed answers). @defaultValue the bus's logger */
  logger?: Logger;
  /**
   * Environment overrides applied to a settings document `POST /api/v1/apply` receives,
   * as `prosa run` applies them to a reloaded file (`PROSA__...`).
   * @defaultValue `process.env`
   */
  env?: Readonly<Record<string, string | undefined>>;
};

/** The page folder beside this module. */
export const DEFAULT_PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** Name of the cookie that carries the token for the page (set by `/?token=...`). */
export const TOKEN_COOKIE = 'prosa_console_token';

/** Content types of the page's files, by extension; anything else is `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
});

/** Every answer's headers: nothing is cached, sniffed, framed or referred. */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/** The page may load nothing from another host: scripts, styles, fonts, images and connections are its own. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const FALLBACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>prosa console</title></head>
<body><h1>prosa console</h1>
<p>The console page is not built in this package. The API answers: <a href="/api/v1/instance">instance</a>,
<a href="/api/v1/processors">processors</a>, <a href="/api/v1/services">services</a>, <a href="/api/v1/events">events</a>,
<a href="/api/v1/machines">machines</a>, <a href="/api/v1/stream">stream</a>.</p></body></html>
`;

const EVENT_TYPES: ReadonlySet<string> = new Set<ConsoleEvent['type']>(['processor.state', 'processor.removed', 'main.state', 'settings.applied', 'settings.refused']);

function optionError(error: { issues: readonly { path: readonly PropertyKey[]; message: string; input?: unknown }[] }): ConsoleError {
  const issue = error.issues[0]!;
  const path = ['console', ...issue.path.map(String)].join('.');
  return new ConsoleError('InvalidOption', `${path}: ${issue.message}`);
}

/** The options, checked and with their defaults, as the `console` settings section checks them. */
export function consoleSettings(options: ConsoleOptions = {}): ConsoleSettings {
  const { pageDir: _pageDir, logger: _logger, env: _env, ...section } = options;
  const parsed = consoleSettingsSchema.safeParse(section);
  if (!parsed.success) {
    const host = parsed.error.issues.find((issue) => issue.path[0] === 'host' && issue.message === TOKEN_REQUIRED_MESSAGE);
    if (host !== undefined) throw new ConsoleError('TokenRequired', `console.host ${JSON.stringify(section.host)} is off loopback: give a token (16 characters or more) too`);
    throw optionError(parsed.error);
  }
  return parsed.data!;
}

/** A running console. Made by {@link startConsole}. */
export class ConsoleServer {
  /** Port it listens on. */
  readonly port: number;
  /** Host it listens on. */
  readonly host: string;
  /** What it knows of the instance (the API's views). */
  readonly model: ConsoleModel;
  /** The live stream's clients. */
  readonly hub: StreamHub;
  private closing: Promise<void> | undefined;

  /** @internal use {@link startConsole} */
  constructor(
    private readonly server: Server,
    model: ConsoleModel,
    hub: StreamHub,
    host: string,
  ) {
    this.model = model;
    this.hub = hub;
    this.host = host;
    this.port = (server.address() as AddressInfo).port;
  }

  /** `http://host:port/`, brackets around an IPv6 host: the page. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  /** Ends every stream, stops listening and ends open connections. Idempotent; resolves once closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.model.close();
      this.hub.close();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

/**
 * Serves the console of `instance`: its page and API on `host:port` (127.0.0.1:8070 by
 * default; port 0 picks a free one, see `url`). Start it before `instance.start()` to
 * see the first lifecycle changes. Resolves once listening; rejects with a
 * {@link ConsoleError} for a bad option (a host off loopback without a token:
 * `TokenRequired`) or with the listen error (`EADDRINUSE`, ...). It runs until
 * `close()`; the instance stopping does not close it (the page sees the stop).
 */
export async function startConsole(instance: Instance, options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const settings = consoleSettings(options);
  const logger = options.logger ?? instance.prosa.logger;
  const pageDir = options.pageDir ?? DEFAULT_PAGE_DIR;
  const env = options.env ?? process.env;
  const { limits, token } = settings;
  const hub = new StreamHub({ maxClients: limits.maxStreamClients, maxBacklogBytes: limits.maxClientBacklogBytes, logger });
  const model = new ConsoleModel(instance, {
    limits,
    figuresIntervalMs: settings.figuresIntervalMs,
    latencySampleEvery: settings.latencySampleEvery,
    enableCall: settings.enableCall,
    enableApply: settings.enableApply,
    onMessage: (type, text, id) => hub.broadcast(type, text, id),
  });
  const caller = new Caller(instance, (text) => model.redact(text), limits.maxBodyBytes);
  const context: Context = { instance, model, hub, caller, settings, pageDir, env, logger };
  let allowed: ReadonlySet<string> | undefined;
  const server = createServer((request, response) => {
    allowed ??= allowedAuthorities(settings.host, (server.address() as AddressInfo).port, { allowedHosts: settings.allowedHosts });
    handle(context, allowed, request, response).catch((error: unknown) => {
      logger.error({ err: { message: model.redact(messageOf(error)) }, path: pathOf(request) }, 'console: answer failed');
      if (!response.headersSent) sendError(response, new ApiError(500, 'internal', 'the console could not answer; see the instance log'));
      else response.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    model.close();
    hub.close();
    throw error;
  }
  const served = new ConsoleServer(server, model, hub, settings.host);
  logger.info({ url: served.url, token: token === undefined ? "none" : "required" }, `console on ${served.url}`);
  return served;
}

interface Context {
  instance: Instance;
  model: ConsoleModel;
  hub: StreamHub;
  caller: Caller;
  settings: ConsoleSettings;
  pageDir: string;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?', 1)[0]!;
}

async function handle(context: Context, allowed: ReadonlySet<string>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!hostAllowed(request, allowed)) {
    return sendError(response, new ApiError(421, 'misdirectedRequest', 'this Host is not an address of this console'));
  }
  if (!originAllowed(request, allowed)) {
    return sendError(response, new ApiError(403, 'forbiddenOrigin', 'requests come only from the console page itself'));
  }
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://console.invalid');
  } catch {
    return sendError(response, new ApiError(400, 'badRequest', 'the request URL cannot be read'));
  }
  const path = url.pathname;
  const token = context.settings.token;
  if (path === '/' && token !== undefined && url.searchParams.has('token')) {
    // The page's way in: the token becomes a cookie (EventSource sends no header), then the URL loses it.
    if (!secretMatches(url.searchParams.get('token')!, token)) return sendError(response, unauthorized());
    response.writeHead(303, { ...COMMON_HEADERS, location: '/', 'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` });
    response.end();
    return;
  }
  if (path === '/api/v1' || path.startsWith('/api/')) {
    if (token !== undefined && !authorized(request, token)) return sendError(response, unauthorized());
    try {
      await api(context, url, request, response);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!response.headersSent) sendError(response, error, typeof error.details?.['allow'] === 'string' ? error.details['allow'] : undefined);
    }
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendError(response, new ApiError(405, 'methodNotAllowed', 'the page answers GET and HEAD only'), 'GET, HEAD');
  }
  await servePage(context.pageDir, path, response);
}

function unauthorized(): ApiError {
  return new ApiError(401, 'unauthorized', 'send Authorization: Bearer <token>, or open /?token=<token> once');
}

/** True when the request carries the token: as `Authorization: Bearer`, or (the page's way) as the cookie. */
function authorized(request: IncomingMessage, token: string): boolean {
  if (hasAuthorization(request)) return bearerMatches(request, token);
  const cookie = request.headers.cookie;
  if (typeof cookie !== 'string') return false;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== TOKEN_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(rest.join('='));
    } catch {
      return false;
    }
    return secretMatches(value, token);
  }
  return false;
}

/** Answers `error` (its status, and its JSON body). */
function sendError(response: ServerResponse, error: ApiError, allow?: string): void {
  const body = error.body();
  const headers: Record<string, string | number> = { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (allow !== undefined) headers['allow'] = allow;
  if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="prosa console"';
  response.writeHead(error.status, headers);
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function only(request: IncomingMessage, method: 'GET' | 'POST'): void {
  const ok = method === 'GET' ? request.method === 'GET' || request.method === 'HEAD' : request.method === 'POST';
  if (!ok) throw new ApiError(405, 'methodNotAllowed', `this endpoint answers ${method === 'GET' ? 'GET and HEAD' : 'POST'} only`, { allow: method === 'GET' ? 'GET, HEAD' : 'POST' });
}

function segment(path: string, prefix: string): string {
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    throw new ApiError(400, 'badRequest', `the name after ${prefix} is not a valid URL component`);
  }
}

/** What an endpoint answers: the request, its URL, and the name at the end of a `<name>` route. */
interface Call {
  readonly context: Context;
  readonly url: URL;
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The URL-decoded rest of the path after a `<name>` route's prefix ('' for other routes); read after the checks that come first (a bad name is a 400). */
  name(): string;
}

/** One endpoint of the API. Each checks its own method (the stream takes no HEAD). */
interface Endpoint {
  /** Method and path as `/api/v1` lists it; a path ending in `/<name>` takes the rest of the URL's path as `Call.name`. */
  readonly route: string;
  answer(call: Call): Promise<void> | void;
}

const ENDPOINTS: readonly Endpoint[] = [
  { route: 'GET /api/v1/instance', answer: view((model) => JSON.stringify(model.instanceView())) },
  { route: 'GET /api/v1/processors', answer: view((model) => JSON.stringify(model.processorViews())) },
  {
    route: 'GET /api/v1/processors/<name>',
    answer: view((model, name) => {
      const detail = model.processorDetail(name);
      if (detail === undefined) throw new ApiError(404, 'notFound', `no processor named ${JSON.stringify(name.slice(0, 200))}`);
      return JSON.stringify(detail);
    }),
  },
  { route: 'GET /api/v1/services', answer: view((model) => JSON.stringify(model.servicesView())) },
  { route: 'GET /api/v1/events', answer: view((model, _name, url) => model.events.jsonArray(eventFilter(url.searchParams))) },
  { route: 'GET /api/v1/figures', answer: view((model) => model.figures.jsonArray()) },
  { route: 'GET /api/v1/machines', answer: view((model) => JSON.stringify(model.machines())) },
  {
    route: 'GET /api/v1/machines/<name>',
    answer: view((model, name) => {
      const machines = model.machines();
      const machine = Object.hasOwn(machines, name) ? machines[name] : undefined;
      if (machine === undefined) throw new ApiError(404, 'notFound', `no machine named ${JSON.stringify(name.slice(0, 200))}: try processor or main`);
      return JSON.stringify(machine);
    }),
  },
  {
    route: 'GET /api/v1/stream',
    answer: ({ context, request, response }) => {
      if (request.method !== 'GET') throw new ApiError(405, 'methodNotAllowed', 'the stream answers GET only', { allow: 'GET' });
      if (!context.hub.open(request, response, `event: snapshot\ndata: ${context.model.snapshotText()}\n\n`)) {
        throw new ApiError(503, 'tooManyClients', `the console serves at most ${context.settings.limits.maxStreamClients} stream clients at once`);
      }
    },
  },
  {
    route: 'POST /api/v1/call/<service>',
    answer: async ({ context, url, request, response, name }) => {
      only(request, 'POST');
      if (!context.settings.enableCall) throw new ApiError(403, 'disabled', 'calls are off: set console.enableCall: true in the settings');
      const service = name();
      if (service.length === 0) throw new ApiError(404, 'notFound', 'name a service: POST /api/v1/call/<service>');
      const timeoutMs = parseTimeout(url.searchParams.get('timeoutMs'));
      const body = await readBody(request, context.settings.limits.maxBodyBytes);
      const reply = await context.caller.call(service, body, request.headers['content-type'], timeoutMs);
      sendJson(response, 200, JSON.stringify(reply));
    },
  },
  {
    route: 'POST /api/v1/apply',
    answer: async ({ context, request, response }) => {
      only(request, 'POST');
      if (!context.settings.enableApply) throw new ApiError(403, 'disabled', 'applies are off: set console.enableApply: true in the settings');
      const body = await readBody(request, context.settings.limits.maxBodyBytes);
      sendJson(response, 200, JSON.stringify(await apply(context, body)));
    },
  },
];

/** The routes `GET /api/v1` lists. */
const ROUTES = ENDPOINTS.map((endpoint) => endpoint.route);

/** A GET (or HEAD) endpoint answering the JSON text `json` makes of the model. */
function view(json: (model: ConsoleModel, name: string, url: URL) => string): Endpoint['answer'] {
  return ({ context, url, request, response, name }) => {
    only(request, 'GET');
    sendJson(response, 200, json(context.model, name(), url));
  };
}

/** Each endpoint's path, split into the path it matches exactly or the prefix of its `<name>`. */
const MATCHERS = ENDPOINTS.map((endpoint) => {
  const path = endpoint.route.slice(endpoint.route.indexOf(' ') + 1);
  const named = /\/<[a-z]+>$/.exec(path);
  return { endpoint, exact: named === null ? path : undefined, prefix: named === null ? undefined : path.slice(0, named.index + 1) };
});

async function api(context: Context, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/api/v1') {
    only(request, 'GET');
    return sendJson(response, 200, JSON.stringify({ version: 1, endpoints: ROUTES }));
  }
  for (const { endpoint, exact, prefix } of MATCHERS) {
    if (exact === path) return endpoint.answer({ context, url, request, response, name: () => '' });
    if (prefix !== undefined && path.startsWith(prefix)) return endpoint.answer({ context, url, request, response, name: () => segment(path, prefix) });
  }
  throw new ApiError(404, 'notFound', `no endpoint ${JSON.stringify(path.slice(0, 200))}: GET /api/v1 lists them`);
}

function eventFilter(params: URLSearchParams): ((event: ConsoleEvent) => boolean) | undefined {
  const type = params.get('type');
  const processor = params.get('processor');
  const afterText = params.get('after');
  if (type !== null && !EVENT_TYPES.has(type)) {
    throw new ApiError(400, 'badRequest', `type is one of ${[...EVENT_TYPES].join(', ')}, got ${JSON.stringify(type.slice(0, 40))}`);
  }
  let after = 0;
  if (afterText !== null) {
    if (!/^[0-9]{1,15}$/.test(afterText)) throw new ApiError(400, 'badRequest', `after is an event id (a non-negative integer), got ${JSON.stringify(afterText.slice(0, 40))}`);
    after = Number(afterText);
  }
  if (type === null && processor === null && after === 0) return undefined;
  return (event) => (type === null || event.type === type) && (processor === null || event.processor === processor) && event.id > after;
}

async function apply(context: Context, body: Uint8Array): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ApiError(400, 'malformedBody', 'a settings document is UTF-8 text (YAML or JSON)');
  }
  const { instance } = context;
  let settings;
  try {
    settings = parseSettings(text, { kinds: instance.kinds, env: context.env, source: 'POST /api/v1/apply' });
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    instance.events.emit('settings.refused', { trigger: 'POST /api/v1/apply', error });
    throw new ApiError(422, 'invalidSettings', error.message, { issues: error.issues });
  }
  try {
    return { report: await instance.apply(settings) };
  } catch (error) {
    throw new ApiError(409, 'applyFailed', `the instance cannot apply settings now: ${context.model.redact(messageOf(error))}`);
  }
}

/** The request's body, at most `maxBytes` (past it: 413, and the rest is not read). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) {
    request.resume();
    return Promise.reject(new ApiError(413, 'bodyTooLarge', `a body is at most ${maxBytes} bytes, this one says ${declared}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new ApiError(413, 'bodyTooLarge', `a body is at most ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Serves a file of `dir` for `path`: `/` is `index.html`; nothing outside `dir` (no `..`, no link out of it). */
async function servePage(dir: string, path: string, response: ServerResponse): Promise<void> {
  let relative: string;
  try {
    relative = decodeURIComponent(path);
  } catch {
    return sendError(response, new ApiError(400, 'badRequest', 'the path is not a valid URL'));
  }
  if (relative.endsWith('/')) relative += 'index.html';
  const parts = relative.split('/').filter((part) => part.length > 0);
  if (parts.some((part) => part === '..' || part === '.' || part.includes('\\') || part.includes('\0'))) {
    return sendError(response, new ApiError(404, 'notFound', 'no such file'));
  }
  const file = await fileIn(dir, parts);
  if (file === undefined) {
    if (parts.length === 1 && parts[0] === 'index.html') {
      sendPage(response, 'text/html; charset=utf-8', Buffer.from(FALLBACK_PAGE));
      return;
    }
    return sendError(response, new ApiError(404, 'notFound', 'no such file'));
  }
  sendPage(response, CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', await readFile(file));
}

/** The real path of `parts` under `dir` when it is a file there (links followed, but only inside `dir`). */
async function fileIn(dir: string, parts: readonly string[]): Promise<string | undefined> {
  try {
    const root = await realpath(dir);
    const file = await realpath(join(root, ...parts));
    if (!file.startsWith(root + sep)) return undefined;
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

function sendPage(response: ServerResponse, type: string, body: Buffer): void {
  const headers: Record<string, string | number> = { ...COMMON_HEADERS, 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' };
  if (type.startsWith('text/html')) headers['content-security-policy'] = PAGE_CSP;
  response.writeHead(200, headers);
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
