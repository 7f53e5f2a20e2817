import { describe, expect, it } from 'vitest';
import { httpClientSettingsSchema } from '../../src/processors/http/client/settings.js';
import { httpServerSettingsSchema } from '../../src/processors/http/server/settings.js';

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('http-server settings', () => {
  it('fills the defaults: loopback, JSON, 1 MiB bodies, slowloris timeouts', () => {
    const settings = httpServerSettingsSchema.parse({ listen: { port: 8080 }, routes: [{ path: '/pay', service: 'PAYMENT' }] });
    expect(settings.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(settings.routes[0]).toEqual({ method: 'POST', path: '/pay', service: 'PAYMENT', params: {}, query: {}, headers: {} });
    expect(settings).toMatchObject({
      defaultFormat: 'json',
      maxBodyBytes: 1_048_576,
      maxHeaderBytes: 16_384,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      shutdownGraceMs: 1_500,
      retryAfterSeconds: 1,
      dict: {},
    });
  });

  it('reports every problem with its path', () => {
    const result = httpServerSettingsSchema.safeParse({
      listen: { port: 70_000 },
      dict: { amount: 1, other: 1 },
      routes: [
        { method: 'get', path: '/a/:id', service: 'A', params: { id: 'nope', missing: 3 } },
        { method: 'GET', path: '/a/:id', service: 'B' },
        { path: 'relative', service: 'C' },
      ],
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 1_000,
    });
    const found = issues(result);
    expect(found).toContain('listen.port: Too big: expected number to be <=65535');
    expect(found).toContain('dict: expected a dictionary with unique names and ids, found dictionary entry "other": id 1 is already named "amount"');
    expect(found.some((line) => line.startsWith('routes.2.path:'))).toBe(true);
  });

  it('checks routes and field names once the fields parse', () => {
    const found = issues(
      httpServerSettingsSchema.safeParse({
        listen: { port: 0 },
        dict: { amount: 1 },
        statusField: 'status',
        routes: [
          { method: 'GET', path: '/a/:id', service: 'A', params: { id: 'nope', missing: 3 } },
          { method: 'GET', path: '/a/:id', service: 'B' },
          { method: 'PUT', path: '/b/:x(^\\d+', service: 'C' },
        ],
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 1_000,
      }),
    );
    expect(found).toEqual([
      'requestTimeoutMs: expected a number >= headersTimeoutMs (5000), found 1000',
      'routes.0.params.missing: expected a parameter of path /a/:id (id), found "missing"',
      'routes.1.path: expected a method + path no other route has, found GET /a/:id, already routes[0]',
      expect.stringMatching(/^routes\.2\.path: expected a path the router accepts, found "\/b\/:x\(\^\\\\d\+" \(/),
      'statusField: expected a field id or a name in dict (dict names amount), found "status"',
      'routes.0.params.id: expected a field id or a name in dict (dict names amount), found "nope"',
    ]);
  });
});

describe('http-client settings', () => {
  it('fills the defaults', () => {
    const settings = httpClientSettingsSchema.parse({ url: 'http://127.0.0.1:9000/api', services: [{ name: 'PAY', path: '/pay' }] });
    expect(settings).toMatchObject({
      method: 'POST',
      format: 'json',
      timeoutMs: 10_000,
      maxConnections: 16,
      downAfterMs: 3_000,
      probe: { timeoutMs: 1_000 },
    });
    expect(settings.services[0]).toEqual({ name: 'PAY', path: '/pay', headers: {}, params: {} });
  });

  it('reports bad URLs, repeated services and placeholders without a field', () => {
    expect(issues(httpClientSettingsSchema.safeParse({ url: 'ftp://x', services: [{ name: 'A', path: '/a' }] }))[0]).toMatch(/^url: /);
    expect(
      issues(
        httpClientSettingsSchema.safeParse({
          url: 'http://127.0.0.1:1',
          services: [
            { name: 'A', path: '/a/:id' },
            { name: 'A', path: '/b', params: { id: 1 } },
          ],
        }),
      ),
    ).toEqual([
      "services.0.params: expected a field for placeholder ':id' of path /a/:id, found none",
      'services.1.name: expected a service name no other entry has, found "A", listed before',
      'services.1.params.id: expected a placeholder of path /b, found "id"',
    ]);
  });
});
