/**
 * prosa's one error vocabulary (docs/bus.md): every error class of src/ is a
 * `ProsaError` with a `kind`, a `recoverable` flag and the `cause` it wraps, and its
 * message names what is at fault. The classes are found by reading src/ with the
 * TypeScript parser, so a new error class that does not extend the base fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BusError, isServiceErrorKind, ProcessorError, SERVICE_ERROR_KINDS, ServiceError } from '../src/actors/errors.js';
import { KindError } from '../src/config/registry.js';
import { SettingsError, settingsIssue } from '../src/config/settings-error.js';
import { DirectiveError } from '../src/directives/errors.js';
import { LoadProcessorError } from '../src/instance/load-processor.js';
import { BodyError } from '../src/processors/http/body-codec.js';
import { SERVICE_ERROR_STATUS } from '../src/processors/http/server/answers.js';
import { OUTCOMES } from '../src/observability/request-figures.js';
import { InjectedError } from '../src/processors/stub/adaptor.js';
import { TransportError } from '../src/transport/errors.js';
import { TvfError } from '../src/tvf/error.js';
import { ProsaError } from '../src/tvf/prosa-error.js';
import type { ProcessorSettings } from '../src/config/settings-schema.js';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * Classes of src/ that extend `Error` and are no `ProsaError`, each with its reason.
 * `ThrownValue` stands for a value prosa did not make (what an adaptor threw) and carries
 * that value's own fields, its `kind` and `recoverable` included, so it has none of its own.
 */
const NOT_PROSA_ERRORS: Readonly<Record<string, string>> = { ThrownValue: 'a foreign thrown value, described' };

