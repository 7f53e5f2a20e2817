import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { validateCommand } from '../../src/cli/validate.js';
import { runCommand } from '../../src/cli/run.js';
import {
  checkSettings,
  checkSettingsShape,
  checkSettingsText,
  defineFactory,
  MAX_SETTINGS_DEPTH,
  type SettingsIssue,
} from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { captureIo } from '../cli/io.js';
import { tempDir } from '../fixtures/settings.js';

const kinds = defaultKinds();
const check = (text: string, env: Record<string, string> = {}) => checkSettingsText(text, { kinds, env });

function issuesOf(result: ReturnType<typeof check>): SettingsIssue[] {
  if (result.ok) throw new Error('expected the settings to be refused');
  return result.issues;
}

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('the shape of a settings value', () => {
  it('accepts nesting up to the limit and refuses one level more, naming the path', () => {
    // The top-level mapping is level 1: `services` may hold 63 lists, one in another.
    expect(checkSettingsShape({ services: nested(MAX_SETTINGS_DEPTH - 1) })).toEqual([]);
    const [issue, ...rest] = checkSettingsShape({ services: nested(MAX_SETTINGS_DEPTH) });
    expect(rest).toEqual([]);
    expect(issue!.path).toBe(`services${'[0]'.repeat(MAX_SETTINGS_DEPTH - 1)}`);
    expect(issue!.message).toBe('services[0][0][0][0][0][0][0]... (64 levels): expected mappings and lists nested at most 64 deep, found one nested deeper');
  });

  it('walks a million levels without recursion', () => {
    expect(checkSettingsShape({ services: nested(1_000_000) })).toHaveLength(1);
  });

  it('refuses a value that contains itself, and accepts one shared twice', () => {
    const rules: unknown[] = [1];
    rules.push({ 10: rules });
    const [issue] = checkSettingsShape({ name: 'x', services: { PAY: { sensitive: rules } } });
    expect(issue!.message).toBe(
      'services.PAY.sensitive[1]["10"]: expected a value that does not contain itself, found a YAML alias back to services.PAY.sensitive, which contains it',
    );
    const shared = { sensitive: [1, 2] };
    expect(checkSettingsShape({ services: { A: shared, B: shared } })).toEqual([]);
  });

  it('refuses a __proto__ key at any depth, and leaves constructor and toString to the schemas', () => {
    const value = JSON.parse('{"name": "x", "services": {"__proto__": {"sensitive": [1]}, "constructor": {}}}') as unknown;
    expect(checkSettingsShape(value).map((issue) => issue.message)).toEqual([
      'services.__proto__: expected a field name other than __proto__ (no settings field has that name), found a field named "__proto__"',
    ]);
    // Without the check, the schema would drop the service silently, and its masks with it.
    const result = checkSettings({ name: 'x', services: { constructor: { sensitive: [1] }, toString: {} } }, { kinds, env: {} });
    expect(result.ok && Object.keys(result.settings.services)).toEqual(['constructor', 'toString']);
  });

  it('bounds the values an object of shared parts expands to', () => {
    let value: unknown = [1, 1];
    for (let i = 0; i < 25; i++) value = [value, value];
    const issues = checkSettingsShape({ services: value });
    expect(issues.map((issue) => issue.message)).toEqual([
      '(top level): expected settings of at most 2000000 values (aliases counted each time they are used), found more',
    ]);
  });
});

describe('the shape of a settings text', () => {
  it('refuses deep nesting while reading, with its line, column and path, whatever the depth', () => {
    for (const depth of [65, 10_000, 1_000_000]) {
      const [issue, ...rest] = issuesOf(check(`name: x\nmetrics:\n  a: ${'{b: '.repeat(depth)}1${'}'.repeat(depth)}\n`));
      expect(rest).toEqual([]);
      expect(issue!.line).toBe(3);
      expect(issue!.message).toMatch(/^metrics\.a\.b\.b\.b\.b\.b\.b\.\.\. \(\d+ levels\): expected mappings and lists nested at most 64 deep, found one nested deeper$/);
    }
  });

  it('refuses an alias to its own parent, naming where the alias is', () => {
    const [issue] = issuesOf(check('name: x\nprocessors: &all\n  - { name: s, kind: stub, settings: { services: [A], reply: { 1: *all } } }\n'));
    expect(issue).toMatchObject({ path: 'processors[0].settings.reply["1"]', line: 3, column: 64 });
    expect(issue!.found).toBe('a YAML alias back to processors, which contains it');
  });

  it('refuses an alias bomb, a key that is a mapping, and a second document, each in words', () => {
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n';
    expect(issuesOf(check(bomb)).map((issue) => issue.found)).toEqual(['aliases that expand past 100 copies (a "billion laughs" file)']);
    expect(issuesOf(check('name: x\nservices: { ? [a, b] : { sensitive: [1] } }\n'))).toMatchObject([
      { line: 2, column: 15, found: 'a key that is a mapping or a list' },
    ]);
    expect(issuesOf(check('name: x\n---\nname: y\n'))[0]!.found).toBe('a syntax error: the file holds more than one YAML document');
  });

  it('checks what an environment override brings as it checks the file', () => {
    const issues = issuesOf(check('name: x\n', { PROSA__SERVICES: '{A: {sensitive: &r [1, {2: *r}]}}' }));
    expect(issues).toMatchObject([{ path: 'services.A.sensitive[1]["2"]', env: 'PROSA__SERVICES' }]);
  });

  it('says what a tagged value is: binary data, a set', () => {
    expect(issuesOf(check('name: !!binary aGVsbG8=\n'))[0]!.message).toBe('name: expected a string, found binary data (5 bytes)');
    expect(issuesOf(check('name: x\nservices: !!set {a, b}\n'))[0]!.message).toBe('services: expected a mapping, found a set (!!set)');
  });
});

