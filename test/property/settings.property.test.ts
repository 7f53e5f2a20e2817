import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Document, isCollection, isMap, isSeq, stringify, visit, type Node } from 'yaml';
import { z } from 'zod';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { buildRunInstance, readRunSettings } from '../../src/cli/run.js';
import { validateCommand } from '../../src/cli/validate.js';
import { main } from '../../src/cli/program.js';
import { checkSettings, defineFactory, LOG_LEVELS, parseSettings, SettingsError, type KindRegistry } from '../../src/config/index.js';
import { sensitive } from '../../src/observability/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds, isInjectorReport } from '../../src/processors/index.js';
import { captureIo } from '../cli/io.js';
import { silentLogger } from '../support/bus.js';
import { tempDir } from '../fixtures/settings.js';

const kinds = defaultKinds();
const silent = silentLogger();
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** A few service names, so that injectors often find a stub and sometimes do not. */
const service = fc.constantFrom('ECHO', 'PING', 'QUOTE');
const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/);

/** TVF templates: the id-mapping form and the text form. */
const template = fc.oneof(
  fc.dictionary(fc.integer({ min: 0, max: 999 }).map(String), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 4 }),
  fc.string({ maxLength: 8 }).map((text) => `1;${Buffer.byteLength(text)};${text};`),
);

// Latencies, graces and timeouts stay small so that a run takes milliseconds; every
// other field ranges over (and a little past) what the schemas accept.
const stubSettings = fc.record(
  {
    services: fc.uniqueArray(service, { minLength: 1, maxLength: 3 }),
    reply: template,
    latencyMs: fc.integer({ min: 0, max: 20 }),
    jitterMs: fc.double({ min: 0, max: 10, noNaN: true }),
    errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  },
  { requiredKeys: ['services'] },
);

const injectorSettings = fc.record(
  {
    service,
    maxSpeed: fc.double({ min: 0, max: 5000, noNaN: true }),
    maxConcurrent: fc.integer({ min: 0, max: 64 }),
    timeoutMs: fc.integer({ min: 1, max: 200 }),
    request: template,
    backoffFactor: fc.double({ min: 0, max: 1, noNaN: true }),
    rampMs: fc.integer({ min: 1, max: 5000 }),
    retryDelayMs: fc.integer({ min: 1, max: 100 }),
  },
  { requiredKeys: ['service'] },
);

const processorCommon = {
  name,
  restart: optional(
    fc.record(
      {
        delayMs: fc.integer({ min: 0, max: 200 }),
        maxDelayMs: fc.integer({ min: 0, max: 1000 }),
        maxRestarts: fc.integer({ min: 0, max: 5 }),
        windowMs: fc.integer({ min: 1, max: 60_000 }),
        resetAfterMs: fc.integer({ min: 1, max: 5000 }),
      },
      { requiredKeys: [] },
    ),
  ),
  queue: optional(fc.record({ maxInFlight: fc.integer({ min: 1, max: 20_000 }) })),
  initTimeoutMs: optional(fc.integer({ min: 1, max: 60_000 })),
  log: optional(fc.record({ level: fc.constantFrom(...LOG_LEVELS) }, { requiredKeys: [] })),
};

const processor = fc.oneof(
  fc.record({ ...processorCommon, kind: fc.constant('stub'), settings: stubSettings }, { requiredKeys: ['name', 'kind', 'settings'] }),
  fc.record({ ...processorCommon, kind: fc.constant('inj'), settings: injectorSettings }, { requiredKeys: ['name', 'kind', 'settings'] }),
);

