/**
 * Live inspection: an XState `inspect` observer that sends the bus's lifecycle events to a
 * Stately inspector over a WebSocket (to an {@link InspectorServer}, `@statelyai/inspect`'s
 * own server, or any relay that speaks its JSON events). Built on `@statelyai/inspect`'s
 * `createInspector` with a socket of our own that waits to be open, keeps what it could
 * not send yet (bounded), and flushes before it closes.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { inspectableContext, inspectableEvent, inspectableInspectionEvent, isRequestTraffic } from './inspectable.js';

/** Options of {@link createInspection}. */
export interface InspectionOptions {
  /** WebSocket URL of the inspector server, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /**
   * Also send each request delivered to a processor's mailbox (`prosa.request` events).
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
   * Wait before connecting again after the socket closed or failed to open.
   * @defaultValue 1000
   */
  reconnectMs?: number;
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
  /** Events dropped because the buffer was full. */
  readonly dropped: number;
}

/** JSON text of an inspection event: bigints as text, a repeated object as `[Circular]`. */
function toJson(event: StatelyInspectionEvent): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(event, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

/** The socket side of the inspector: connects, buffers, reconnects, flushes. */
class InspectorSocket {
  dropped = 0;
  private socket: WebSocket | undefined;
  private readonly buffer: string[] = [];
  private closing = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly opened: Promise<void>;
  private settleOpened!: (error?: Error) => void;
  private everOpened = false;

  constructor(
    private readonly url: string,
    private readonly maxBuffered: number,
    private readonly reconnectMs: number,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpened = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.opened.catch(() => undefined); // a caller who never asks for ready() is not told
  }

  ready(): Promise<void> {
    return this.opened;
  }

  start(): void {
    if (this.closing) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.on('open', () => {
      this.everOpened = true;
      this.settleOpened();
      for (const text of this.buffer.splice(0)) socket.send(text);
    });
    socket.on('error', (error) => {
      if (!this.everOpened) this.settleOpened(error);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.closing) return;
      this.retry = setTimeout(() => this.start(), this.reconnectMs);
      this.retry.unref();
    });
  }

  send(event: StatelyInspectionEvent): void {
    const text = toJson(event);
    const socket = this.socket;
    if (socket !== undefined && socket.readyState === WebSocket.OPEN) {
      socket.send(text);
      return;
    }
    this.buffer.push(text);
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.shift();
      this.dropped++;
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
  const socket = new InspectorSocket(options.url, options.maxBufferedEvents ?? 10_000, options.reconnectMs ?? 1_000);
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
      return socket.dropped;
    },
  };
}
