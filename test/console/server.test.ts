import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleError, startConsole, type ConsoleOptions, type ProcessorDetail, type ProcessorView, type ServicesView } from '../../src/console/index.js';
import { SimpleStringTvf } from '../../src/tvf/index.js';
import { SERVICE_ERROR_KINDS } from '../../src/actors/errors.js';
import { silentLogger, until } from '../support/bus.js';
import { EchoRemote, HandTransport } from '../support/remote.js';
import { AUTH, raw, SseReader, testInstance, TOKEN, useConsole } from './support.js';

const run = useConsole();
let readers: SseReader[] = [];

afterEach(() => {
  for (const reader of readers) reader.close();
  readers = [];
});

/** The test instance with its console (figures every 100 ms), started. */
async function running(console: Record<string, unknown> = {}, extra: ConsoleOptions = {}): Promise<{ url: string }> {
  return { url: await run.start(console, { figuresIntervalMs: 100, ...extra }) };
}

async function json<T>(url: string, path: string, headers: Record<string, string> = AUTH): Promise<T> {
  const answer = await raw(url, path, { headers });
  expect(answer.status, answer.body).toBe(200);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  return JSON.parse(answer.body) as T;
}

function crash(): Promise<unknown> {
  const request = new SimpleStringTvf();
  request.putString(1, 'crash');
  return run.instance!.prosa.request('FLAKY', request).catch((error: unknown) => error);
}

