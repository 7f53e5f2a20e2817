/**
 * The inspector server trusts no one by default: the Host and Origin rules, the token
 * that makes a client a source, bounded memory, and sessions that keep two buses (or two
 * processes) apart. Over real HTTP and WebSocket connections.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createActor, setup } from 'xstate';
import type { Prosa } from '../../src/index.js';
import { createInspection, InspectorServer, type Inspection } from '../../src/observability/inspector.js';
import { sleep, testBus } from '../support/bus.js';

const ROOT = resolvePath(import.meta.dirname, '../..');
const INSPECTED_BUS = resolvePath(import.meta.dirname, 'fixtures/inspected-bus.ts');

let servers: InspectorServer[] = [];
let inspections: Inspection[] = [];
let buses: Prosa[] = [];
let sockets: WebSocket[] = [];
afterEach(async () => {
  for (const bus of buses) await bus.stop();
  for (const inspection of inspections) await inspection.close();
  for (const socket of sockets) socket.terminate();
  for (const server of servers) await server.close();
  servers = [];
  inspections = [];
  buses = [];
  sockets = [];
});

async function listen(options: Parameters<typeof InspectorServer.listen>[0] = {}): Promise<InspectorServer> {
  const server = await InspectorServer.listen({ port: 0, ...options });
  servers.push(server);
  return server;
}

type Opened = { socket: WebSocket; messages: string[] };

/** Opens a WebSocket; resolves with it once open, or rejects with the HTTP status it was refused with. */
function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    sockets.push(socket);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** GET `path` with a given Host header; resolves with the status. */
function getWithHost(port: number, host: string, path = '/', headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', reject);
    request.end();
  });
}

async function until(done: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(5);
  }
}

const actorEvent = (sessionId: string, name: string, pad = 0) =>
  JSON.stringify({ type: '@xstate.actor', sessionId, name, _version: '0', snapshot: { status: 'active', pad: 'p'.repeat(pad) } });

describe('inspector server: who may connect', () => {
  it('answers only its own Host: the page and the WebSocket refuse a rebinding name (421)', async () => {
    const server = await listen();
    const own = `127.0.0.1:${server.port}`;
    expect(await getWithHost(server.port, own)).toBe(200);
    expect(await getWithHost(server.port, `localhost:${server.port}`)).toBe(200);
    expect(await getWithHost(server.port, `[::1]:${server.port}`)).toBe(200);
    expect(await getWithHost(server.port, `evil.example:${server.port}`)).toBe(421);
    expect(await getWithHost(server.port, `127.0.0.1:${server.port + 1}`)).toBe(421);
    await expect(connect(server.url, { headers: { host: `evil.example:${server.port}` } })).rejects.toThrow('refused with 421');
  });

  it('takes a WebSocket from its own page or a tool without Origin, and refuses other origins (403)', async () => {
    const server = await listen();
    await expect(connect(server.url)).resolves.toBeDefined(); // a tool: no Origin
    await expect(connect(server.url, { origin: `http://127.0.0.1:${server.port}` })).resolves.toBeDefined(); // its page
    await expect(connect(server.url, { origin: `http://localhost:${server.port}`, headers: { host: `localhost:${server.port}` } })).resolves.toBeDefined();
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'null', `https://127.0.0.1:${server.port}`, 'http://127.0.0.1:1']) {
      await expect(connect(server.url, { origin }), origin).rejects.toThrow('refused with 403');
    }
  });

  it('relays what a source with its token sends, nothing from a viewer, and refuses a wrong token (401)', async () => {
    const server = await listen();
    const viewer = await connect(server.url);
    const intruder = await connect(server.url);
    intruder.socket.send(actorEvent('forged', 'forged-actor'));
    await expect(connect(server.url, { headers: { authorization: 'Bearer not-the-token' } })).rejects.toThrow('refused with 401');
    const source = await connect(server.url, { headers: { authorization: `Bearer ${server.token}` } });
    source.socket.send(actorEvent('real', 'real-actor'));
    await until(() => viewer.messages.length > 0);
    await until(() => server.ignored === 1);
    const late = await connect(server.url);
    await until(() => late.messages.length > 0);
    await sleep(20);
    for (const client of [viewer, late, intruder]) {
      expect(client.messages.map((m) => (JSON.parse(m) as { name: string }).name)).toEqual(['real-actor']);
    }
    expect(source.messages).toEqual([]); // a source is not sent what others send
  });

  it('is what Observability-less embedding gets too: createInspection without the token is a mere viewer', async () => {
    const server = await listen();
    const viewer = await connect(server.url);
    const anonymous = createInspection({ url: server.url });
    inspections.push(anonymous);
    await anonymous.ready();
    const bus = testBus({ inspect: anonymous.inspect });
    buses.push(bus);
    bus.processor('a', { adaptor: { processRequest: (_s, r) => r } });
    await bus.start();
    await until(() => server.ignored > 0);
    expect(viewer.messages).toEqual([]);
  });
});

