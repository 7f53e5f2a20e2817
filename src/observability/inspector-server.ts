/**
 * The inspector server: on loopback, an HTTP page that embeds the Stately inspector and
 * feeds it, and a WebSocket relay between the bus's inspection link and that page (and
 * any other client, such as `@statelyai/inspect`'s `createWebSocketReceiver`).
 *
 * It speaks the protocol of `@statelyai/inspect/server`'s `createInspectorServer` (the
 * same page, the same JSON events, each message relayed to every other client), but:
 * it listens on loopback unless told otherwise (theirs listens on every interface, with
 * no host option); it never runs a shell command to open a browser; and a client that
 * connects late is sent every actor registration and each actor's latest snapshot, not
 * only the last 200 messages, so a page opened after start-up still draws Main and every
 * processor in its current state.
 */
import { BusError } from '../actors/errors.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** Default port of the inspector server (`@statelyai/inspect/server`'s). */
export const DEFAULT_INSPECTOR_PORT = 8080;
/** The Stately inspector the page embeds. */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** Options of {@link InspectorServer.listen}. */
export interface InspectorServerOptions {
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
}

interface Stored {
  seq: number;
  text: string;
}

/** What a late client is sent: actors, their latest snapshots, then recent events. */
class Replay {
  private seq = 0;
  private readonly actors = new Map<string, Stored>();
  private readonly latest = new Map<string, Stored>();
  private readonly recent: Stored[] = [];

  constructor(
    private readonly maxRecent: number,
    private readonly maxActors: number,
  ) {}

  add(text: string): void {
    const stored = { seq: ++this.seq, text };
    let parsed: { type?: unknown; sessionId?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return; // not an inspection event: relayed, not replayed
    }
    const session = typeof parsed.sessionId === 'string' ? parsed.sessionId : undefined;
    if (parsed.type === '@xstate.actor' && session !== undefined) {
      this.actors.set(session, stored);
      if (this.actors.size > this.maxActors) {
        const oldest = this.actors.keys().next().value!;
        this.actors.delete(oldest);
        this.latest.delete(oldest);
      }
      return;
    }
    if (parsed.type === '@xstate.snapshot' && session !== undefined && this.actors.has(session)) {
      this.latest.set(session, stored);
    }
    this.recent.push(stored);
    if (this.recent.length > this.maxRecent) this.recent.shift();
  }

  /** Messages for a new client, in an order the inspector accepts. */
  messages(): string[] {
    const firstRecent = this.recent[0]?.seq ?? Infinity;
    const out: string[] = [];
    for (const actor of this.actors.values()) out.push(actor.text);
    // Snapshots older than the recent window: the actor's current state.
    for (const snapshot of this.latest.values()) if (snapshot.seq < firstRecent) out.push(snapshot.text);
    for (const event of this.recent) out.push(event.text);
    return out;
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

/** A listening inspector server. */
export class InspectorServer {
  /** Port of the page and the WebSocket. */
  readonly port: number;
  /** Host it listens on. */
  readonly host: string;
  private readonly http: Server;
  private readonly sockets: WebSocketServer;
  private closing: Promise<void> | undefined;

  private constructor(http: Server, sockets: WebSocketServer, host: string) {
    this.http = http;
    this.sockets = sockets;
    this.host = host;
    this.port = (http.address() as AddressInfo).port;
  }

  /** Starts listening. Rejects with the listen error (`EADDRINUSE`, ...). */
  static listen(options: InspectorServerOptions = {}): Promise<InspectorServer> {
    const port = options.port ?? DEFAULT_INSPECTOR_PORT;
    const host = options.host ?? '127.0.0.1';
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      return Promise.reject(new BusError('InvalidOption', `inspector port must be an integer in 0..65535, got ${String(port)}`));
    }
    const inspectorUrl = options.inspectorUrl ?? STATELY_INSPECTOR_URL;
    const replay = new Replay(options.replay ?? 1_000, options.maxActors ?? 10_000);
    const page = bridgePage(inspectorUrl);
    const http = createServer((request, response) => {
      if (request.method !== 'GET' || (request.url ?? '/').split('?', 1)[0] !== '/') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    });
    const sockets = new WebSocketServer({ server: http });
    sockets.on('error', () => undefined); // it repeats the HTTP server's errors, which listen() reports
    sockets.on('connection', (client) => {
      for (const text of replay.messages()) client.send(text);
      client.on('message', (data, isBinary) => {
        if (isBinary) return;
        const text = data.toString();
        replay.add(text);
        for (const other of sockets.clients) {
          if (other !== client && other.readyState === WebSocket.OPEN) other.send(text);
        }
      });
    });
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve(new InspectorServer(http, sockets, host));
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
