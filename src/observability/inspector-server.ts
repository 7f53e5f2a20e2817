/**
 * The inspector server: on loopback, an HTTP page that embeds the Stately inspector and
 * feeds it, and a WebSocket relay between the bus's inspection link and that page (and
 * any other client, such as `@statelyai/inspect`'s `createWebSocketReceiver`).
 *
 * It speaks the protocol of `@statelyai/inspect/server`'s `createInspectorServer` (the
 * same page, the same JSON events), but: it listens on loopback unless told otherwise
 * (theirs listens on every interface, with no host option); it never runs a shell command
 * to open a browser; a client that connects late is sent every actor registration and
 * each actor's latest snapshot, not only the last 200 messages, so a page opened after
 * start-up still draws Main and every processor in its current state; and it trusts no
 * one by default:
 *
 * - it answers only requests whose `Host` is its own address (421 otherwise), and takes
 *   a WebSocket only from its own page's origin or from a tool that sends no `Origin`
 *   (403 otherwise): a page of another site cannot connect, even through DNS rebinding;
 * - it relays (and replays) only what a **source** sends: a client that presented the
 *   server's token (`Authorization: Bearer <token>`, as {@link createInspection} does
 *   with `token`). Other clients are viewers: what they send is dropped, counted. A wrong
 *   token is refused (401);
 * - its memory is bounded: each message (`maxMessageBytes`), the replay buffer as a
 *   whole (`maxReplayBytes`, besides its counts), and each viewer's send backlog (a viewer
 *   that does not read past `maxReplayBytes` is cut off).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { BusError } from '../actors/errors.js';
import { CountedWarning, type WarningLogger } from './counted-warning.js';
import {
  DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES,
  DEFAULT_INSPECTOR_MAX_REPLAY_BYTES,
  DEFAULT_INSPECTOR_PORT,
  STATELY_INSPECTOR_URL,
} from './inspector-defaults.js';
import { allowedAuthorities, bearerMatches, hasAuthorization, hostAllowed, originAllowed, type HostRuleOptions } from './http-guard.js';

/** A frame this many times over `maxMessageBytes` is not even read: its connection is closed (1009). */
const HARD_LIMIT_FACTOR = 4;

/** Options of {@link InspectorServer.listen}. */
export interface InspectorServerOptions extends HostRuleOptions {
  /**
   * TCP port of the page and the WebSocket; 0 picks a free one.
   * @defaultValue 8080
   */
  port?: number;
  /**
   * Interface to listen on. Anything but loopback shows the lifecycles to the network.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string;
  /**
   * The inspector UI the page embeds.
   * @defaultValue `'https://stately.ai/inspect'`
   */
  inspectorUrl?: string;
  /**
   * Most recent events replayed to a client that connects late, besides every actor
   * registration and each actor's latest snapshot.
   * @defaultValue 1000
   */
  replay?: number;
  /**
   * Most actors remembered for replay; past it the oldest are forgotten.
   * @defaultValue 10000
   */
  maxActors?: number;
  /**
   * Largest message relayed, in bytes; a larger one is dropped and counted (`oversized`),
   * with a warning. A frame over 4 times this is not read at all: its sender is
   * disconnected (close code 1009).
   * @defaultValue 1048576 (1 MiB)
   */
  maxMessageBytes?: number;
  /**
   * Most bytes the replay buffer holds, actors, snapshots and recent events together;
   * past it the oldest recent events go first, then the oldest actors. Also the largest
   * send backlog of one viewer: one that does not read past it is disconnected.
   * @defaultValue 33554432 (32 MiB)
   */
  maxReplayBytes?: number;
  /**
   * The token a source presents (`Authorization: Bearer <token>`) to have its messages
   * relayed. Give one when another process sends to this server; it must then be given
   * the same.
   * @defaultValue 32 random bytes, base64url
   */
  token?: string;
  /** Where counted warnings go (oversized messages, ignored senders, slow viewers). @defaultValue nowhere */
  logger?: WarningLogger;
}

interface Stored {
  seq: number;
  text: string;
  bytes: number;
}

/** What a late client is sent: actors, their latest snapshots, then recent events; bounded in count and bytes. */
class Replay {
  /** Bytes held, over actors, latest snapshots and recent events. */
  bytes = 0;
  private seq = 0;
  private readonly actors = new Map<string, Stored>();
  private readonly latest = new Map<string, Stored>();
  private recent: Stored[] = [];
  private head = 0;

  constructor(
    private readonly maxRecent: number,
    private readonly maxActors: number,
    private readonly maxBytes: number,
  ) {}