describe('the console API', () => {
  it('lists processors and services, and shows a crash as a transition with its cause, secrets redacted', async () => {
    const { url } = await running();
    const processors = await json<ProcessorView[]>(url, '/api/v1/processors');
    expect(processors.map((p) => [p.name, p.kind, p.state, p.stateId, p.restarts, p.threads])).toEqual([
      ['stub-1', 'stub', 'serving', 'processor.active.serving', 0, 0],
      ['flaky-1', 'flaky', 'serving', 'processor.active.serving', 0, 0],
    ]);
    const services = await json<ServicesView>(url, '/api/v1/services');
    expect(services.services).toEqual([
      { name: 'ECHO', provided: true, providers: [{ processor: 'stub-1', remote: false }], declaredBy: ['stub-1'] },
      { name: 'FLAKY', provided: true, providers: [{ processor: 'flaky-1', remote: false }], declaredBy: ['flaky-1'] },
    ]);

    await crash();
    await until(() => run.instance!.prosa.get('flaky-1')!.state === 'serving' && run.served!.model.processorDetail('flaky-1')!.restarts === 1);
    const detail = await json<ProcessorDetail>(url, '/api/v1/processors/flaky-1');
    expect(detail.restarts).toBe(1);
    expect(detail.crashes).toBe(1);
    const crashed = detail.transitions.find((t) => t.to === 'crashed')!;
    expect(crashed.from).toBe('serving');
    expect(crashed.cause).toContain('lost the link');
    expect(Date.parse(crashed.at)).not.toBeNaN();
    const tos = detail.transitions.map((t) => t.to);
    expect(tos.lastIndexOf('restarting')).toBeGreaterThan(tos.lastIndexOf('crashed'));
    expect(tos.at(-1)).toBe('serving');
    const everything = JSON.stringify(detail) + (await raw(url, '/api/v1/events', { headers: AUTH })).body;
    expect(everything).toContain('lost the link');
    expect(everything).not.toContain(TOKEN);
  });

  it('answers the instance with its settings masked, and the machines for drawing', async () => {
    const { url } = await running();
    const view = await json<{ name: string; state: string; settings: { console: { token: string } }; console: { enableCall: boolean } }>(url, '/api/v1/instance');
    expect(view.name).toBe('console-test');
    expect(view.state).toBe('running');
    expect(view.settings.console.token).toBe('***');
    expect(view.console.enableCall).toBe(false);
    const machines = await json<Record<string, { nodes: { id: string }[]; edges: { source: string; target: string | null }[]; stateIds: Record<string, string> }>>(url, '/api/v1/machines');
    expect(Object.keys(machines)).toEqual(['processor', 'main']);
    const ids = new Set(machines['processor']!.nodes.map((n) => n.id));
    for (const edge of machines['processor']!.edges) {
      expect(ids.has(edge.source)).toBe(true);
      if (edge.target !== null) expect(ids.has(edge.target)).toBe(true);
    }
    for (const state of ['serving', 'crashed', 'restarting', 'failed', 'stopped']) expect(ids.has(machines['processor']!.stateIds[state]!)).toBe(true);
    expect((await raw(url, '/api/v1/machines/nope', { headers: AUTH })).status).toBe(404);
    expect((await raw(url, '/api/v1/machines/toString', { headers: AUTH })).status).toBe(404);
  });

  it('filters events by type, processor and id, and refuses a bad filter naming it', async () => {
    const { url } = await running();
    const all = await json<{ id: number; type: string; processor?: string }[]>(url, '/api/v1/events');
    expect(all.length).toBeGreaterThan(3);
    const mine = await json<{ processor?: string; type: string }[]>(url, '/api/v1/events?type=processor.state&processor=stub-1');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.processor === 'stub-1' && e.type === 'processor.state')).toBe(true);
    const later = await json<{ id: number }[]>(url, `/api/v1/events?after=${all[1]!.id}`);
    expect(later.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
    const bad = await raw(url, '/api/v1/events?type=nope', { headers: AUTH });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toContain('type is one of');
  });

  it('pushes a snapshot, then lifecycle events, processor lists and figures over SSE', async () => {
    const { url } = await running();
    const reader = new SseReader(url, AUTH);
    readers.push(reader);
    await until(() => reader.of('snapshot').length === 1);
    const snapshot = reader.of('snapshot')[0]!.data as { processors: ProcessorView[]; services: ServicesView; events: unknown[]; instance: { name: string } };
    expect(snapshot.instance.name).toBe('console-test');
    expect(snapshot.processors.map((p) => p.state)).toEqual(['serving', 'serving']);
    expect(snapshot.services.services.map((s) => s.name)).toEqual(['ECHO', 'FLAKY']);
    expect(snapshot.events.length).toBeGreaterThan(0);
    await crash();
    await until(() => reader.of('event').some((m) => (m.data as { state?: string }).state === 'crashed'));
    const event = reader.of('event').find((m) => (m.data as { state?: string }).state === 'crashed')!;
    expect(event.id).toBe(String((event.data as { id: number }).id));
    await until(() => reader.of('processors').some((m) => (m.data as ProcessorView[]).some((p) => p.name === 'flaky-1' && p.restarts === 1 && p.state === 'serving')));
    await until(() => reader.of('figures').length >= 2);
    const tick = reader.of('figures').at(-1)!.data as { services: Record<string, { perSecond: number }> };
    expect(Object.keys(tick.services)).toEqual(expect.arrayContaining(['ECHO', 'FLAKY']));
    expect(reader.messages.every((m) => !JSON.stringify(m.data).includes(TOKEN))).toBe(true);
  });

  it('lists remote providers with their instances, and pushes table changes', async () => {
    const instance = testInstance();
    run.instance = instance;
    const transport = new HandTransport();
    instance.prosa.attachTransport(transport);
    const served = await startConsole(instance, { ...instance.settings.console, logger: silentLogger() });
    run.served = served;
    await instance.start();
    const reader = new SseReader(served.url, AUTH);
    readers.push(reader);
    await until(() => reader.of('snapshot').length === 1);
    const remote = new EchoRemote('nats');
    transport.host!.addRemote('ECHO', remote);
    transport.host!.addRemote('FAR_ONLY', new EchoRemote('nats'));
    const services = await json<ServicesView>(served.url, '/api/v1/services');
    expect(services.services.find((s) => s.name === 'ECHO')!.providers).toEqual([
      { processor: 'stub-1', remote: false },
      { processor: 'nats', remote: true, instances: ['far'] },
    ]);
    expect(services.services.find((s) => s.name === 'FAR_ONLY')).toEqual({
      name: 'FAR_ONLY',
      provided: true,
      providers: [{ processor: 'nats', remote: true, instances: ['far'] }],
      declaredBy: [],
    });
    await until(() => reader.of('services').some((m) => (m.data as ServicesView).services.some((s) => s.name === 'FAR_ONLY')));
    transport.host!.removeRemote('FAR_ONLY', remote);
  });

  it('keeps at most maxEvents events and transitionsPerProcessor transitions, however many crashes', async () => {
    const { url } = await running({ limits: { maxEvents: 5, transitionsPerProcessor: 3 } });
    for (let i = 0; i < 3; i++) {
      await crash();
      await until(() => run.instance!.prosa.get('flaky-1')!.state === 'serving');
    }
    const events = await json<{ id: number }[]>(url, '/api/v1/events');
    expect(events).toHaveLength(5);
    expect(run.served!.model.events.dropped).toBeGreaterThan(10);
    const detail = await json<ProcessorDetail>(url, '/api/v1/processors/flaky-1');
    expect(detail.transitions).toHaveLength(3);
    expect(detail.transitions.at(-1)!.to).toBe('serving');
    expect(detail.restarts).toBe(3);
  });

  it('refuses a stream client past maxStreamClients with 503, and serves the others', async () => {
    const { url } = await running({ limits: { maxStreamClients: 2 } });
    const first = new SseReader(url, AUTH);
    const second = new SseReader(url, AUTH);
    readers.push(first, second);
    await until(() => first.of('snapshot').length === 1 && second.of('snapshot').length === 1);
    const third = await fetch(new URL('/api/v1/stream', url), { headers: AUTH });
    expect(third.status).toBe(503);
    expect(((await third.json()) as { error: { kind: string } }).error.kind).toBe('tooManyClients');
    expect(run.served!.hub.refusedClients).toBe(1);
  });
});

