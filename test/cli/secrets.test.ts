import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { kindsCommand } from '../../src/cli/kinds.js';
import { defineFactory, KindRegistry } from '../../src/config/index.js';
import { sensitive } from '../../src/observability/index.js';
import { z } from 'zod';
import { tempDir } from '../fixtures/settings.js';
import { captureIo } from './io.js';

/** Runs `prosa <args>` in this process with `env`. */
async function prosa(env: Record<string, string>, ...args: string[]) {
  const io = captureIo(env);
  const code = await main(['node', 'prosa', ...args], io);
  return { code, out: io.stdout.text + io.stderr.text };
}

const client = (headers: string) => `name: leaky
processors:
  - name: client
    kind: http-client
    settings:
      url: http://127.0.0.1:1
      headers: ${headers}
      services: [{ name: CALL, path: /call }]
`;

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

describe('prosa validate and kinds keep secrets out of their output', () => {
  it('a bad value of a sensitive field is reported without the value, text and JSON', async () => {
    dir = tempDir();
    const file = dir.write('bad.yaml', client('{ authorization: "Bearer SECRET123\\n", x-tenant: "tenant-SECRET456\\r" }'));
    for (const args of [['validate', file], ['validate', file, '--json']]) {
      const { code, out } = await prosa({}, ...args);
      expect(code).toBe(ExitCode.InvalidSettings);
      expect(out).toContain('processors[0].settings.headers.authorization');
      expect(out).toContain('a sensitive value (not shown)');
      expect(out).not.toContain('SECRET123');
      expect(out).not.toContain('SECRET456');
    }
  });

  it('a value set by the environment is reported without the value', async () => {
    dir = tempDir();
    const file = dir.write('ok.yaml', client('{}'));
    const env = {
      PROSA__PROCESSORS__CLIENT__SETTINGS__HEADERS__AUTHORIZATION: 'Bearer SECRET123\u0007',
      PROSA__PROCESSORS__CLIENT__SETTINGS__URL__NESTED: 'x', // the url is a string, not a mapping
    };
    const { code, out } = await prosa(env, 'validate', file);
    expect(code).toBe(ExitCode.InvalidSettings);
    expect(out).toContain('environment PROSA__PROCESSORS__CLIENT__SETTINGS__HEADERS__AUTHORIZATION');
    expect(out).not.toContain('SECRET123');
  });

  it('kinds marks the sensitive fields', async () => {
    const text = await prosa({}, 'kinds');
    expect(text.out).toMatch(/headers: mapping of string, default \{\}, sensitive/);
    const markdown = await prosa({}, 'kinds', '--markdown');
    expect(markdown.out).toMatch(/\| `headers` \|.*\*\*Sensitive\*\*: masked in every output\. \|/);
    expect(markdown.out).toMatch(/\| `transport\.nats\.pass` \|.*\*\*Sensitive\*\*/);
    expect(markdown.out).toMatch(/\| `metrics\.token` \|.*\*\*Sensitive\*\*/);
  });

  it('kinds shows the default of a sensitive field masked, in text and in the JSON Schema', () => {
    const kinds = new KindRegistry([
      defineFactory({
        kind: 'defaulted',
        description: 'Has a secret default.',
        version: '1',
        settings: z.strictObject({ key: sensitive(z.string()).default('DEFAULT-SECRET-1').describe('A key.') }),
        create: () => ({ services: [], adaptor: { processRequest: (_s, r) => r } }),
      }),
    ]);
    for (const options of [{}, { json: true }, { markdown: true }]) {
      const io = captureIo();
      kindsCommand(kinds, options, io);
      expect(io.stdout.text).toContain('key');
      expect(io.stdout.text).toContain('***');
      expect(io.stdout.text).not.toContain('DEFAULT-SECRET-1');
    }
  });
});