describe('inspector server: bounded memory', () => {
  it('drops a message over maxMessageBytes with a counted warning, and disconnects a sender far over it', async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) };
    const server = await listen({ maxMessageBytes: 2_000, logger: logger as never });
    const viewer = await connect(server.url);
    const source = await connect(server.url, { headers: { authorization: `Bearer ${server.token}` } });
    source.socket.send(actorEvent('big', 'big', 3_000));
    source.socket.send(actorEvent('small', 'small'));
    await until(() => viewer.messages.length === 1);
    expect((JSON.parse(viewer.messages[0]!) as { name: string }).name).toBe('small');
    expect(server.oversized).toBe(1);
    expect(warnings).toEqual([{ fields: { bytes: expect.any(Number), count: 1 }, message: expect.stringContaining('over 2000 bytes (1 so far)') }]);
    const closed = new Promise<number>((resolve) => source.socket.once('close', resolve));
    source.socket.send(actorEvent('huge', 'huge', 9_000));
    expect(await closed).toBe(1009);
  });

  it('keeps the replay buffer under maxReplayBytes, actors included, whatever arrives', async () => {
    const server = await listen({ maxReplayBytes: 20_000, replay: 1_000_000, maxActors: 1_000_000 });
    const source = await connect(server.url, { headers: { authorization: `Bearer ${server.token}` } });
    const viewer = await connect(server.url);
    for (let i = 0; i < 200; i++) {
      source.socket.send(actorEvent(`s${i}`, `a${i}`, 500));
      source.socket.send(JSON.stringify({ type: '@xstate.event', sessionId: `s${i}`, event: { type: 'e', pad: 'q'.repeat(500) } }));
    }
    await until(() => viewer.messages.length === 400);
    const late = await connect(server.url);
    await sleep(50);
    const bytes = late.messages.reduce((n, m) => n + Buffer.byteLength(m), 0);
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(late.messages.length).toBeGreaterThan(10);
    // The newest are kept.
    expect(late.messages.some((m) => m.includes('"sessionId":"s199"'))).toBe(true);
  });
});

