/**
 * The live stream's clients: Server-Sent Events over plain HTTP responses. Each client
 * is sent its snapshot, then every message broadcast; a comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream and finds dead clients. Memory
 * is bounded: at most `maxClients` at once, and a client whose send backlog is still over
 * `maxBacklogBytes` when a new message comes (it does not read) is disconnected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CountedWarning, type WarningLogger } from '../observability/counted-warning.js';

/** Options of a {@link StreamHub}. */
export interface StreamHubOptions {
  /** Most clients at once. */
  maxClients: number;
  /** Largest send backlog a client may have when a message comes. */
  maxBacklogBytes: number;
  /**
   * Interval of the keep-alive comment.
   * @defaultValue 15000
   */
  heartbeatMs?: number;
  /** Where the counted warnings go (slow clients, clients refused). */
  logger?: WarningLogger;
}

/** One SSE frame: `event`, optional `id`, and `data` (one line of JSON: it holds no line break). */
export function sseFrame(event: string, data: string, id?: number): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
}

/** The clients of the live stream. */
export class StreamHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly slow: CountedWarning;
  private readonly refused: CountedWarning;
  private closed = false;

  constructor(private readonly options: StreamHubOptions) {
    this.slow = new CountedWarning(options.logger, `console: disconnected a stream client more than ${options.maxBacklogBytes} bytes behind`);
    this.refused = new CountedWarning(options.logger, `console: refused a stream client past the ${options.maxClients} connected`);
    this.heartbeat = setInterval(() => this.send(': ping\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Clients connected now. */
  get size(): number {
    return this.clients.size;
  }

  /** Clients disconnected because they did not read. */
  get slowClients(): number {
    return this.slow.count;
  }

  /** Clients refused because `maxClients` were connected. */
  get refusedClients(): number {
    return this.refused.count;
  }

  /** Bytes written to clients and not yet taken by their sockets, over every client. */
  backlogBytes(): number {
    let bytes = 0;
    for (const client of this.clients) bytes += client.writableLength;
    return bytes;
  }

  /**
   * Takes `response` as a client, unless `maxClients` are connected (then counts it and
   * returns false: the caller answers 503). Sends the stream's headers, then `first` (the
   * snapshot frame). The client leaves when its request closes.
   */
  open(request: IncomingMessage, response: ServerResponse, first: string): boolean {
    if (this.closed || this.clients.size >= this.options.maxClients) {
      this.refused.hit();
      return false;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    response.flushHeaders();
    this.clients.add(response);
    const leave = () => this.clients.delete(response);
    request.on('close', leave);
    response.on('close', leave);
    response.on('error', leave);
    response.write(`retry: 2000\n\n${first}`);
    return true;
  }

  /** Sends one frame (see {@link sseFrame}) to every client; disconnects those too far behind. */
  broadcast(event: string, data: string, id?: number): void {
    if (this.clients.size === 0) return;
    this.send(sseFrame(event, data, id));
  }

  /** Ends every client's stream. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private send(frame: string): void {
    for (const client of this.clients) {
      if (client.writableLength > this.options.maxBacklogBytes) {
        this.slow.hit();
        this.clients.delete(client);
        client.destroy();
        continue;
      }
      client.write(frame);
    }
  }
}
