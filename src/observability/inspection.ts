/**
 * Live inspection: an XState `inspect` observer that sends the bus's lifecycle events to a
 * Stately inspector over a WebSocket (to an {@link InspectorServer}, `@statelyai/inspect`'s
 * own server, or any relay that speaks its JSON events). Built on `@statelyai/inspect`'s
 * `createInspector` with a socket of our own that waits to be open, keeps what it could
 * not send yet (bounded in count and bytes), and flushes before it closes.
 *
 * Every session id it sends is prefixed with a session of its own (process id and random
 * bytes), so that two processes sending to one server never overwrite each other's
 * actors. A message over the size limit is sent without its context and event (then
 * counted as truncated), or not at all (counted as dropped). Fields named as secret
 * headers (`authorization`, ...) are masked and URL passwords hidden, wherever they are.
 */
import { randomBytes } from 'node:crypto';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { isSecretKey, maskUrlCredentials, SECRET_MASK } from './secrets.js';
import { CountedWarning, type WarningLogger } from './counted-warning.js';
import { inspectableContext, inspectableEvent, inspectableInspectionEvent, isRequestTraffic } from './inspectable.js';
import { DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES } from './inspector-defaults.js';

/** Default byte bound of the events kept while the socket is not open (16 MiB). */
export const DEFAULT_INSPECTION_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Options of {@link createInspection}. */
export interface InspectionOptions {
  /** WebSocket URL of the inspector server, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /**
   * Also send each request delivered to a processor's mailbox (`request.sent` events).
   * Off by default: every request would cost a timer and a JSON text, and would flood the
   * inspector; lifecycles are what it is for.
   * @defaultValue false
   */
  requests?: boolean;
  /**
   * Most events kept while the socket is not open yet (or is reconnecting); past it the
   * oldest are dropped and counted in `dropped`.
   * @defaultValue 10000
   */
  maxBufferedEvents?: number;
  /**
   * Most bytes kept while the socket is not open (or the server reads slowly: bytes the
   * socket has not written yet count too); past it the oldest are dropped and counted in
   * `dropped`.
   * @defaultValue 16777216 (16 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Largest message sent, in bytes: a larger event goes without its context and event
   * data, and if still too large without its machine definition (counted in
   * `truncated`); if even that is too large, not at all (counted in `dropped`). Keep it
   * at most the server's `maxMessageBytes`.
   * @defaultValue 1048576 (1 MiB)
   */
  maxMessageBytes?: number;
  /**
   * Wait before connecting again after the socket closed or failed to open.
   * @defaultValue 1000
   */
  reconnectMs?: number;
  /**
   * The server's token (`InspectorServer.token`), sent as `Authorization: Bearer <token>`:
   * an {@link InspectorServer} relays only what a client with its token sends.
   * @defaultValue none (a server of ours then treats this link as a viewer and relays nothing it sends)
   */
  token?: string;
  /**
   * Prefix of every session id sent, unique to this link: two processes (or two buses)
   * sending to one server keep their actors apart.
   * @defaultValue `<pid>-<8 random hex digits>`
   */
  session?: string;
  /** Where counted warnings go (truncated and dropped events). @defaultValue nowhere */
  logger?: WarningLogger;
}

/** A running inspection link. */
export interface Inspection {
  /** The observer to pass as `createProsa({ inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Resolves once the socket is open; rejects if the first attempt fails. */
  ready(): Promise<void>;
  /**
   * Sends what is still pending (events the inspector defers to a timer, and those
   * buffered), then closes the socket. Resolves once closed (at most ~1 s). Idempotent.
   */
  close(): Promise<void>;
  /** Events dropped: the buffer was full, or one was over `maxMessageBytes` even without its context. */
  readonly dropped: number;
  /** Events sent without their context and event data, being over `maxMessageBytes`. */
  readonly truncated: number;
  /** The prefix of this link's session ids. */
  readonly session: string;
}

/**
 * JSON text of an inspection event: bigints as text, a repeated object as `[Circular]`,
 * secret-named fields masked and URL passwords hidden.
 */