const settings = fc.record(
  {
    name,
    shutdown: fc.record({ graceMs: fc.integer({ min: 1, max: 300 }), terminateTimeoutMs: fc.integer({ min: 1, max: 300 }) }, { requiredKeys: [] }),
    log: fc.record({ level: fc.constantFrom(...LOG_LEVELS) }, { requiredKeys: [] }),
    requestTimeoutMs: fc.integer({ min: 1, max: 10_000 }),
    processors: fc.array(processor, { maxLength: 4 }),
  },
  { requiredKeys: ['name'] },
);

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe('settings, property', () => {
  it('any settings object the schema accepts builds an instance that starts and stops cleanly', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(settings, fc.integer({ min: 0, max: 40 }), async (input, runMs) => {
        const check = checkSettings(input, { kinds, env: {} });
        fc.pre(check.ok);
        if (!check.ok) return;
        accepted++;
        const instance = buildInstance(check.settings, { kinds, logger: silent });
        await instance.start();
        await new Promise((resolve) => setTimeout(resolve, runMs));
        const stopStarted = performance.now();
        await instance.stop();
        const { graceMs, terminateTimeoutMs } = check.settings.shutdown;
        expect(performance.now() - stopStarted).toBeLessThan(2 * graceMs + terminateTimeoutMs + 500);
        expect(instance.prosa.state).toBe('stopped');
        for (const entry of instance.processors.values()) expect(entry.processor.state).toBe('stopped');
        const stats = instance.prosa.stats();
        expect(stats.inFlight).toBe(0);
        expect(stats.requests).toBe(stats.responses + sum(stats.errors));
        for (const report of Object.values(instance.reports())) {
          if (!isInjectorReport(report)) continue;
          expect(report.inFlight).toBe(0);
          expect(report.sent).toBe(report.responses + sum(report.errors) + report.startupMisses);
        }
      }),
      { numRuns: 40 },
    );
    expect(accepted).toBeGreaterThanOrEqual(40);
  });

  it('valid settings read back the same from their YAML and JSON text', () => {
    fc.assert(
      fc.property(settings, (input) => {
        const check = checkSettings(input, { kinds, env: {} });
        fc.pre(check.ok);
        if (!check.ok) return;
        expect(parseSettings(stringify(input), { kinds, env: {} })).toEqual(check.settings);
        expect(parseSettings(JSON.stringify(input), { kinds, env: {} })).toEqual(check.settings);
      }),
      { numRuns: 200 },
    );
  });
});

// --- validate agrees with run -------------------------------------------------------

/** Sensitive-field rules nested `depth` deep: `[1, { 10: [1, { 10: ... }] }]`. */
function nestedRules(depth: number): unknown {
  let rules: unknown = [1];
  for (let i = 0; i < depth; i++) rules = [1, { 10: rules }];
  return rules;
}

/** Processors that listen or call out, besides the stub and injector of `settings`. */
const httpServer = (port: number) => ({
  name: `web-${port}`,
  kind: 'http-server',
  settings: { listen: { port }, routes: [{ method: 'POST', path: '/x', service: 'ECHO' }] },
});
const httpClient = {
  name: 'upstream',
  kind: 'http-client',
  settings: { url: 'http://127.0.0.1:1', services: [{ name: 'UP', path: '/up' }], connectTimeoutMs: 50 },
};

/** Values that are wrong almost anywhere: wrong types, huge and odd numbers, empty things. */
const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(null, true, '', 'fast', -1, 0, 1e400, -1e400, Number.NaN, 2 ** 53 + 2, 1e21, 0.5, [], {}, [[]], { 1: {} }),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
);

/** Keys an attacker adds to any mapping. */
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ');

/** One change to a document: subtle (a wrong value), hostile (deep, cyclic, prototype keys) or across fields. */
type Mutation =
  | { type: 'value'; at: number; value: unknown }
  | { type: 'key'; at: number; key: string; value: unknown }
  | { type: 'deep'; at: number; depth: number; map: boolean }
  | { type: 'cycle'; at: number }
  | { type: 'rules'; depth: number; cycle: boolean }
  | { type: 'deepText'; key: 'services' | 'metrics' | 'processors' | 'transport'; depth: number; map: boolean }
  | { type: 'bomb' }
  | { type: 'ports'; port: number; metrics: boolean }
  | { type: 'duplicate'; at: number }
  | { type: 'env'; variable: string; value: string };

