import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ProcessorContext, Prosa } from '../../src/index.js';
import { createInspection, InspectorServer, type Inspection } from '../../src/observability/inspector.js';
import { record, sleep, testBus } from '../support/bus.js';

let server: InspectorServer | undefined;
let inspection: Inspection | undefined;
let prosa: Prosa | undefined;
afterEach(async () => {
  await prosa?.stop();
  await inspection?.close();
  await server?.close();
  prosa = inspection = server = undefined;
});

const echo = { processRequest: (_service: string, request: ReturnType<typeof record>) => request };

/** Polls until `done()` holds, for at most `ms`. */
async function until(done: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

type Received = StatelyInspectionEvent & { snapshot?: { value?: unknown; context?: Record<string, unknown> } };

/** The leaf state a snapshot value names (`serving` for `{ active: 'serving' }`): Main and processors nest theirs one level. */
function leaf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? Object.values(value)[0] : value;
}

/** States (leaves) of the snapshots of the actor registered as `name`, in order. */
function statesOf(events: Received[], name: string): unknown[] {
  const sessions = new Set(events.filter((e) => e.type === '@xstate.actor' && e.name === name).map((e) => e.sessionId));
  return events.filter((e) => e.type === '@xstate.snapshot' && sessions.has(e.sessionId)).map((e) => leaf(e.snapshot!.value));
}

/** True when `sequence` appears in `values` in order (not necessarily next to each other). */
function inOrder(values: unknown[], sequence: unknown[]): boolean {
  let i = 0;
  for (const value of values) if (i < sequence.length && value === sequence[i]) i++;
  return i === sequence.length;
}

/** A plain ws client that records every message it is sent. */
async function listener(url: string): Promise<{ events: Received[]; socket: WebSocket }> {
  const socket = new WebSocket(url);
  const events: Received[] = [];
  socket.on('message', (data) => events.push(JSON.parse(data.toString()) as Received));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { events, socket };
}

describe('live inspection over a local WebSocket', () => {
  it('shows Main and every processor, through serving, crashed, restarting, serving and stopped', async () => {
    server = await InspectorServer.listen({ port: 0 });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    const received: Received[] = [];
    createWebSocketReceiver({ server: server.url }).subscribe((event) => void received.push(event as Received));
    inspection = createInspection({ url: server.url, token: server.token });
    await inspection.ready();

    prosa = testBus({ inspect: inspection.inspect });
    let ctx: ProcessorContext | undefined;
    const flaky = prosa.processor('flaky', {
      services: ['F'],
      restart: { delayMs: 20 },
      adaptor: { init: (c) => void (ctx = c), processRequest: echo.processRequest },
    });
    prosa.processor('steady', { services: ['S'], adaptor: echo });
    await prosa.start();
    await prosa.request('S', record(1));
    ctx!.fail(new Error('link lost'));
    await flaky.when('restarting');
    await flaky.when('serving');
    await prosa.stop();
    await inspection.close();

    await until(() => statesOf(received, 'steady').includes('stopped') && statesOf(received, 'flaky').includes('stopped'));
    const names = received.filter((e) => e.type === '@xstate.actor').map((e) => (e as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['main:test', 'flaky', 'steady']));
    expect(inOrder(statesOf(received, 'flaky'), ['serving', 'crashed', 'restarting', 'serving', 'stopped'])).toBe(true);
    expect(inOrder(statesOf(received, 'steady'), ['initializing', 'serving', 'draining', 'terminating', 'stopped'])).toBe(true);
    expect(inOrder(statesOf(received, 'main:test'), ['running', 'stopping', 'stopped'])).toBe(true);

    // Readable: the crash says why, contexts carry no ports, requests are not shown.
    const crashed = received.find((e) => e.type === '@xstate.snapshot' && e.snapshot?.value === 'crashed')!;
    expect(crashed.snapshot!.context!['lastCrash']).toMatchObject({ error: { name: 'Error', message: 'link lost' }, recoverable: true });
    expect(received.some((e) => e.snapshot?.context !== undefined && 'ports' in e.snapshot.context)).toBe(false);
    expect(received.some((e) => 'event' in e && (e.event as { type?: string }).type === 'request.sent')).toBe(false);
    const eventTypes = new Set(received.flatMap((e) => (e.type === '@xstate.event' ? [(e.event as { type: string }).type] : [])));
    for (const type of ['proc.startRequested', 'proc.crashed', 'proc.stopRequested', 'proc.drained', 'xstate.done.actor.init']) {
      expect(eventTypes.has(type), type).toBe(true);
    }
    expect(inspection.dropped).toBe(0);
  });

  it('sends requests too when asked', async () => {
    server = await InspectorServer.listen({ port: 0 });
    const watcher = await listener(server.url);
    inspection = createInspection({ url: server.url, token: server.token, requests: true });
    await inspection.ready();
    prosa = testBus({ inspect: inspection.inspect });
    prosa.processor('echo', { services: ['E'], adaptor: echo });
    await prosa.start();
    await prosa.request('E', record(7));
    await inspection.close();
    await until(() => watcher.events.some((e) => e.type === '@xstate.event' && (e.event as { type: string }).type === 'request.sent'));
    const request = watcher.events.find((e) => e.type === '@xstate.event' && (e.event as { type: string }).type === 'request.sent')!;
    expect((request as { event: unknown }).event).toEqual({ type: 'request.sent', id: 1, service: 'E' }); // no payload
    watcher.socket.close();
  });

  it('replays every actor and its latest state to a client that connects late', async () => {
    server = await InspectorServer.listen({ port: 0, replay: 5 });
    inspection = createInspection({ url: server.url, token: server.token });
    await inspection.ready();
    prosa = testBus({ inspect: inspection.inspect });
    for (const name of ['a', 'b', 'c', 'd']) prosa.processor(name, { services: [name], adaptor: echo });
    await prosa.start();
    await sleep(20); // let the inspector's timers send everything
    const late = await listener(server.url);
    await until(() => late.events.length > 0);
    await sleep(20);
    const names = late.events.filter((e) => e.type === '@xstate.actor').map((e) => (e as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['main:test', 'a', 'b', 'c', 'd']));
    for (const name of ['a', 'b', 'c', 'd']) expect(statesOf(late.events, name).at(-1)).toBe('serving');
    expect(statesOf(late.events, 'main:test').at(-1)).toBe('running');
    late.socket.close();
  });

  it('serves the page that embeds the Stately inspector, on loopback', async () => {
    server = await InspectorServer.listen({ port: 0 });
    const page = await fetch(server.pageUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    expect(html).toContain("new WebSocket('ws://' + location.host)");
    expect((await fetch(`${server.pageUrl}nope`)).status).toBe(404);
  });

  it('buffers while the server is away, counts what it drops, and rejects ready() when none answers', async () => {
    const probe = await InspectorServer.listen({ port: 0 });
    const url = probe.url;
    await probe.close();
    inspection = createInspection({ url, maxBufferedEvents: 3, reconnectMs: 60_000 });
    await expect(inspection.ready()).rejects.toThrow();
    prosa = testBus({ inspect: inspection.inspect });
    prosa.processor('a', { adaptor: echo });
    await prosa.start();
    await sleep(10);
    expect(inspection.dropped).toBeGreaterThan(0);
  });
});
