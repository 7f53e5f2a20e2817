/**
 * `prosa validate` agrees with `prosa run`, through the real command: whatever `run`
 * refuses, `validate` refuses with exit 3 and an issue naming the field, and neither
 * prints a stack trace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { tempDir } from '../fixtures/settings.js';
import { prosa, type Finished } from './command.js';

const work = tempDir();
afterAll(() => work.remove());
const file = (name: string, text: string) => work.write(name, text);

/** A line of a stack trace, or the message of a blown stack. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$|Maximum call stack/m;

/** Sensitive-field rules nested `depth` deep, in flow style. */
function nestedRules(depth: number): string {
  let rules = '[1]';
  for (let i = 0; i < depth; i++) rules = `[1, { 10: ${rules} }]`;
  return rules;
}

const stub = '  - { name: s, kind: stub, settings: { services: [PAY] } }\n';

/** `validate` and `run --duration 0.1` of one file, side by side. */
async function both(path: string): Promise<{ validate: Finished; run: Finished }> {
  const [validate, run] = await Promise.all([prosa(['validate', path]), prosa(['run', path, '--duration', '0.1', '--no-status'])]);
  for (const output of [validate.stdout, validate.stderr, run.stdout, run.stderr]) expect(output).not.toMatch(STACK);
  return { validate, run };
}

describe('prosa validate and prosa run refuse the same files', () => {
  it('sensitive-field rules nested 200 deep: both exit 3, naming the field; no stack trace', async () => {
    const path = file('deep-rules.yaml', `name: deep\nservices:\n  PAY: { sensitive: ${nestedRules(200)} }\nprocessors:\n${stub}`);
    const { validate, run } = await both(path);
    expect(validate.code).toBe(ExitCode.InvalidSettings);
    expect(run.code).toBe(ExitCode.InvalidSettings);
    expect(validate.stderr).toMatch(/deep-rules\.yaml:3:\d+: services\.PAY\.sensitive\[1\]\["10"\]\[1\].*: expected mappings and lists nested at most 64 deep/);
    expect(run.stderr).toContain(validate.stderr.trim());
  }, 30_000);

  it('a YAML alias cycle in the sensitive-field rules: both exit 3, naming the alias', async () => {
    const path = file('cycle.yaml', `name: cycle\nservices:\n  PAY: { sensitive: &rules [1, { 10: *rules }] }\nprocessors:\n${stub}`);
    const { validate, run } = await both(path);
    expect(validate.code).toBe(ExitCode.InvalidSettings);
    expect(run.code).toBe(ExitCode.InvalidSettings);
    expect(validate.stderr).toContain(
      'cycle.yaml:3:34: services.PAY.sensitive[1]["10"]: expected a value that does not contain itself, found a YAML alias back to services.PAY.sensitive, which contains it',
    );
  }, 30_000);

  it('lists nested 100,000 deep and an alias bomb: refused at once, never "Maximum call stack size exceeded"', async () => {
    const deep = file('deep.yaml', `name: deep\nservices: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const bomb = file(
      'bomb.yaml',
      'name: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    );
    const [deepRun, bombRun] = await Promise.all([both(deep), both(bomb)]);
    for (const { validate, run } of [deepRun, bombRun]) {
      expect(validate.code).toBe(ExitCode.InvalidSettings);
      expect(run.code).toBe(ExitCode.InvalidSettings);
    }
    expect(deepRun.validate.stderr).toMatch(/deep\.yaml:2:\d+: services\[0\]\[0\].*\(65 levels\): expected mappings and lists nested at most 64 deep/);
    expect(bombRun.validate.stderr).toContain('found aliases that expand past 100 copies');
  }, 30_000);

  it('two listeners of the file on one port: both exit 3 before anything listens, naming the second port', async () => {
    const server = (name: string) =>
      `  - { name: ${name}, kind: http-server, settings: { listen: { port: 8191 }, routes: [{ path: /x, service: PAY }] } }\n`;
    const path = file('ports.yaml', `name: ports\nmetrics: { port: 8192 }\nprocessors:\n${server('web-a')}${server('web-b')}${stub}`);
    const { validate, run } = await both(path);
    expect(validate.code).toBe(ExitCode.InvalidSettings);
    expect(run.code).toBe(ExitCode.InvalidSettings);
    expect(validate.stderr).toContain(
      'ports.yaml:5:61: processors[1].settings.listen.port: expected a port no other listener of the file uses, found 8191, already the port of processors[0] (web-a) on 127.0.0.1',
    );
  }, 30_000);
});