describe('the console guards', () => {
  it('answers 421 to a Host that is not its own (DNS rebinding), and 403 to another origin', async () => {
    const { url } = await running();
    const port = new URL(url).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`]) {
      const answer = await raw(url, '/api/v1/processors', { headers: { ...AUTH, host } });
      expect(answer.status, host).toBe(421);
      expect(JSON.parse(answer.body).error.kind).toBe('misdirectedRequest');
    }
    expect((await raw(url, '/', { headers: { host: `evil.example:${port}` } })).status).toBe(421);
    expect((await raw(url, '/api/v1/processors', { headers: { ...AUTH, host: `localhost:${port}` } })).status).toBe(200);
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `https://127.0.0.1:${port}`]) {
      const answer = await raw(url, '/api/v1/processors', { headers: { ...AUTH, origin } });
      expect(answer.status, origin).toBe(403);
    }
    expect((await raw(url, '/api/v1/processors', { headers: { ...AUTH, origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
  });

  it('asks its token of every API request (bearer or the cookie /?token= sets), not of the page files', async () => {
    const { url } = await running();
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }, { cookie: 'prosa_console_token=nope' }] as Record<string, string>[]) {
          const answer = await raw(url, '/api/v1/processors', { headers });
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.headers['www-authenticate']).toContain('Bearer');
      expect(answer.body).not.toContain(TOKEN);
    }
    expect((await raw(url, '/', {})).status).toBe(200);
    expect((await raw(url, '/?token=wrong')).status).toBe(401);
    const login = await raw(url, `/?token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(login.headers['location']).toBe('/');
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await raw(url, '/api/v1/processors', { headers: { cookie } })).status).toBe(200);
  });

  it('needs no token on loopback when none is set', async () => {
    const { url } = await running({ token: undefined });
    expect((await raw(url, '/api/v1/processors')).status).toBe(200);
  });

  it('refuses to start off loopback without a token, and names a bad option', async () => {
    const instance = testInstance();
    run.instance = instance;
    await expect(startConsole(instance, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ name: 'ConsoleError', kind: 'TokenRequired' });
    const bad = startConsole(instance, { port: 70_000 });
    await expect(bad).rejects.toBeInstanceOf(ConsoleError);
    await expect(bad).rejects.toThrow(/console\.port/);
    await expect(startConsole(instance, { port: 0, token: 'short' })).rejects.toThrow(/console\.token/);
    await expect(startConsole(instance, { port: 0, token: 'short' })).rejects.not.toThrow(/short/);
  });

  it('answers an unknown endpoint 404 and a wrong method 405 with allow', async () => {
    const { url } = await running();
    expect((await raw(url, '/api/v1/nope', { headers: AUTH })).status).toBe(404);
    const wrong = await raw(url, '/api/v1/processors', { method: 'DELETE', headers: AUTH });
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, HEAD');
    expect((await raw(url, '/', { method: 'POST' })).status).toBe(405);
  });

  it("names every error kind in the service-error kinds' own casing (lower camelCase), as the http-server does", async () => {
    const { url } = await running();
    const answers = [
      await raw(url, '/api/v1/nope', { headers: AUTH }),
      await raw(url, '/api/v1/processors', { method: 'DELETE', headers: AUTH }),
      await raw(url, '/api/v1/processors'),
      await raw(url, '/api/v1/events?type=nope', { headers: AUTH }),
      await raw(url, '/api/v1/call/ECHO', { method: 'POST', headers: AUTH, body: '{}' }),
    ];
    const kinds = answers.map((answer) => (JSON.parse(answer.body) as { error: { kind: string } }).error.kind);
    expect(kinds).toEqual(['notFound', 'methodNotAllowed', 'unauthorized', 'badRequest', 'disabled']);
    for (const kind of [...kinds, ...SERVICE_ERROR_KINDS]) expect(kind).toMatch(/^[a-z][A-Za-z]*$/);
  });
});

describe('the page files', () => {
  function pageDir(): string {
    const root = mkdtempSync(join(tmpdir(), 'prosa-console-'));
    const dir = join(root, 'page');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'export {};');
    writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(dir, 'assets', 'font.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
    writeFileSync(join(dir, 'assets', 'blob.xyz'), 'x');
    writeFileSync(join(root, 'secret.txt'), 'outside');
    symlinkSync(join(root, 'secret.txt'), join(dir, 'link.txt'));
    return dir;
  }

  it('serves what is in the page folder with its content type and a CSP of its own host only', async () => {
    const { url } = await running({}, { pageDir: pageDir() });
    const index = await raw(url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>page</title>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const types: Record<string, string> = {
      '/assets/app.js': 'text/javascript; charset=utf-8',
      '/assets/app.css': 'text/css; charset=utf-8',
      '/assets/font.woff2': 'font/woff2',
      '/assets/blob.xyz': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const answer = await raw(url, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type'], path).toBe(type);
    }
  });

  it('serves nothing outside the page folder: no .., no encoded .., no link out of it', async () => {
    const { url } = await running({}, { pageDir: pageDir() });
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/link.txt', '/assets/..%2f..%2fsecret.txt', '/%00', '/nope.js', '/assets']) {
      const answer = await raw(url, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('outside');
    }
  });

  it('serves nothing outside the page folder, whatever path an attacker builds (property)', async () => {
    const { url } = await running({}, { pageDir: pageDir() });
    const piece = fc.constantFrom('..', '%2e%2e', '%2E%2e', '.', '%2e', 'assets', 'index.html', 'link.txt', 'secret.txt', '%2f', '%5c', '..%2f', '..%5c', '%00', '', '%252e%252e', 'page', '\\..');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 6 }), async (pieces) => {
        const answer = await raw(url, `/${pieces.join('/')}`);
        expect(answer.body).not.toContain('outside');
        expect([200, 400, 404]).toContain(answer.status);
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });

  it('answers 421 to every Host but its own addresses (property)', async () => {
    const { url } = await running();
    const port = new URL(url).port;
    const own = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    const host = fc.oneof(
      fc.constantFrom(`127.0.0.1:${port}`, `LOCALHOST:${port}`, `127.0.0.1.evil.example:${port}`, `127.0.0.2:${port}`, `0.0.0.0:${port}`, `[::1]:${port}`, `127.0.0.1:${port}.evil`, `127.0.0.1`, ''),
      fc.tuple(fc.domain(), fc.constantFrom('', `:${port}`)).map(([name, suffix]) => name + suffix),
    );
    await fc.assert(
      fc.asyncProperty(host, async (value) => {
        const answer = await raw(url, '/api/v1/instance', { headers: { ...AUTH, host: value } });
        expect(answer.status, value).toBe(own.has(value.toLowerCase()) ? 200 : 421);
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });

  it('serves a page naming the API when the folder holds no page', async () => {
    const { url } = await running({}, { pageDir: join(tmpdir(), 'prosa-console-no-such-dir') });
    const index = await raw(url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('/api/v1/processors');
  });
});