  add(text: string, bytes: number): void {
    let parsed: { type?: unknown; sessionId?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return; // not an inspection event: relayed, not replayed
    }
    if (bytes > this.maxBytes) return;
    const stored = { seq: ++this.seq, text, bytes };
    const session = typeof parsed?.sessionId === 'string' ? parsed.sessionId : undefined;
    if (parsed?.type === '@xstate.actor' && session !== undefined) {
      this.forgetActor(session);
      this.actors.set(session, stored);
      this.bytes += bytes;
      if (this.actors.size > this.maxActors) this.forgetActor(this.actors.keys().next().value!);
    } else {
      if (parsed?.type === '@xstate.snapshot' && session !== undefined && this.actors.has(session)) {
        this.bytes -= this.latest.get(session)?.bytes ?? 0;
        this.latest.set(session, stored);
        this.bytes += bytes;
      }
      this.recent.push(stored);
      this.bytes += bytes;
      if (this.recent.length - this.head > this.maxRecent) this.dropOldestRecent();
    }
    while (this.bytes > this.maxBytes) {
      if (this.recent.length > this.head) this.dropOldestRecent();
      else if (this.actors.size > 0) this.forgetActor(this.actors.keys().next().value!);
      else break;
    }
  }

  /** Messages for a new client, in an order the inspector accepts. */
  messages(): string[] {
    const firstRecent = this.recent[this.head]?.seq ?? Infinity;
    const out: string[] = [];
    for (const actor of this.actors.values()) out.push(actor.text);
    // Snapshots older than the recent window: the actor's current state.
    for (const snapshot of this.latest.values()) if (snapshot.seq < firstRecent) out.push(snapshot.text);
    for (let i = this.head; i < this.recent.length; i++) out.push(this.recent[i]!.text);
    return out;
  }

  private forgetActor(session: string): void {
    this.bytes -= (this.actors.get(session)?.bytes ?? 0) + (this.latest.get(session)?.bytes ?? 0);
    this.actors.delete(session);
    this.latest.delete(session);
  }

  private dropOldestRecent(): void {
    this.bytes -= this.recent[this.head]!.bytes;
    this.head++;
    // Compact now and then, so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
  }
}

function bridgePage(inspectorUrl: string): string {
  // The page of @statelyai/inspect/server: it waits for the inspector frame to say it is
  // connected, then posts every event from the socket into it.
  return `<!DOCTYPE html>
<html>
<head>
  <title>prosa - Stately inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    iframe { width: 100%; height: 100%; border: none; }
  </style>
</head>
<body>
  <iframe id="inspector" src=${JSON.stringify(inspectorUrl)}></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const buffer = [];
    let connected = false;
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        buffer.forEach((event) => iframe.contentWindow.postMessage(event, '*'));
        buffer.length = 0;
      }
    });
    const ws = new WebSocket('ws://' + location.host); // the server that sent this page
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else buffer.push(data);
    };
  </script>
</body>
</html>
`;
}