const at = fc.nat({ max: 1_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant('value' as const), at, value: wrongValue }),
  fc.record({ type: fc.constant('key' as const), at, key: hostileKey, value: fc.oneof(wrongValue, fc.constant({ polluted: 1 })) }),
  fc.record({ type: fc.constant('deep' as const), at, depth: fc.integer({ min: 1, max: 300 }), map: fc.boolean() }),
  fc.record({ type: fc.constant('cycle' as const), at }),
  fc.record({ type: fc.constant('rules' as const), depth: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 20, max: 250 })), cycle: fc.boolean() }),
  fc.record({
    type: fc.constant('deepText' as const),
    key: fc.constantFrom('services' as const, 'metrics' as const, 'processors' as const, 'transport' as const),
    depth: fc.oneof(fc.integer({ min: 50, max: 500 }), fc.integer({ min: 5_000, max: 30_000 })),
    map: fc.boolean(),
  }),
  fc.constant({ type: 'bomb' as const }),
  fc.record({ type: fc.constant('ports' as const), port: fc.integer({ min: 20_000, max: 60_000 }), metrics: fc.boolean() }),
  fc.record({ type: fc.constant('duplicate' as const), at }),
  fc.record({
    type: fc.constant('env' as const),
    variable: fc.constantFrom('PROSA__SERVICES', 'PROSA__LOG__LEVEL', 'PROSA__REQUEST_TIMEOUT_MS', 'PROSA__PROCESSORS__0__SETTINGS', 'PROSA__NAME'),
    value: fc.constantFrom('&a [1, {10: *a}]', '{A: {sensitive: &r [1, {2: *r}]}}', '1e400', '[[[[[[[[[[]]]]]]]]]]', 'debug', '{__proto__: {x: 1}}', '"x"'),
  }),
);

/** The collection nodes of a document, in document order. */
function collections(doc: Document): Node[] {
  const out: Node[] = [];
  visit(doc, { Node: (_key, node) => void (isCollection(node) && out.push(node)) });
  return out;
}

/** A settings document as text (and environment), with its mutations applied. */
function render(base: Record<string, unknown>, mutations: readonly Mutation[]): { text: string; env: Record<string, string> } {
  const value = structuredClone(base) as { processors?: unknown[]; [key: string]: unknown };
  const env: Record<string, string> = {};
  const tail: string[] = [];
  for (const m of mutations) {
    if (m.type === 'rules') {
      const rules = nestedRules(m.depth) as unknown[];
      if (m.cycle) rules.push({ 20: rules }); // written as an anchor and an alias to it
      value['services'] = { ECHO: { sensitive: rules } };
    } else if (m.type === 'ports') {
      value['processors'] = [...(value.processors ?? []), httpServer(m.port), ...(m.metrics ? [] : [httpServer(m.port)])];
      if (m.metrics) value['metrics'] = { port: m.port };
    } else if (m.type === 'env') {
      env[m.variable] = m.value;
    }
  }
  const doc = new Document(value);
  for (const m of mutations) {
    const nodes = collections(doc);
    const node = 'at' in m ? nodes[m.at % nodes.length] : undefined;
    switch (m.type) {
      case 'value':
      case 'key':
        if (isMap(node)) node.set(doc.createNode(m.type === 'key' ? m.key : `field${m.at}`), doc.createNode(m.value));
        else if (isSeq(node)) node.items[m.at % Math.max(1, node.items.length)] = doc.createNode(m.value);
        break;
      case 'deep': {
        let nested: unknown = 1;
        for (let i = 0; i < m.depth; i++) nested = m.map ? { 1: nested } : [nested];
        if (isMap(node)) node.set(doc.createNode('deep'), doc.createNode(nested));
        else if (isSeq(node)) node.items.push(doc.createNode(nested));
        break;
      }
      case 'cycle': {
        if (node === undefined) break;
        if (m.type === 'cycle' && node.anchor === undefined) node.anchor = `c${m.at}`;
        const alias = doc.createAlias(node as never);
        if (isMap(node)) node.set(doc.createNode('loop'), alias);
        else if (isSeq(node)) node.items.push(alias);
        break;
      }
      case 'duplicate': {
        const list = doc.get('processors');
        if (isSeq(list) && list.items.length > 0) list.items.push(list.items[m.at % list.items.length] as never);
        break;
      }
      case 'deepText':
        doc.delete(m.key);
        tail.push(`${m.key}: ${(m.map ? '{a: ' : '[').repeat(m.depth)}1${(m.map ? '}' : ']').repeat(m.depth)}`);
        break;
      case 'bomb':
        tail.push('bomb: {a: &a [x, x, x, x, x, x, x, x, x, x], b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}');
        break;
      default:
        break;
    }
  }
  return { text: `${doc.toString({ lineWidth: 0 })}${tail.join('\n')}\n`, env };
}