describe('listeners on one port', () => {
  const server = (name: string, listen: Record<string, unknown>) => ({
    name,
    kind: 'http-server',
    settings: { listen, routes: [{ path: '/x', service: 'A' }] },
  });
  const portIssues = (input: Record<string, unknown>) => {
    const result = checkSettings({ name: 'x', ...input }, { kinds, env: {} });
    return result.ok ? [] : result.issues.map((issue) => issue.message);
  };

  it('refuses a second listener on a port of the same interface, or of every interface', () => {
    expect(portIssues({ processors: [server('a', { port: 9001 }), server('b', { port: 9001 })] })).toEqual([
      'processors[1].settings.listen.port: expected a port no other listener of the file uses, found 9001, already the port of processors[0] (a) on 127.0.0.1',
    ]);
    expect(portIssues({ metrics: { port: 9001, host: '0.0.0.0' }, processors: [server('a', { port: 9001, host: '127.0.0.1' })] })).toEqual([
      'processors[0].settings.listen.port: expected a port no other listener of the file uses, found 9001, already the port of metrics on 0.0.0.0',
    ]);
    expect(portIssues({ processors: [server('a', { port: 9001, host: 'localhost' }), server('b', { port: 9001 })] })).toHaveLength(1);
  });

  it('counts the console among the listeners, unless it is disabled', () => {
    expect(portIssues({ console: {}, processors: [server('a', { port: 8070 })] })).toEqual([
      'processors[0].settings.listen.port: expected a port no other listener of the file uses, found 8070, already the port of console on 127.0.0.1',
    ]);
    expect(portIssues({ metrics: { port: 9100 }, console: { port: 9100 } })).toEqual([
      'console.port: expected a port no other listener of the file uses, found 9100, already the port of metrics on 127.0.0.1',
    ]);
    expect(portIssues({ console: { enabled: false }, processors: [server('a', { port: 8070 })] })).toEqual([]);
  });

  it('accepts port 0, other ports, and one port on two specific interfaces', () => {
    expect(portIssues({ metrics: { port: 0 }, processors: [server('a', { port: 0 }), server('b', { port: 0 })] })).toEqual([]);
    expect(portIssues({ metrics: { port: 9002 }, processors: [server('a', { port: 9001 })] })).toEqual([]);
    expect(portIssues({ processors: [server('a', { port: 9001, host: '127.0.0.1' }), server('b', { port: 9001, host: '127.0.0.2' })] })).toEqual([]);
  });
});

describe('validate builds what run builds', () => {
  const tmp = tempDir();

  it('refuses, as run does, a processor whose factory throws on settings its schema accepts', async () => {
    const picky = defaultKinds();
    picky.register(
      defineFactory({
        kind: 'picky',
        description: 'Refuses to be built.',
        version: '1',
        settings: z.strictObject({}),
        create: () => {
          throw new Error('no licence for this host');
        },
      }),
    );
    const file = tmp.write('picky.yaml', 'name: picky\nprocessors:\n  - { name: p, kind: picky }\n');
    const validated = captureIo();
    expect(await validateCommand(file, { kinds: picky }, validated)).toBe(ExitCode.InvalidSettings);
    expect(validated.stderr.text).toContain(
      "picky.yaml: processors[0].settings: expected settings kind 'picky' can build a processor from, found an error: no licence for this host",
    );
    const ran = captureIo();
    expect(await runCommand({ file, durationS: 0.1, status: false, kinds: picky }, ran)).toBe(ExitCode.InvalidSettings);
    expect(ran.stderr.text).toContain("processors[0].settings: expected settings kind 'picky' can build a processor from, found an error: no licence for this host");
    tmp.remove();
  });
});
