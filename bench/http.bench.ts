/**
 * HTTP in -> bus -> stub -> HTTP out: prosa's http-server gateway in front of an echoing
 * processor, against a bare `node:http` echo server and a Fastify 5 JSON echo route, all
 * in this process. Every side echoes the same 10-field record: as JSON (Fastify, the
 * gateway, the bare server) and in TVF's text form (the gateway, the bare server).
 * autocannon (in a worker thread, so the load runs off the servers' event loop) drives
 * each side for a fixed time with the same settings, the sides taking turns round by
 * round (lib.ts `interleave`), so each ratio pairs rounds run next to each other.
 * A sixth side is the bare server doing the gateway's JSON<->TVF conversion inline, so
 * the gateway's gap splits into what the body format costs and what routing and the bus
 * cost. Figures are requests per second (each round's mean) and latency percentiles.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon, { type Result } from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createProsa, TvfDict } from '../src/index.js';
import { BodyCodec } from '../src/processors/http/body-codec.js';
import { HttpServerAdaptor } from '../src/processors/http/server/adaptor.js';
import { httpServerFactory } from '../src/processors/http/server/factory.js';
import { benchScale, figure, interleave, median, type BenchFigure, type BenchSuite } from './lib.js';
import { makePayload } from './payload.js';

/** Figure names, for `comparedTo` in other suites. */
export const HTTP_FIGURE = {
  bareTvf: 'bare node:http echo server, TVF body',
  fastify: 'fastify JSON echo route',
  bare: 'bare node:http echo server',
  bareCodec: 'bare node:http + JSON<->TVF codec',
  gateway: 'prosa http-server -> bus -> stub, JSON',
  gatewayTvf: 'prosa http-server -> bus -> stub, TVF',
} as const;

/** Concurrent connections autocannon keeps open to each side. */
const CONNECTIONS = 32;
/** Seconds per timed round and side; `--quick` runs 1. */
const ROUND_SECONDS = 2;

/** The payload: the peers suite's 10-field record as JSON (its boolean as text: TVF has no booleans). */
const BODY = JSON.stringify({ ...makePayload(), approved: 'true' });
/** The gateway's dictionary: a field id and, for the numbers, a type per name. */
const DICT = {
  id: { id: 1, type: 'unsigned' },
  service: 2,
  amount: { id: 3, type: 'unsigned' },
  currency: 4,
  merchant: 5,
  terminal: 6,
  pan: 7,
  expiry: 8,
  approved: 9,
  timestamp: { id: 10, type: 'unsigned' },
} as const;
const JSON_HEADERS = { 'content-type': 'application/json' };
const TVF_HEADERS = { 'content-type': 'application/x-prosa-tvf' };
/** The same record in ProSA's text form. */
const TVF_BODY = new TvfDict(DICT).fromJson(JSON.parse(BODY) as Record<string, unknown>).serialize();

