/**
 * `prosa new kind <name>`: writes a plugin that provides one processor kind (a settings
 * schema, an adaptor, the factory), a settings file that runs it with an injector
 * driving it, and a test of it (`node --test`). `prosa run <folder>/prosa.yaml` runs it
 * at once; docs/plugins.md walks through the files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { messageOf } from '../tvf/unknown-value.js';
import { ExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';

/** Options of {@link newKindCommand}. */
export interface NewKindOptions {
  /**
   * The folder to write into (made if missing); none of the files may exist there yet.
   * @defaultValue `./<name>`, from the working directory
   */
  dir?: string;
  /**
   * Write TypeScript (`.mts`) instead of JavaScript (`.mjs`): it needs a TypeScript loader
   * at run time (tsx, see docs/plugins.md).
   * @defaultValue false
   */
  typescript?: boolean;
}

/** What a scaffolded kind may be named: it becomes a kind, a file name and (in capitals) a service name. */
export const KIND_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/** The files of a scaffolded kind, by name, as text. */
export function kindFiles(kind: string, typescript = false): Record<string, string> {
  // .mts and .mjs are ES modules whatever the package.json around them says.
  const ext = typescript ? 'mts' : 'mjs';
  const service = kind.toUpperCase().replace(/-/g, '_');
  const adaptor = `${kind.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase())}Adaptor`;
  const types = typescript;
  const plugin = `/**
 * The \`${kind}\` processor kind: a prosa plugin. A settings file loads it with
 * \`plugins: [./${kind}.${ext}]\`; \`prosa kinds --plugin ./${kind}.${ext}\` shows its settings.
 * Under \`prosa run --watch\`, saving this file replaces the processors of this kind only.
 */
import { defineFactory, SimpleStringTvf, z${types ? ', type Adaptor, type Tvf' : ''} } from 'prosa';

/** Settings of a \`${kind}\` processor: its \`settings:\` block. Each field has a default and a doc. */
export const settings = z.strictObject({
  service: z.string().min(1).default('${service}').describe('The service it serves.'),
  prefix: z.string().default('${kind}: ').describe('Put before the text of each answer.'),
});
${types ? `\n/** What {@link settings} gives, defaults filled in. */\nexport type Settings = z.output<typeof settings>;\n` : ''}
/** Answers each request with field 1 of the request (a string), after \`prefix\`. */
export class ${adaptor}${types ? ' implements Adaptor' : ''} {
${types ? '  private readonly prefix: string;\n\n' : ''}  constructor(settings${types ? ': Settings' : ''}) {
    this.prefix = settings.prefix;
  }

  processRequest(_service${types ? ': string' : ''}, request${types ? ': Tvf' : ''})${types ? ': Tvf' : ''} {
    const text = request.contains(1) ? request.getString(1) : '';
    const reply = new SimpleStringTvf();
    reply.putString(1, this.prefix + text);
    return reply;
  }
}

/** The kinds this plugin provides: what prosa imports. */
export const kinds = [
  defineFactory({
    kind: '${kind}',
    description: 'Answers each request with its field 1 after a prefix.',
    version: '1',
    settings,
    create: (options) => ({ services: [options.service], adaptor: new ${adaptor}(options) }),
  }),
];
`;
  const yaml = `# Runs the \`${kind}\` kind of ./${kind}.${ext}, with an injector sending it requests.
#   prosa run prosa.yaml --duration 5     (add --watch, then edit ${kind}.${ext})
name: ${kind}-demo
plugins: [./${kind}.${ext}]
shutdown: { graceMs: 1000, terminateTimeoutMs: 500 }
processors:
  - name: ${kind}-1
    kind: ${kind}
    settings: { service: ${service}, prefix: "${kind} says: " }
  - name: inj-1
    kind: inj
    settings:
      service: ${service}
      maxSpeed: 100
      request: { 1: "hello" }
`;
  const test = `/**
 * Tests of the \`${kind}\` kind: \`node ${types ? '--import tsx ' : ''}--test ${kind}.test.${ext}\` in this folder (prosa installed here or above).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimpleStringTvf } from 'prosa';
import { kinds, settings, ${adaptor} } from './${kind}.${ext}';

test('answers field 1 after its prefix', () => {
  const adaptor = new ${adaptor}(settings.parse({ prefix: '> ' }));
  const request = new SimpleStringTvf();
  request.putString(1, 'hello');
  assert.equal(adaptor.processRequest('${service}', request).getString(1), '> hello');
});

test('its settings have defaults, and refuse an unknown field', () => {
  assert.deepEqual(settings.parse({}), { service: '${service}', prefix: '${kind}: ' });
  assert.equal(settings.safeParse({ prefx: '' }).success, false);
});

test('the plugin provides the kind ${kind}', () => {
  assert.deepEqual(
    kinds.map((factory) => factory.kind),
    ['${kind}'],
  );
});
`;
  return { [`${kind}.${ext}`]: plugin, 'prosa.yaml': yaml, [`${kind}.test.${ext}`]: test };
}

/**
 * Writes the scaffold of kind `name` (see {@link kindFiles}) and prints what it wrote and
 * how to run it. Resolves 0; 2 when the name is not a kind name; 1 when a file exists
 * already (nothing is overwritten) or cannot be written.
 */
export async function newKindCommand(name: string, options: NewKindOptions, io: CommandIo): Promise<number> {
  if (!KIND_NAME_PATTERN.test(name)) {
    io.stderr.write(`prosa new kind: ${JSON.stringify(name)} is not a kind name: lower-case letters, digits and '-', starting with a letter, at most 40\n`);
    return ExitCode.Usage;
  }
  const dir = options.dir ?? name;
  const files = kindFiles(name, options.typescript === true);
  const taken = Object.keys(files).filter((file) => existsSync(join(dir, file)));
  if (taken.length > 0) {
    io.stderr.write(`prosa new kind: ${taken.map((file) => join(dir, file)).join(', ')} already exists; nothing written (choose another --dir)\n`);
    return ExitCode.Failed;
  }
  try {
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text, { flag: 'wx' });
  } catch (error) {
    io.stderr.write(`prosa new kind: cannot write into ${dir}: ${messageOf(error)}\n`);
    return ExitCode.Failed;
  }
  const fromHere = relative(process.cwd(), dir);
  const shown = fromHere === '' ? '.' : fromHere.startsWith('..') || isAbsolute(fromHere) ? resolve(dir) : fromHere;
  const settingsFile = join(shown, 'prosa.yaml');
  io.stdout.write(
    [
      `wrote kind '${name}' in ${shown}/: ${Object.keys(files).join(', ')}`,
      `  run it:       prosa run ${settingsFile} --duration 5`,
      `  edit it live: prosa run ${settingsFile} --watch   (then save ${join(shown, Object.keys(files)[0]!)})`,
      `  test it:      cd ${shown} && node ${options.typescript === true ? '--import tsx ' : ''}--test ${Object.keys(files)[2]!}   (needs prosa installed there or above: npm install prosa)`,
      '',
    ].join('\n'),
  );
  return ExitCode.Ok;
}