/** Writes a bare HTTP refusal on an upgrade socket and closes it. */
function refuseUpgrade(socket: Duplex, status: 401 | 403 | 421, reason: string): void {
  const text = { 401: 'Unauthorized', 403: 'Forbidden', 421: 'Misdirected Request' }[status];
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new BusError('InvalidOption', `inspector ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** A listening inspector server. */
export class InspectorServer {
  /** Port of the page and the WebSocket. */
  readonly port: number;
  /** Host it listens on. */
  readonly host: string;
  /**
   * The token a source presents to have its messages relayed: give it to
   * `createInspection({ token })`. A secret: never log it.
   */
  readonly token: string;
  private readonly http: Server;
  private readonly sockets: WebSocketServer;
  private readonly warnings: ServerWarnings;
  private closing: Promise<void> | undefined;

  private constructor(http: Server, sockets: WebSocketServer, host: string, token: string, warnings: ServerWarnings) {
    this.http = http;
    this.sockets = sockets;
    this.host = host;
    this.token = token;
    this.warnings = warnings;
    this.port = (http.address() as AddressInfo).port;
  }

  /**
   * Starts listening. Rejects with the listen error (`EADDRINUSE`, ...), or a `BusError`
   * `InvalidOption` for a bad option.
   */
  static listen(options: InspectorServerOptions = {}): Promise<InspectorServer> {
    const port = options.port ?? DEFAULT_INSPECTOR_PORT;
    const host = options.host ?? '127.0.0.1';
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      return Promise.reject(new BusError('InvalidOption', `inspector port must be an integer in 0..65535, got ${String(port)}`));
    }
    let maxMessageBytes: number;
    let maxReplayBytes: number;
    try {
      maxMessageBytes = positiveOption('maxMessageBytes', options.maxMessageBytes, DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES);
      maxReplayBytes = positiveOption('maxReplayBytes', options.maxReplayBytes, DEFAULT_INSPECTOR_MAX_REPLAY_BYTES);
    } catch (error) {
      return Promise.reject(error);
    }
    const token = options.token ?? randomBytes(32).toString('base64url');
    if (typeof token !== 'string' || token.length === 0 || /\s/.test(token)) {
      return Promise.reject(new BusError('InvalidOption', 'inspector token must be a non-empty string without spaces'));
    }
    const inspectorUrl = options.inspectorUrl ?? STATELY_INSPECTOR_URL;
    const replay = new Replay(options.replay ?? 1_000, options.maxActors ?? 10_000, maxReplayBytes);
    const warnings: ServerWarnings = {
      oversized: new CountedWarning(options.logger, `inspector: dropped a message over ${maxMessageBytes} bytes`),
      ignored: new CountedWarning(options.logger, 'inspector: ignored a message from a client without the token'),
      slow: new CountedWarning(options.logger, `inspector: disconnected a viewer more than ${maxReplayBytes} bytes behind`),
    };
    const page = bridgePage(inspectorUrl);
    let allowed: ReadonlySet<string> | undefined;
    const allowedNow = () => (allowed ??= allowedAuthorities(host, (http.address() as AddressInfo).port, options));
    const http = createServer((request, response) => {
      if (!hostAllowed(request, allowedNow())) {
        response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('misdirected request: this Host is not the address of this server\n');
        return;
      }
      if (request.method !== 'GET' || (request.url ?? '/').split('?', 1)[0] !== '/') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    });
    const sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes * HARD_LIMIT_FACTOR });
    const sources = new WeakSet<WebSocket>();
    const relay = (text: string, from: WebSocket) => {
      for (const other of sockets.clients) {
        if (other === from || sources.has(other) || other.readyState !== WebSocket.OPEN) continue;
        if (other.bufferedAmount > maxReplayBytes) {
          warnings.slow.hit();
          other.terminate();
          continue;
        }
        other.send(text);
      }
    };
    const connected = (client: WebSocket, source: boolean) => {
      client.on('error', () => undefined); // a frame over the hard limit, a reset: the socket closes
      if (source) sources.add(client);
      else for (const text of replay.messages()) client.send(text);
      client.on('message', (data, isBinary) => {
        if (!source) {
          warnings.ignored.hit();
          return;
        }
        if (isBinary) return;
        const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (buffer.length > maxMessageBytes) {
          warnings.oversized.hit({ bytes: buffer.length });
          return;
        }
        const text = buffer.toString('utf8');
        replay.add(text, buffer.length);
        relay(text, client);
      });
    };
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      if (!hostAllowed(request, allowedNow())) return refuseUpgrade(socket, 421, 'this Host is not the address of this server');
      if (!originAllowed(request, allowedNow())) return refuseUpgrade(socket, 403, 'only the page of this server may connect');
      const source = hasAuthorization(request);
      if (source && !bearerMatches(request, token)) return refuseUpgrade(socket, 401, 'wrong token');
      sockets.handleUpgrade(request, socket, head, (client) => connected(client, source));
    });
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve(new InspectorServer(http, sockets, host, token, warnings));
      });
    });
  }

  /** WebSocket URL for {@link createInspection} and receivers. */
  get url(): string {
    return `ws://${this.authority}`;
  }

  /** The page to open in a browser to watch the lifecycles. */
  get pageUrl(): string {
    return `http://${this.authority}/`;
  }

  /** Messages dropped because they were over `maxMessageBytes`. */
  get oversized(): number {
    return this.warnings.oversized.count;
  }

  /** Messages dropped because their sender had not presented the token. */
  get ignored(): number {
    return this.warnings.ignored.count;
  }

  /** Viewers disconnected because their send backlog went over `maxReplayBytes`. */
  get slowViewers(): number {
    return this.warnings.slow.count;
  }

  private get authority(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Closes every client and stops listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const client of this.sockets.clients) client.terminate();
      this.sockets.close();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    return this.closing;
  }
}

interface ServerWarnings {
  oversized: CountedWarning;
  ignored: CountedWarning;
  slow: CountedWarning;
}
