/**
 * What the console tests share: an instance with a stub and a processor that crashes on
 * demand, raw HTTP requests (any Host, any Origin), and an SSE reader.
 */
import { request as httpRequest } from 'node:http';
import { afterEach } from 'vitest';
import { z } from 'zod';
import { startConsole, type ConsoleOptions, type ConsoleServer } from '../../src/console/index.js';
import { defineFactory } from '../../src/config/index.js';
import { createInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { silentLogger } from '../support/bus.js';

/** The console token of {@link testInstance}: a secret that must show nowhere. */
export const TOKEN = 'tok-3f9a1c77e0b24d5e';

/** The kinds: the built-ins, and `flaky`, which crashes when a request's field 1 is `crash` (its message quotes the token). */
export function testKinds() {
  const kinds = defaultKinds();
  kinds.register(
    defineFactory({
      kind: 'flaky',
      description: 'Echoes; crashes when field 1 of a request is "crash".',
      version: '1',
      settings: z.strictObject({}),
      create() {
        return {
          services: ['FLAKY'],
          adaptor: {
            processRequest: (_service, request, ctx) => {
              if (request.getString(1) === 'crash') ctx.fail(new Error(`lost the link to https://user:${TOKEN}@upstream.example with token ${TOKEN}`));
              return request;
            },
          },
        };
      },
    }),
  );
  return kinds;
}

/** Settings of the test instance (the console's token is in them: `instanceSecrets` finds it). */
export function testSettings(console: Record<string, unknown> = {}) {
  return {
    name: 'console-test',
    shutdown: { graceMs: 200, terminateTimeoutMs: 100 },
    services: { ECHO: { sensitive: [2], dict: { text: 1, pin: 2 } } },
    console: { port: 0, token: TOKEN, ...console },
    processors: [
      { name: 'stub-1', kind: 'stub', settings: { services: ['ECHO'] } },
      { name: 'flaky-1', kind: 'flaky', restart: { delayMs: 20, maxDelayMs: 40 } },
    ],
  };
}

/** A built (not started) instance of {@link testSettings}. */
export function testInstance(console: Record<string, unknown> = {}): Instance {
  return createInstance(testSettings(console), { kinds: testKinds(), logger: silentLogger(), env: {} });
}

/** An answer of {@link raw}. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (Host included: fetch would not send a forged one). */
export function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: { host: url.host, ...options.headers }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The `authorization` header of {@link TOKEN}. */
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** One message of the stream. */
export interface SseMessage {
  event: string;
  id?: string;
  data: unknown;
}

/** A reader of the live stream: collects messages as they come. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  private buffer = '';
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    this.done = (async () => {
      const response = await fetch(new URL('/api/v1/stream', url), { headers, signal: this.abort.signal });
      if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body) this.take(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch (error) {
        if (!this.abort.signal.aborted) throw error;
      }
    })();
    this.done.catch(() => undefined);
  }

  private take(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: Partial<SseMessage> & { data?: unknown } = {};
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6));
      }
      if (message.event !== undefined) this.messages.push(message as SseMessage);
    }
  }

  /** The messages of one event name so far. */
  of(event: string): SseMessage[] {
    return this.messages.filter((message) => message.event === event);
  }

  /** Ends the stream. */
  close(): void {
    this.abort.abort();
  }
}

/** The instance and console a test runs, stopped and closed after each test. */
export interface ConsoleRun {
  instance: Instance | undefined;
  served: ConsoleServer | undefined;
  /** Builds the test instance with `console` settings, serves its console (with `extra` options), starts it; resolves with the console URL. */
  start(console?: Record<string, unknown>, extra?: ConsoleOptions): Promise<string>;
}

/** A {@link ConsoleRun} whose instance and console end after each test of the file that calls it. */
export function useConsole(): ConsoleRun {
  const run: ConsoleRun = {
    instance: undefined,
    served: undefined,
    async start(console = {}, extra = {}) {
      const instance = testInstance(console);
      run.instance = instance;
      run.served = await startConsole(instance, { ...instance.settings.console, logger: silentLogger(), ...extra });
      await instance.start();
      return run.served.url;
    },
  };
  afterEach(async () => {
    await run.instance?.stop();
    await run.served?.close();
    run.instance = undefined;
    run.served = undefined;
  });
  return run;
}