/** One side of the comparison: a URL and the request it is sent. */
interface Side {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function bareEchoServer(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
}

/**
 * The bare server plus the gateway's own JSON<->TVF conversion, inline: what the body
 * format costs by itself, so the rest of the gateway's gap (routing, the bus hop) shows.
 */
function bareCodecServer(): Server {
  const codec = new BodyCodec({ dict: DICT });
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = codec.encode('json', codec.decode('json', chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

/** A Fastify JSON echo route: Fastify parses the body and sends the object back (JSON.stringify, no schema). */
async function fastifyEcho(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.post('/echo', (request, reply) => {
    void reply.send(request.body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/echo` };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
}

async function load(side: Side, seconds: number): Promise<Result> {
  const { url, headers, body } = side;
  const result = await autocannon({ url, method: 'POST', headers, body, connections: CONNECTIONS, duration: seconds, workers: 1 });
  // Every answer must be a 2xx echo, or the figure measures error paths.
  if (result.errors > 0 || result.non2xx > 0 || result['2xx'] === 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers, ${result['2xx']} 2xx`);
  }
  return result;
}

/** A side's figure: each round's mean requests per second, the median latencies over the rounds. */
function sideFigure(name: string, results: Result[], comparedTo?: string[]): BenchFigure {
  return figure(
    name,
    results.map((r) => r.requests.average),
    {
      ...(comparedTo === undefined ? {} : { comparedTo }),
      extra: {
        p50Ms: median(results.map((r) => r.latency.p50)),
        p99Ms: median(results.map((r) => r.latency.p99)),
        connections: CONNECTIONS,
        secondsPerRound: results[0]!.duration,
      },
    },
  );
}

export default {
  name: 'http',
  async run() {
    const scale = benchScale();
    const seconds = scale.quick ? 1 : ROUND_SECONDS;

    const bare = bareEchoServer();
    const bareUrl = await listen(bare);
    const bareCodec = bareCodecServer();
    const bareCodecUrl = await listen(bareCodec);
    const fastify = await fastifyEcho();

    const bus = createProsa({ name: 'bench-http', logger: pino({ level: 'silent' }) });
    bus.processor('stub', { services: ['ECHO'], adaptor: { processRequest: (_service, request) => request } });
    const settings = httpServerFactory.settings.parse({
      listen: { port: 0 },
      dict: DICT,
      routes: [{ method: 'POST', path: '/echo', service: 'ECHO', timeoutMs: 5_000 }],
    });
    const gateway = httpServerFactory.create(settings, { name: 'gateway', instance: bus.name, logger: bus.logger }).adaptor as HttpServerAdaptor;
    bus.processor('gateway', { adaptor: gateway });
    await bus.start();
    const gatewayUrl = `http://127.0.0.1:${gateway.address!.port}/echo`;

    // Listed so that each figure stands next to the sides it is compared with.
    const sides = {
      bareTvf: { url: bareUrl, headers: TVF_HEADERS, body: TVF_BODY },
      gatewayTvf: { url: gatewayUrl, headers: TVF_HEADERS, body: TVF_BODY },
      fastify: { url: fastify.url, headers: JSON_HEADERS, body: BODY },
      gateway: { url: gatewayUrl, headers: JSON_HEADERS, body: BODY },
      bare: { url: bareUrl, headers: JSON_HEADERS, body: BODY },
      bareCodec: { url: bareCodecUrl, headers: JSON_HEADERS, body: BODY },
    } satisfies Record<string, Side>;
    type SideName = keyof typeof sides;
    const results = Object.fromEntries(Object.keys(sides).map((k) => [k, [] as Result[]])) as Record<SideName, Result[]>;
    const samplers = Object.fromEntries(
      (Object.entries(sides) as [SideName, Side][]).map(([k, side]) => [
        k,
        async () => {
          const result = await load(side, seconds);
          results[k].push(result);
          return result.requests.average;
        },
      ]),
    ) as Record<SideName, () => Promise<number>>;
    try {
      for (const side of Object.values(sides)) await load(side, 1); // warm-up, untimed: JIT, connections
      await interleave(samplers, scale.rounds, { warmUp: false });
      return [
        sideFigure(HTTP_FIGURE.bareTvf, results.bareTvf),
        sideFigure(HTTP_FIGURE.gatewayTvf, results.gatewayTvf, [HTTP_FIGURE.bareTvf]),
        sideFigure(HTTP_FIGURE.fastify, results.fastify),
        sideFigure(HTTP_FIGURE.gateway, results.gateway, [HTTP_FIGURE.fastify, HTTP_FIGURE.bare]),
        sideFigure(HTTP_FIGURE.bare, results.bare),
        sideFigure(HTTP_FIGURE.bareCodec, results.bareCodec, [HTTP_FIGURE.bare]),
      ];
    } finally {
      await Promise.all([bus.stop(), fastify.app.close()]);
      for (const server of [bare, bareCodec]) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  },
} satisfies BenchSuite;
