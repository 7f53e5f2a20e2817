import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { fixture } from '../fixtures/settings.js';
import { captureIo } from './io.js';

/** Runs `prosa <args>` in this process. */
async function prosa(...args: string[]) {
  const io = captureIo();
  const code = await main(['node', 'prosa', ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('prosa command line (in process)', () => {
  it.each([[['--help']], [['run', '--help']], [['validate', '--help']], [['kinds', '--help']], [['help', 'run']]])(
    'prosa %j prints help, exit 0',
    async (args) => {
      const result = await prosa(...args);
      expect(result.code).toBe(ExitCode.Ok);
      expect(result.stdout).toMatch(/^Usage: prosa/);
    },
  );

  it('documents every option of run', async () => {
    const { stdout } = await prosa('run', '--help');
    for (const option of ['--duration <seconds>', '--json', '--no-status', '[file]']) expect(stdout).toContain(option);
  });

  it.each([
    [['run', '--bogus'], /unknown option '--bogus'/],
    [['validate', 'x.yaml', '--strict'], /unknown option '--strict'/],
    [['run', 'a.yaml', 'b.yaml'], /too many arguments/],
    [['run', '--duration', 'soon'], /expected a number of seconds > 0/],
    [['run', '--duration', '0'], /expected a number of seconds > 0/],
    [['validate'], /missing required argument 'file'/],
    [['kinds', '--json', '--markdown'], /cannot be used with/],
    [['nope'], /unknown command 'nope'/],
    [[], /Usage: prosa/],
  ])('prosa %j is a usage error: exit 2', async (args, pattern) => {
    const result = await prosa(...args);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toMatch(pattern);
  });

  it.each([
    ['bad-syntax.yaml', /bad-syntax\.yaml:5:\d+: syntax: expected valid YAML/],
    ['bad-types.yaml', /bad-types\.yaml:9:32: processors\[1\]\.settings\.maxSpeed: expected a number, found "fast"/],
    ['unknown-kind.yaml', /processors\[0\]\.kind: expected one of the known kinds: http-client, http-server, inj, stub, found "stubb"/],
    ['missing-required.yaml', /processors\[0\]\.settings\.services: expected a list, found nothing/],
    ['duplicates.yaml', /processors\[1\]\.name: expected a name no other processor has/],
    ['no-such-file.yaml', /no-such-file\.yaml: file: expected a readable file, found ENOENT/],
  ])('validate rejects %s with exit 3 and the field path in the output', async (name, pattern) => {
    const result = await prosa('validate', fixture(name));
    expect(result.code).toBe(ExitCode.InvalidSettings);
    expect(result.stderr).toMatch(pattern);
    expect(result.stdout).toBe('');
  });

  it('validate --json prints { file, valid, issues }', async () => {
    const result = await prosa('validate', '--json', fixture('bad-types.yaml'));
    expect(result.code).toBe(ExitCode.InvalidSettings);
    const report = JSON.parse(result.stdout) as { valid: boolean; issues: { path: string; line: number }[] };
    expect(report.valid).toBe(false);
    expect(report.issues).toContainEqual(expect.objectContaining({ path: 'processors[1].settings.maxSpeed', line: 9 }));
    const valid = JSON.parse((await prosa('validate', '--json', fixture('demo.json'))).stdout) as { valid: boolean };
    expect(valid.valid).toBe(true);
  });

  it('kinds lists every field with its type, default, constraints and doc; --json adds the JSON Schemas', async () => {
    const text = await prosa('kinds');
    expect(text.stdout).toContain('  maxSpeed: number, default 100, > 0, <= 1000000\n      Target rate, in requests per second');
    expect(text.stdout).toContain('  services: list of string, required, at least 1 item');
    const json = JSON.parse((await prosa('kinds', '--json')).stdout) as { kind: string; fields: { path: string }[]; schema: { type: string } }[];
    expect(json.map((kind) => kind.kind)).toEqual(['http-client', 'http-server', 'inj', 'stub']);
    expect(json[0]!.schema.type).toBe('object');
    expect(json.find((kind) => kind.kind === 'stub')!.fields.map((field) => field.path)).toContain('errorRate');
  });
});