/** Every class declared in src/: its name, the class it extends (if any) and its file. */
function classesOfSrc(): { name: string; base: string | undefined; file: string }[] {
  const out: { name: string; base: string | undefined; file: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
        const visit = (node: ts.Node) => {
          if (ts.isClassDeclaration(node) && node.name !== undefined) {
            const heritage = node.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
            const base = heritage?.types[0]?.expression.getText(source);
            out.push({ name: node.name.text, base, file: relative(SRC, path) });
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
    }
  };
  walk(SRC);
  return out;
}

describe('every error class of src', () => {
  it('extends ProsaError, but for the foreign thrown value', () => {
    const classes = classesOfSrc();
    const baseOf = new Map(classes.map((c) => [c.name, c.base]));
    const reachesProsaError = (name: string): boolean => {
      for (let at: string | undefined = name, steps = 0; at !== undefined && steps < 10; at = baseOf.get(at), steps++) {
        if (at === 'ProsaError') return true;
      }
      return false;
    };
    const errors = classes.filter((c) => c.name !== 'ProsaError' && (/Error$/.test(c.name) || /Error$/.test(c.base ?? '')));
    expect(errors.length).toBeGreaterThanOrEqual(11);
    const strays = errors
      .filter((c) => !(c.name in NOT_PROSA_ERRORS) && !reachesProsaError(c.name))
      .map((c) => `${c.file}: ${c.name} extends ${c.base}`);
    expect(strays).toEqual([]);
  });
});

const cause = new Error('underneath');
const entry = { name: 'gw', kind: 'http-server' } as ProcessorSettings;

/** One error of each class: what it is made of, and what its message must name. */
const ERRORS: readonly { error: ProsaError; name: string; kind: string; recoverable: boolean; names: string[] }[] = [
  { error: new ServiceError('timeout', 'PAY', 'gw', 'no reply', cause), name: 'ServiceError', kind: 'timeout', recoverable: true, names: ['PAY', 'gw'] },
  { error: new ProcessorError('lost the socket', { cause }), name: 'ProcessorError', kind: 'AdaptorFailed', recoverable: true, names: ['lost the socket'] },
  { error: new BusError('DuplicateProcessor', "a processor 'gw' is already on the bus"), name: 'BusError', kind: 'DuplicateProcessor', recoverable: false, names: ['gw'] },
  { error: new TvfError('SerializationError', 'at byte 6: bad field terminator', { offset: 6, cause }), name: 'TvfError', kind: 'SerializationError', recoverable: false, names: ['byte 6'] },
  {
    error: new SettingsError('InvalidSettings', 'demo.yaml', [settingsIssue('processors[1].settings.maxSpeed', 'a number', '"fast"', { line: 9, column: 32 })], cause),
    name: 'SettingsError',
    kind: 'InvalidSettings',
    recoverable: false,
    names: ['demo.yaml:9:32', 'processors[1].settings.maxSpeed'],
  },
  { error: new KindError('DuplicateKind', 'stub', "processor kind 'stub' is already registered"), name: 'KindError', kind: 'DuplicateKind', recoverable: false, names: ['stub'] },
  { error: new DirectiveError('Timeout', 'no value within 5 ms', { directive: 'LookupService{"service":"ECHO"}', cause }), name: 'DirectiveError', kind: 'Timeout', recoverable: true, names: ['LookupService', 'ECHO'] },
  { error: new DirectiveError('Released', 'the reference was released'), name: 'DirectiveError', kind: 'Released', recoverable: false, names: ['released'] },
  { error: new LoadProcessorError('BuildFailed', entry, 'the factory threw', cause), name: 'LoadProcessorError', kind: 'BuildFailed', recoverable: true, names: ['gw', 'http-server'] },
  { error: new BodyError('json', 'JSON body: not valid JSON at byte 3', 3, cause), name: 'BodyError', kind: 'MalformedBody', recoverable: false, names: ['JSON', 'byte 3'] },
  { error: new InjectedError('ECHO', 0.5), name: 'InjectedError', kind: 'InjectedError', recoverable: true, names: ['ECHO'] },
  { error: new TransportError('ConnectFailed', 'nats', 'no server at nats://127.0.0.1:1', cause), name: 'TransportError', kind: 'ConnectFailed', recoverable: true, names: ['nats', '127.0.0.1:1'] },
  { error: new TransportError('InvalidSettings', 'nats', 'servers: expected a list'), name: 'TransportError', kind: 'InvalidSettings', recoverable: false, names: ['nats', 'servers'] },
];

describe('ProsaError: kind, recoverable, cause', () => {
  it.each(ERRORS.map((e) => [`${e.name} ${e.kind}`, e] as const))('%s', (_, { error, name, kind, recoverable, names }) => {
    expect(error).toBeInstanceOf(ProsaError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.kind).toBe(kind);
    expect(error.recoverable).toBe(recoverable);
    for (const part of names) expect(error.message).toContain(part);
  });

  it('keeps the cause it is given, and has no cause property without one', () => {
    for (const { error } of ERRORS) {
      if ('cause' in error) expect(error.cause).toBe(cause);
    }
    expect(ERRORS.filter(({ error }) => 'cause' in error)).toHaveLength(ERRORS.filter(({ error }) => error.cause !== undefined).length);
    expect('cause' in new KindError('DuplicateKind', 'stub', 'taken')).toBe(false);
    expect('cause' in new TvfError('FieldNotFound', 'field 3 is not in the record', { id: 3 })).toBe(false);
    expect(new TvfError('FieldNotFound', 'x', { cause }).cause).toBe(cause);
    expect(new SettingsError('UnreadableSettings', 'a.yaml', [], cause).cause).toBe(cause);
  });

  it('is still told apart by instanceof, and TvfError.is runs no code of the value', () => {
    const tvf = new TvfError('TypeMismatch', 'field 1 is not a number', { id: 1 });
    expect(TvfError.is(tvf)).toBe(true);
    expect(TvfError.is(new BodyError('tvf', 'TVF body: bad', undefined))).toBe(false);
    expect(tvf).not.toBeInstanceOf(SettingsError);
    const trap = new Proxy({}, { getPrototypeOf: () => { throw new Error('trap ran'); }, has: () => { throw new Error('trap ran'); } });
    expect(TvfError.is(trap)).toBe(false);
  });
});

/** The service-error kinds a text names in backquotes, in the order it names them. */
function kindsNamedIn(text: string): string[] {
  return [...text.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((word) => isServiceErrorKind(word));
}

/** The first paragraph (lines up to a blank one) of `file` holding `anchor`, or only its line holding it. */
function textOf(file: string, anchor: string, unit: 'paragraph' | 'line'): string {
  const paragraph = readFileSync(join(ROOT, file), 'utf8')
    .split(/\n\s*\n/)
    .find((p) => p.includes(anchor));
  if (paragraph === undefined) throw new Error(`${file}: nothing holds '${anchor}'`);
  return unit === 'paragraph' ? paragraph : paragraph.split('\n').find((l) => l.includes(anchor))!;
}

describe('every list of the service-error kinds derives from SERVICE_ERROR_KINDS', () => {
  it('in code: request outcomes (metrics labels) and the HTTP status map', () => {
    expect(OUTCOMES).toEqual(['response', ...SERVICE_ERROR_KINDS]);
    expect(Object.keys(SERVICE_ERROR_STATUS)).toEqual([...SERVICE_ERROR_KINDS]);
  });

  it.each<[string, string, 'paragraph' | 'line']>([
    ['README.md', 'Every request ends in exactly one response', 'paragraph'],
    ['docs/http.md', '| outcome of the bus request | HTTP answer |', 'paragraph'],
    ['docs/cli.md', 'errors by kind:', 'line'],
    ['docs/observability.md', '`prosa_requests_total` | counter', 'line'],
    ['docs/settings.md', 'counted by kind (', 'paragraph'],
  ])('in %s (%s), every kind in the order of the list', (file, anchor, unit) => {
    expect(kindsNamedIn(textOf(file, anchor, unit)).slice(0, SERVICE_ERROR_KINDS.length)).toEqual([...SERVICE_ERROR_KINDS]);
  });
});
