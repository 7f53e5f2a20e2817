import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CallReply } from '../../src/console/index.js';
import { AUTH, raw, testSettings, TOKEN, useConsole } from './support.js';

const run = useConsole();
const running = (console: Record<string, unknown> = {}) => run.start(console);

function post(url: string, path: string, body: string, contentType?: string) {
  return raw(url, path, { method: 'POST', headers: { ...AUTH, ...(contentType === undefined ? {} : { 'content-type': contentType }) }, body });
}

describe('POST /api/v1/call/<service>', () => {
  it('is off by default: 403 disabled, and the service is not called', async () => {
    const url = await running();
    const answer = await post(url, '/api/v1/call/ECHO', '{"text":"hi"}', 'application/json');
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toMatchObject({ kind: 'disabled', message: expect.stringContaining('enableCall') });
    expect(run.instance!.prosa.stats().requests).toBe(0);
  });

  it('sends a JSON body named by the service dict, or a TVF text, and answers the reply masked in both forms', async () => {
    const url = await running({ enableCall: true });
    const byJson = await post(url, '/api/v1/call/ECHO', '{"text":"hello","pin":"1234"}', 'application/json');
    expect(byJson.status, byJson.body).toBe(200);
    const reply = JSON.parse(byJson.body) as CallReply;
    expect(reply.service).toBe('ECHO');
    expect(reply.reply.json).toEqual({ text: 'hello', pin: '****' });
    expect(reply.reply.tvf).toBe('1;5;hello;2;4;****;');
    expect(reply.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(byJson.body).not.toContain('1234');
    for (const type of [undefined, 'text/plain', 'application/x-prosa-tvf; charset=utf-8']) {
      const byTvf = await post(url, '/api/v1/call/ECHO', '1;5;hello;2;4;1234;', type);
      expect(byTvf.status, String(type)).toBe(200);
      expect((JSON.parse(byTvf.body) as CallReply).reply.json).toEqual({ text: 'hello', pin: '****' });
    }
  });

  it('answers a service error with its kind, a bad body 400, another media type 415, a large body 413', async () => {
    const url = await running({ enableCall: true, limits: { maxBodyBytes: 64 } });
    const nobody = await post(url, '/api/v1/call/NOPE', '1;2;hi;');
    expect(nobody.status).toBe(502);
    expect(JSON.parse(nobody.body).error.kind).toBe('unreachable');
    const bad = await post(url, '/api/v1/call/ECHO', '{"text":', 'application/json');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ kind: 'malformedBody', message: expect.stringContaining('at byte') });
    const array = await post(url, '/api/v1/call/ECHO', '[1]', 'application/json');
    expect(JSON.parse(array.body).error.message).toContain('not an array');
    expect((await post(url, '/api/v1/call/ECHO', 'x', 'image/png')).status).toBe(415);
    const large = await post(url, '/api/v1/call/ECHO', `1;100;${'x'.repeat(100)};`);
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body).error.kind).toBe('bodyTooLarge');
    const timeout = await post(url, '/api/v1/call/ECHO?timeoutMs=abc', '1;2;hi;');
    expect(timeout.status).toBe(400);
    expect(JSON.parse(timeout.body).error.message).toContain('timeoutMs');
    expect((await raw(url, '/api/v1/call/ECHO', { headers: AUTH })).status).toBe(405);
  });

  it('answers a timeout 504 with the kind', async () => {
    const url = await running({ enableCall: true });
    // A processor that never answers, added to the bus itself (an apply would be slower).
    const instance = run.instance!;
    instance.prosa.processor('slow', { services: ['SLOW'], adaptor: { processRequest: () => new Promise(() => undefined) } });
    await instance.prosa.get('slow')!.when('serving');
    const answer = await post(url, '/api/v1/call/SLOW?timeoutMs=30', '1;2;hi;');
    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body).error.kind).toBe('timeout');
    await instance.prosa.remove('slow');
  });
});

describe('POST /api/v1/apply', () => {
  it('is off by default', async () => {
    const url = await running();
    const answer = await post(url, '/api/v1/apply', stringify(testSettings()));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error.kind).toBe('disabled');
  });

  it('applies a settings document as a diff, and refuses a bad one with its issues, secrets masked', async () => {
    const url = await running({ enableApply: true });
    const next = testSettings({ enableApply: true });
    next.processors.push({ name: 'stub-2', kind: 'stub', settings: { services: ['MORE'] } });
    const applied = await post(url, '/api/v1/apply', stringify(next));
    expect(applied.status, applied.body).toBe(200);
    expect(JSON.parse(applied.body).report).toMatchObject({ started: ['stub-2'], stopped: [], unchanged: ['stub-1', 'flaky-1'] });
    expect([...run.instance!.processors.keys()]).toEqual(['stub-1', 'flaky-1', 'stub-2']);
    const events = JSON.parse((await raw(url, '/api/v1/events?type=settings.applied', { headers: AUTH })).body);
    expect(events).toHaveLength(1);

    const wrong = testSettings({ enableApply: true, token: `${TOKEN}x` }) as Record<string, unknown>;
    (wrong['processors'] as unknown[]).push({ name: 'x', kind: 'no-such-kind' });
    const refused = await post(url, '/api/v1/apply', JSON.stringify(wrong));
    expect(refused.status).toBe(422);
    const body = JSON.parse(refused.body).error;
    expect(body.kind).toBe('invalidSettings');
    expect(body.issues.some((issue: { path: string }) => issue.path.includes('kind'))).toBe(true);
    expect(refused.body).not.toContain(TOKEN);
    expect([...run.instance!.processors.keys()]).toEqual(['stub-1', 'flaky-1', 'stub-2']);
    const refusals = JSON.parse((await raw(url, '/api/v1/events?type=settings.refused', { headers: AUTH })).body);
    expect(refusals).toHaveLength(1);
    expect((await post(url, '/api/v1/apply', 'name: [')).status).toBe(422);
  });
});
