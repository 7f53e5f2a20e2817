/**
 * A real OTLP/HTTP receiver (a small HTTP server decoding the JSON the exporter posts)
 * gets the spans of a `prosa run` whose settings say `tracing.exporter: otlp`: the
 * injector's requests to the stub, each a client and a server span of one trace, named
 * after the service, with the instance as `service.name`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prosa } from '../cli/command.js';

/** The part of an OTLP/JSON export request the test reads. */
interface ExportRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { scope: { name: string }; spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: { key: string; value: { stringValue?: string } }[] }[] }[];
  }[];
}

const received: { path: string; contentType: string | undefined; body: ExportRequest; auth: string | undefined }[] = [];
let receiver: Server;

afterAll(() => new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve())));

async function listen(): Promise<number> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        auth: req.headers['authorization'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return (receiver.address() as AddressInfo).port;
}

describe('tracing: OTLP over HTTP from prosa run', () => {
  it('posts the spans of the run to the endpoint', async () => {
    const port = await listen();
    const dir = mkdtempSync(join(tmpdir(), 'prosa-otlp-'));
    const file = join(dir, 'settings.yaml');
    writeFileSync(
      file,
      `name: traced
log: { level: silent }
tracing:
  exporter: otlp
  endpoint: http://127.0.0.1:${port}/v1/traces
  headers: { authorization: Bearer not-logged }
processors:
  - name: stub-1
    kind: stub
    settings: { services: [ECHO] }
  - name: inj-1
    kind: inj
    settings: { service: ECHO, maxSpeed: 20, maxConcurrent: 2, timeoutMs: 1000, request: { 1: "hello" } }
`,
    );
    const run = await prosa(['run', file, '--duration', '1', '--json'], { NO_COLOR: '1' });
    expect(run.stderr).not.toContain('not-logged');
    expect(run.code).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json', auth: 'Bearer not-logged' });
    const spans = received.flatMap((request) => request.body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
    const resource = received[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(resource.find((attribute) => attribute.key === 'service.name')?.value.stringValue).toBe('traced');
    expect(received[0]!.body.resourceSpans[0]!.scopeSpans[0]!.scope.name).toBe('prosa');
    const clients = spans.filter((span) => span.name === 'ECHO' && span.kind === 3);
    const servers = spans.filter((span) => span.name === 'ECHO' && span.kind === 2);
    expect(clients.length).toBeGreaterThan(3);
    expect(servers.length).toBe(clients.length);
    // Each server span is the child of a client span of the same trace.
    const byId = new Map(clients.map((span) => [span.spanId, span]));
    for (const server of servers) {
      const client = byId.get(server.parentSpanId ?? '');
      expect(client?.traceId).toBe(server.traceId);
    }
    const attribute = (span: (typeof spans)[number], key: string) => span.attributes.find((entry) => entry.key === key)?.value.stringValue;
    expect(attribute(servers[0]!, 'prosa.processor')).toBe('stub-1');
    expect(attribute(clients[0]!, 'prosa.origin')).toBe('inj-1');
    expect(attribute(clients[0]!, 'prosa.outcome')).toBe('response');
  });
});
