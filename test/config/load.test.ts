import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings, parseSettings, SettingsError, type SettingsIssue } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { fixture, tempDir } from '../fixtures/settings.js';

const kinds = defaultKinds();
const tmp = tempDir();
afterAll(() => tmp.remove());

/** The SettingsError `fn` throws (fails the test if it throws nothing or something else). */
async function settingsError(fn: () => unknown): Promise<SettingsError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError, got none');
}

function issueAt(error: SettingsError, path: string): SettingsIssue {
  const issue = error.issues.find((candidate) => candidate.path === path);
  if (issue === undefined) throw new Error(`no issue at ${path}; issues: ${error.message}`);
  return issue;
}

const load = (file: string) => loadSettings(file, { kinds, env: {} });

describe('loadSettings: valid files', () => {
  it('loads the example file with every default filled', async () => {
    const settings = await load(fixture('demo.yaml'));
    expect(settings.name).toBe('demo');
    expect(settings.shutdown).toEqual({ graceMs: 5000, terminateTimeoutMs: 2000 });
    expect(settings.requestTimeoutMs).toBe(10_000);
    expect(settings.processors.map((p) => [p.name, p.kind])).toEqual([
      ['stub-1', 'stub'],
      ['inj-1', 'inj'],
    ]);
    const [stub, inj] = settings.processors;
    expect(stub!.restart).toEqual({ delayMs: 100, maxDelayMs: 10_000, maxRestarts: 10, windowMs: 60_000, resetAfterMs: 1000 });
    expect(stub!.settings).toEqual({ services: ['ECHO'], latencyMs: 0, jitterMs: 0, errorRate: 0, crashEveryMs: 0 });
    expect(inj!.queue).toEqual({ maxInFlight: 10_000 });
    expect(inj!.settings).toMatchObject({ service: 'ECHO', maxSpeed: 1000, backoffFactor: 0.5, request: {} });
  });

  it('reads JSON as YAML: the JSON twin of the example gives the same settings', async () => {
    expect(await load(fixture('demo.json'))).toEqual(await load(fixture('demo.yaml')));
  });

  it('accepts templates in ProSA text form and as id mappings', () => {
    const settings = parseSettings(
      'name: t\nprocessors:\n  - { name: s, kind: stub, settings: { services: [A], reply: "1;5;hello;" } }\n' +
        '  - { name: i, kind: inj, settings: { service: A, request: { 1: hi, 2: 42, 3: { 1: nested } } } }\n',
      { kinds, env: {} },
    );
    expect(settings.processors[0]!.settings).toMatchObject({ reply: '1;5;hello;' });
    expect(settings.processors[1]!.settings).toMatchObject({ request: { 1: 'hi', 2: 42, 3: { 1: 'nested' } } });
  });
});