/** A line of a stack trace, or the message of a blown stack: neither may reach a user. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$|Maximum call stack/m;

const work = tempDir();
afterAll(() => work.remove());
let fileNo = 0;

/**
 * The built-in kinds and `picky`, whose factory refuses an odd `n` (quoting its secret
 * `token`, which no output may show): settings that pass every schema and fail only at
 * build, the stage `validate` reaches through `checkBuild`.
 */
const buildKinds = defaultKinds();
buildKinds.register(
  defineFactory({
    kind: 'picky',
    description: 'Refuses an odd n at build.',
    version: '1',
    settings: z.strictObject({ n: z.number().int().min(0).max(9), token: sensitive(z.string().min(4)).optional() }),
    create(settings) {
      if (settings.n % 2 === 1) throw new Error(`picky refuses odd n=${settings.n} (token ${settings.token ?? 'none'})`);
      return { services: ['PICKY'], adaptor: { processRequest: (_service, request) => request } };
    },
  }),
);
const PICKY_TOKEN = 'tok-7f3a9c';
const picky = fc.record(
  {
    name,
    kind: fc.constant('picky'),
    settings: fc.record({ n: fc.integer({ min: 0, max: 9 }), token: fc.constant(PICKY_TOKEN) }, { requiredKeys: ['n'] }),
  },
  { requiredKeys: ['name', 'kind', 'settings'] },
);

/** A document of the validate/run property: the settings above, sometimes with `picky` processors. */
const buildable = fc.record(
  {
    name,
    log: fc.record({ level: fc.constantFrom(...LOG_LEVELS) }, { requiredKeys: [] }),
    requestTimeoutMs: fc.integer({ min: 1, max: 10_000 }),
    processors: fc.array(fc.oneof({ arbitrary: processor, weight: 3 }, { arbitrary: picky, weight: 1 }), { maxLength: 4 }),
  },
  { requiredKeys: ['name'] },
);

/**
 * Whether `prosa run` refuses a file: its two refusal stages (src/cli/run.ts: the
 * settings do not load, or do not build), run in-process with the command's own
 * functions, and nothing started.
 */
async function runRefuses(file: string, env: Record<string, string>): Promise<boolean> {
  let instance: Instance;
  try {
    instance = buildRunInstance(await readRunSettings(file, buildKinds, env), buildKinds, { logger: silent });
  } catch (error) {
    if (error instanceof SettingsError) return true;
    throw error;
  }
  await instance.stop('checked');
  return false;
}

/** `prosa validate` of a file, in-process (the command as `main` runs it, or its function with `kinds`). */
async function validate(file: string, env: Record<string, string>, kinds?: KindRegistry) {
  const io = captureIo(env);
  const code = kinds === undefined ? await main(['node', 'prosa', 'validate', file], io) : await validateCommand(file, { kinds }, io);
  return { code, printed: io.stdout.text + io.stderr.text, stderr: io.stderr.text };
}

/** A base document for {@link render}, with short grace periods and, when `http`, a listener and a client. */
function documentOf(base: Record<string, unknown>, http: boolean): Record<string, unknown> {
  const input: Record<string, unknown> = { ...base, shutdown: { graceMs: 100, terminateTimeoutMs: 100 } };
  if (http) input['processors'] = [...((base['processors'] as unknown[] | undefined) ?? []), httpServer(0), httpClient];
  return input;
}