describe('inspection link: size limits, and sessions of its own', () => {
  /** A machine whose context is big (its definition is not: the context is made by a function). */
  const big = setup({}).createMachine({ id: 'big', context: () => ({ blob: 'b'.repeat(5_000) }), initial: 'on', states: { on: {} } });
  /** A machine whose definition itself is big. */
  const wordy = setup({}).createMachine({ id: 'wordy', description: 'w'.repeat(5_000), initial: 'on', states: { on: {} } });

  it('sends an event over maxMessageBytes without its context, or drops it, and counts both', async () => {
    const server = await listen();
    const viewer = await connect(server.url);
    const inspection = createInspection({ url: server.url, token: server.token, maxMessageBytes: 3_000 });
    inspections.push(inspection);
    await inspection.ready();
    const actor = createActor(big, { inspect: inspection.inspect });
    actor.start();
    actor.stop();
    await inspection.close();
    await until(() => viewer.messages.some((m) => m.includes('"type":"@xstate.actor"')));
    const actorMessage = JSON.parse(viewer.messages.find((m) => m.includes('"type":"@xstate.actor"'))!) as {
      snapshot: { context: unknown };
    };
    expect(actorMessage.snapshot.context).toMatch(/^\[prosa: left out, the message had \d+ bytes, over the limit of 3000\]$/);
    expect(inspection.truncated).toBeGreaterThan(0);
    expect(inspection.dropped).toBe(0);
    for (const message of viewer.messages) expect(Buffer.byteLength(message)).toBeLessThanOrEqual(3_000);

    const second = createInspection({ url: server.url, token: server.token, maxMessageBytes: 3_000 });
    inspections.push(second);
    await second.ready();
    createActor(wordy, { inspect: second.inspect }).start().stop();
    await second.close();
    await until(() => viewer.messages.some((m) => m.includes('"name":"wordy"')));
    const wordyActor = JSON.parse(viewer.messages.find((m) => m.includes('"name":"wordy"'))!) as { definition: string };
    expect(JSON.parse(wordyActor.definition)).toMatchObject({ id: 'wordy', description: expect.stringContaining('[prosa: left out') });

    const tiny = createInspection({ url: server.url, token: server.token, maxMessageBytes: 50 });
    inspections.push(tiny);
    await tiny.ready();
    createActor(big, { inspect: tiny.inspect }).start().stop();
    await tiny.close();
    expect(tiny.dropped).toBeGreaterThan(0);
  });

  it('bounds what it keeps while the server is away in bytes, not only in count', async () => {
    const probe = await InspectorServer.listen({ port: 0 });
    const url = probe.url;
    await probe.close();
    const inspection = createInspection({ url, maxBufferedEvents: 1_000_000, maxBufferedBytes: 8_000, reconnectMs: 60_000 });
    inspections.push(inspection);
    await expect(inspection.ready()).rejects.toThrow();
    for (let i = 0; i < 5; i++) createActor(big, { inspect: inspection.inspect }).start().stop();
    await sleep(20);
    expect(inspection.dropped).toBeGreaterThan(0);
  });

  it('two processes sending to one server keep their actors apart, for live viewers and late ones', async () => {
    const server = await listen();
    const live = await connect(server.url);
    // XState numbers its actors per process from x:0: two processes send the same session ids.
    const runs = [0, 1].map(
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', INSPECTED_BUS], {
            cwd: ROOT,
            env: { ...process.env, INSPECT_URL: server.url, INSPECT_TOKEN: server.token },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
        }),
    );
    expect(await Promise.all(runs)).toEqual(['sent\n', 'sent\n']);
    const late = await connect(server.url);
    await sleep(30);
    for (const client of [live, late]) {
      const events = client.messages.map((m) => JSON.parse(m) as { type: string; name?: string; sessionId: string; snapshot?: { value?: unknown } });
      const sessionsOf = (name: string) => new Set(events.filter((e) => e.type === '@xstate.actor' && e.name === name).map((e) => e.sessionId));
      expect(sessionsOf('a').size).toBe(2);
      expect(sessionsOf('main:test').size).toBe(2);
      for (const session of sessionsOf('a')) {
        const states = events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === session).map((e) => e.snapshot?.value);
        expect(states.at(-1)).toEqual({ active: 'serving' }); // the processor machine's `serving`, inside `active`
      }
    }
  });

  it('gives each link a session of its own, in every session id it sends', async () => {
    const server = await listen();
    const viewer = await connect(server.url);
    const links = [0, 1].map(() => createInspection({ url: server.url, token: server.token }));
    inspections.push(...links);
    expect(links[0]!.session).not.toBe(links[1]!.session);
    expect(links[0]!.session).toMatch(new RegExp(`^${process.pid}-[0-9a-f]{8}$`));
    await links[0]!.ready();
    createActor(big, { inspect: links[0]!.inspect }).start().stop();
    await links[0]!.close();
    await until(() => viewer.messages.length > 0);
    for (const message of viewer.messages) {
      const event = JSON.parse(message) as Record<string, unknown>;
      for (const field of ['sessionId', 'parentId', 'rootId', 'sourceId']) {
        if (typeof event[field] === 'string') expect(event[field]).toMatch(new RegExp(`^${links[0]!.session}:`));
      }
    }
  });
});