describe('loadSettings: invalid files', () => {
  it('reports a YAML syntax error with its line and column', async () => {
    const error = await settingsError(() => load(fixture('bad-syntax.yaml')));
    expect(error.kind).toBe('InvalidSettings');
    expect(error.recoverable).toBe(false);
    expect(error.issues.length).toBeGreaterThanOrEqual(1);
    const first = error.issues[0]!;
    expect(first).toMatchObject({ line: 5, expected: 'valid YAML (or JSON)' });
    expect(first.column).toBeGreaterThan(1);
    expect(first.found).toMatch(/syntax error: Flow sequence/);
    expect(error.message).toContain(`${fixture('bad-syntax.yaml')}:5:${first.column}`);
  });

  it('reports every wrong type at once, each with path, expected, found, line and column', async () => {
    const error = await settingsError(() => load(fixture('bad-types.yaml')));
    expect(error.issues).toHaveLength(5);
    expect(issueAt(error, 'shutdown.graceMs')).toMatchObject({ expected: 'a number', found: '"soon"', line: 2 });
    expect(issueAt(error, 'processors[0].settings.services')).toMatchObject({ expected: 'a list', found: '"ECHO"', line: 6 });
    expect(issueAt(error, 'processors[0].settings.latencyMs')).toMatchObject({ expected: 'a number >= 0', found: '-1' });
    const speed = issueAt(error, 'processors[1].settings.maxSpeed');
    expect(speed).toMatchObject({ expected: 'a number', found: '"fast"', line: 9, column: 32 });
    expect(speed.message).toBe('processors[1].settings.maxSpeed: expected a number, found "fast"');
    expect(issueAt(error, 'processors[1].settings.maxConcurrent')).toMatchObject({ expected: 'an integer', found: '1.5' });
    expect(error.message).toContain('(5 issues)');
    expect(error.message).toContain(`${fixture('bad-types.yaml')}:9:32: processors[1].settings.maxSpeed`);
  });

  it('names the known kinds for an unknown one', async () => {
    const error = await settingsError(() => load(fixture('unknown-kind.yaml')));
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'processors[0].kind', expected: 'one of the known kinds: http-client, http-server, inj, stub', found: '"stubb"', line: 4 }),
    ]);
  });

  it('reports missing required fields', async () => {
    const error = await settingsError(() => load(fixture('missing-required.yaml')));
    const missing = 'nothing (the field is required)';
    expect(issueAt(error, 'name')).toMatchObject({ found: missing });
    expect(issueAt(error, 'processors[0].name')).toMatchObject({ found: missing, expected: 'a string' });
    expect(issueAt(error, 'processors[0].settings.services')).toMatchObject({ found: missing, expected: 'a list' });
    expect(issueAt(error, 'processors[1].settings.service')).toMatchObject({ found: missing });
    expect(error.issues).toHaveLength(4);
  });

  it('rejects duplicate processor names, naming the first holder', async () => {
    const error = await settingsError(() => load(fixture('duplicates.yaml')));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'processors[1].name',
        expected: 'a name no other processor has',
        found: '"stub-1", already the name of processors[0]',
        line: 6,
      }),
    ]);
  });

  it('rejects unknown fields, listing the known ones (typos do not pass)', async () => {
    const file = tmp.write('typo.yaml', 'name: x\nprocesors: []\nprocessors:\n  - { name: a, kind: stub, settings: { services: [A], latncyMs: 3 } }\n');
    const error = await settingsError(() => load(file));
    expect(issueAt(error, 'procesors')).toMatchObject({ found: 'an unknown field "procesors"', line: 2, column: 1 });
    expect(issueAt(error, 'procesors').expected).toMatch(/^one of the known fields: name, shutdown, log, requestTimeoutMs, processors/);
    expect(issueAt(error, 'processors[0].settings.latncyMs').expected).toContain('latencyMs');
  });

  it('checks cross-field rules and templates', async () => {
    const file = tmp.write(
      'rules.yaml',
      'name: x\nprocessors:\n  - name: a\n    kind: stub\n    restart: { delayMs: 500, maxDelayMs: 100 }\n    settings: { services: [A], reply: "1;99;x;" }\n',
    );
    const error = await settingsError(() => load(file));
    expect(issueAt(error, 'processors[0].restart.maxDelayMs')).toMatchObject({ expected: 'a number >= delayMs', found: '100' });
    const reply = issueAt(error, 'processors[0].settings.reply');
    expect(reply.expected).toMatch(/TVF record/);
    expect(reply.found).toMatch(/does not build/);
  });

  it('rejects values out of range, names, and log levels', async () => {
    const file = tmp.write(
      'range.yaml',
      'name: "bad name"\nlog: { level: loud }\nprocessors:\n  - { name: a, kind: inj, settings: { service: A, maxSpeed: 0, backoffFactor: 1 } }\n',
    );
    const error = await settingsError(() => load(file));
    expect(issueAt(error, 'name').expected).toMatch(/^a string matching/);
    expect(issueAt(error, 'log.level').expected).toContain('"info"');
    expect(issueAt(error, 'processors[0].settings.maxSpeed')).toMatchObject({ expected: 'a number > 0', found: '0' });
    expect(issueAt(error, 'processors[0].settings.backoffFactor')).toMatchObject({ expected: 'a number < 1', found: '1' });
  });

  it('rejects an empty file and a file that is not a mapping', async () => {
    const empty = await settingsError(() => load(tmp.write('empty.yaml', '# nothing\n')));
    expect(empty.issues).toEqual([expect.objectContaining({ path: '', found: 'an empty file' })]);
    const list = await settingsError(() => load(tmp.write('list.yaml', '- a\n- b\n')));
    expect(list.issues).toEqual([expect.objectContaining({ path: '', found: 'a list of 2 items' })]);
  });

  it('says UnreadableSettings for a file it cannot read', async () => {
    const missing = fixture('no-such-file.yaml');
    const error = await settingsError(() => load(missing));
    expect(error.kind).toBe('UnreadableSettings');
    expect(error.issues[0]!.found).toMatch(/^ENOENT/);
    expect(error.message).toContain(missing);
  });

  it('reports duplicate YAML keys as syntax errors', async () => {
    const error = await settingsError(() => load(tmp.write('dupkey.yaml', 'name: a\nname: b\n')));
    expect(error.issues[0]).toMatchObject({ line: 2, column: 1 });
    expect(error.issues[0]!.found).toMatch(/unique/);
  });
});