describe('validate and run, property', () => {
  // The whole commands are run on a few documents below (and spawned as a child process
  // in test/cli/validate-run.test.ts); the property runs validate whole and run's two
  // refusal stages, which is where run's exit code 3 comes from.
  it('validate exits 3 exactly when run refuses the settings, and prints no stack trace', async () => {
    const documents = fc.record({
      base: buildable,
      http: fc.boolean(),
      mutations: fc.array(mutation, { maxLength: 3 }),
    });
    const seen = { valid: 0, refused: 0, atBuild: 0 };
    await fc.assert(
      fc.asyncProperty(documents, async ({ base, http, mutations }) => {
        const { text, env } = render(documentOf(base, http), mutations);
        const file = work.write(`settings-${fileNo++}.yaml`, text);
        const validated = await validate(file, env, buildKinds);
        expect(validated.printed, `${text.slice(0, 2000)}\n--- printed:\n${validated.printed.slice(0, 4000)}`).not.toMatch(STACK);
        expect(validated.printed).not.toContain(PICKY_TOKEN);
        expect([ExitCode.Ok, ExitCode.InvalidSettings]).toContain(validated.code);
        const refused = await runRefuses(file, env);
        const told = `${text.slice(0, 2000)}\n--- validate (${validated.code}):\n${validated.printed.slice(0, 4000)}\n--- run refuses: ${refused}`;
        expect(validated.code === ExitCode.InvalidSettings, told).toBe(refused);
        if (refused) {
          seen.refused++;
          if (validated.stderr.includes('picky refuses')) seen.atBuild++;
          // Every refusal names a field (or the whole file) and says where.
          expect(validated.stderr).toMatch(/^Invalid settings in .+\(\d+ issues?\):\n {2}- /);
        } else seen.valid++;
      }),
      {
        numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60),
        // Each side is reached whatever the seed: a valid document, and one refused at build.
        examples: [
          [{ base: { name: 'plain' }, http: false, mutations: [] }],
          [{ base: { name: 'odd', processors: [{ name: 'p', kind: 'picky', settings: { n: 1, token: PICKY_TOKEN } }] }, http: false, mutations: [] }],
        ],
      },
    );
    // The generators reach both sides, and refusals at build.
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.atBuild).toBeGreaterThan(0);
  }, 60_000);

  /** Documents like the property's, through both whole commands. */
  const examples: { name: string; base: Record<string, unknown>; http?: boolean; mutations: Mutation[]; refused: boolean }[] = [
    {
      name: 'a stub and an injector',
      base: {
        name: 'ok',
        processors: [
          { name: 's', kind: 'stub', settings: { services: ['ECHO'] } },
          { name: 'i', kind: 'inj', settings: { service: 'ECHO', maxSpeed: 100 } },
        ],
      },
      mutations: [],
      refused: false,
    },
    {
      name: 'a wrong value in a processor',
      base: { name: 'bad', processors: [{ name: 's', kind: 'stub', settings: { services: ['ECHO'] } }] },
      mutations: [{ type: 'value', at: 3, value: 'fast' }],
      refused: true,
    },
    { name: 'a processor declared twice', base: { name: 'twice', processors: [{ name: 's', kind: 'stub', settings: { services: ['ECHO'] } }] }, mutations: [{ type: 'duplicate', at: 0 }], refused: true },
    { name: 'two listeners on one port', base: { name: 'ports' }, mutations: [{ type: 'ports', port: 40_123, metrics: false }], refused: true },
    { name: 'a hostile environment override', base: { name: 'env' }, mutations: [{ type: 'env', variable: 'PROSA__SERVICES', value: '&a [1, {10: *a}]' }], refused: true },
  ];

  it.each(examples)('$name: validate and run (whole commands) agree', async ({ base, http, mutations, refused }) => {
    const { text, env } = render(documentOf(base, http ?? false), mutations);
    const file = work.write(`example-${fileNo++}.yaml`, text);
    const validated = await validate(file, env);
    const ran = captureIo(env);
    const runCode = await main(['node', 'prosa', 'run', file, '--duration', '0.1', '--no-status'], ran);
    for (const output of [validated.printed, ran.stdout.text, ran.stderr.text]) expect(output).not.toMatch(STACK);
    const expected = refused ? ExitCode.InvalidSettings : ExitCode.Ok;
    expect([validated.code, runCode], `${text}\n--- validate:\n${validated.printed}\n--- run:\n${ran.stderr.text}`).toEqual([expected, expected]);
  });
});