function toJson(event: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(event, (key, value: unknown) => {
    if (typeof value === 'string') return key !== '' && isSecretKey(key) ? SECRET_MASK : maskUrlCredentials(value);
    if (typeof value === 'bigint') return value.toString();
    if (key !== '' && value !== undefined && isSecretKey(key)) return SECRET_MASK;
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

/** The top-level fields of an inspection event that hold session ids. */
const SESSION_FIELDS = ['sessionId', 'parentId', 'rootId', 'sourceId'] as const;

/** `event` with its session ids prefixed by `session`. */
function inSession(event: StatelyInspectionEvent, session: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event };
  for (const field of SESSION_FIELDS) {
    const id = copy[field];
    if (typeof id === 'string') copy[field] = `${session}:${id}`;
  }
  return copy;
}

/**
 * `event` without its bulky parts, saying so: its snapshot's context and its event's data;
 * with `definition`, also an actor's machine definition (then drawn as a bare actor).
 */
function truncatedEvent(event: Record<string, unknown>, note: string, definition: boolean): Record<string, unknown> {
  const copy = { ...event };
  const snapshot = copy['snapshot'] as { status?: unknown; value?: unknown } | undefined;
  if (typeof snapshot === 'object' && snapshot !== null) {
    copy['snapshot'] = { status: snapshot.status, value: snapshot.value, context: note };
  }
  const inner = copy['event'] as { type?: unknown } | undefined;
  if (typeof inner === 'object' && inner !== null) copy['event'] = { type: inner.type, prosaTruncated: note };
  if (definition && typeof copy['definition'] === 'string') copy['definition'] = JSON.stringify({ id: copy['name'], description: note });
  return copy;
}

interface SocketOptions {
  url: string;
  maxBuffered: number;
  maxBufferedBytes: number;
  maxMessageBytes: number;
  reconnectMs: number;
  token: string | undefined;
  session: string;
  logger: WarningLogger | undefined;
}

/** The socket side of the inspector: connects, buffers, reconnects, flushes. */
class InspectorSocket {
  private socket: WebSocket | undefined;
  private readonly buffer: { text: string; bytes: number }[] = [];
  private bufferedBytes = 0;
  private closing = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly opened: Promise<void>;
  private settleOpened!: (error?: Error) => void;
  private everOpened = false;
  readonly droppedWarning: CountedWarning;
  readonly truncatedWarning: CountedWarning;

  constructor(private readonly options: SocketOptions) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpened = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.opened.catch(() => undefined); // a caller who never asks for ready() is not told
    this.droppedWarning = new CountedWarning(options.logger, 'inspection: dropped an event');
    this.truncatedWarning = new CountedWarning(
      options.logger,
      `inspection: sent an event over ${options.maxMessageBytes} bytes without its context`,
    );
  }

  ready(): Promise<void> {
    return this.opened;
  }

  start(): void {
    if (this.closing) return;
    const headers = this.options.token === undefined ? undefined : { authorization: `Bearer ${this.options.token}` };
    const socket = new WebSocket(this.options.url, { headers });
    this.socket = socket;
    socket.on('open', () => {
      this.everOpened = true;
      this.settleOpened();
      const pending = this.buffer.splice(0);
      this.bufferedBytes = 0;
      for (const { text } of pending) socket.send(text);
    });
    socket.on('error', (error) => {
      if (!this.everOpened) this.settleOpened(error);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.closing) return;
      this.retry = setTimeout(() => this.start(), this.options.reconnectMs);
      this.retry.unref();
    });
  }

  send(event: StatelyInspectionEvent): void {
    const limit = this.options.maxMessageBytes;
    const sessioned = inSession(event, this.options.session);
    let text = toJson(sessioned);
    let bytes = Buffer.byteLength(text);
    if (bytes > limit) {
      const note = `[prosa: left out, the message had ${bytes} bytes, over the limit of ${limit}]`;
      text = toJson(truncatedEvent(sessioned, note, false));
      if (Buffer.byteLength(text) > limit) text = toJson(truncatedEvent(sessioned, note, true));
      const shrunk = Buffer.byteLength(text);
      if (shrunk > limit) {
        this.droppedWarning.hit({ reason: 'over maxMessageBytes', bytes });
        return;
      }
      this.truncatedWarning.hit({ bytes });
      bytes = shrunk;
    }
    const socket = this.socket;
    if (socket !== undefined && socket.readyState === WebSocket.OPEN) {
      // A server that does not read makes the socket's own buffer grow: bounded the same way.
      if (socket.bufferedAmount + bytes > this.options.maxBufferedBytes) {
        this.droppedWarning.hit({ reason: 'the server reads too slowly' });
        return;
      }
      socket.send(text);
      return;
    }
    this.buffer.push({ text, bytes });
    this.bufferedBytes += bytes;
    while (this.buffer.length > this.options.maxBuffered || this.bufferedBytes > this.options.maxBufferedBytes) {
      this.bufferedBytes -= this.buffer.shift()!.bytes;
      this.droppedWarning.hit({ reason: 'buffer full' });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retry);
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'inspection closed'); // queued frames go out first
    });
  }
}

/**
 * Connects to an inspector server and returns the observer to give the bus. Lifecycle
 * events of Main and every processor (their registration, each event, each snapshot) go
 * to the server; contexts go without their ports and with errors readable. Requests do
 * not, unless `requests` is set. Call `close()` after the bus stopped, so the last
 * snapshots (`stopped`) are sent.
 */
export function createInspection(options: InspectionOptions): Inspection {
  const session = options.session ?? `${process.pid}-${randomBytes(4).toString('hex')}`;
  const socket = new InspectorSocket({
    url: options.url,
    maxBuffered: options.maxBufferedEvents ?? 10_000,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_INSPECTION_MAX_BUFFERED_BYTES,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES,
    reconnectMs: options.reconnectMs ?? 1_000,
    token: options.token,
    session,
    logger: options.logger,
  });
  const inspector = createInspector(socket, {
    sanitizeContext: inspectableContext,
    sanitizeEvent: inspectableEvent,
  });
  inspector.start();
  const requests = options.requests ?? false;
  let closing: Promise<void> | undefined;
  return {
    inspect: {
      next(event) {
        // The Stately inspector draws actors, events and snapshots; it drops microsteps and
        // actions after a timer each, so they are dropped here, before the timer.
        if (event.type !== '@xstate.actor' && event.type !== '@xstate.event' && event.type !== '@xstate.snapshot') return;
        if (!requests && isRequestTraffic(event)) return;
        inspector.inspect.next?.(inspectableInspectionEvent(event));
      },
    },
    ready: () => socket.ready(),
    close() {
      // The inspector converts each event on a 0 ms timer: one more timer runs after them all.
      closing ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => socket.close());
      return closing;
    },
    get dropped() {
      return socket.droppedWarning.count;
    },
    get truncated() {
      return socket.truncatedWarning.count;
    },
    session,
  };
}
