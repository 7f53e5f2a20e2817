/**
 * The layering of src/: every import goes to the same folder or to a lower layer, and no
 * modules import each other in a cycle. The layer order is {@link LAYERS}, the one copy
 * of it; docs/architecture.md shows it and is checked against it. Imports are read with
 * the TypeScript parser: static imports and re-exports, `import type` included (a type
 * is a dependency on the layer that defines it), and dynamic `import()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * The layers of src/, lowest first: a folder may import its own modules and those of a
 * lower layer, never one of a higher layer nor a peer of its own layer. `index` is
 * src/index.ts, the package root entry, and `testing` src/testing.ts, the `prosa/testing` entry.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['tvf'],
  ['machines'],
  ['actors'],
  ['observability', 'directives'],
  ['config'],
  ['threads'],
  ['instance'],
  ['processors', 'transport'],
  ['console'],
  ['cli'],
  ['index', 'testing'],
];

/** The layer order as the docs write it: `tvf <- machines <- ... <- processors/transport <- cli <- index`. */
function layerLine(layers: readonly (readonly string[])[]): string {
  return layers.map((peers) => peers.join('/')).join(' <- ');
}

/** One import of one module. */
interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at build, so it makes no load-order cycle. */
  typeOnly: boolean;
}

/** Every relative import of every module under `dir`, as paths relative to the repository. */
function importsOf(dir: string): { modules: string[]; edges: Edge[] } {
  const modules: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) modules.push(path);
    }
  };
  walk(dir);
  const edges: Edge[] = [];
  for (const file of modules) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
      if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
      const target = resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'));
      edges.push({ from: relative(ROOT, file), to: relative(ROOT, target), typeOnly });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node.importClause?.isTypeOnly === true);
      else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
      else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { modules: modules.map((file) => relative(ROOT, file)), edges };
}

/** The layer name of a module: its folder under src/, or `index` for src/index.ts. */
function folderOf(module: string): string {
  const parts = module.split('/');
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

/** Imports that go up, sideways to a peer, or from or to a folder with no layer; one line each. */
function layerViolations(edges: readonly Edge[], layers: readonly (readonly string[])[]): string[] {
  const rank = new Map<string, number>();
  layers.forEach((peers, index) => peers.forEach((folder) => rank.set(folder, index)));
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra === undefined || rb === undefined) out.push(`${from} -> ${to}: folder '${ra === undefined ? a : b}' has no layer`);
    else if (rb > ra) out.push(`${from} -> ${to}: ${a} imports the higher layer ${b}`);
    else if (rb === ra) out.push(`${from} -> ${to}: ${a} imports its peer ${b}`);
  }
  return out;
}

/** The import cycles among `modules` (strongly connected components of more than one module, or a self-import). */
function importCycles(modules: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(modules.map((module) => [module, []]));
  for (const { from, to } of edges) next.get(from)?.push(to);
  // Tarjan's algorithm, iterative: no recursion depth to worry about.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  for (const start of modules) {
    if (index.has(start)) continue;
    const work: { node: string; child: number }[] = [{ node: start, child: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const children = next.get(frame.node) ?? [];
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!next.has(child)) continue;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || children.includes(frame.node)) cycles.push(component.sort());
    }
  }
  return cycles;
}

describe('the layering of src/', () => {
  const { modules, edges } = importsOf(SRC);

  it('reads the imports of every module', () => {
    expect(modules.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(modules.length);
    // Every folder of src/ has a layer.
    const folders = new Set(modules.map(folderOf));
    expect([...folders].filter((folder) => !LAYERS.flat().includes(folder))).toEqual([]);
  });

  it('has no import that goes up or to a peer layer', () => {
    expect(layerViolations(edges, LAYERS)).toEqual([]);
  });

  it('has no import cycle among its modules (type-only imports are erased, so they cannot make one)', () => {
    expect(importCycles(modules, edges.filter((edge) => !edge.typeOnly))).toEqual([]);
  });

  it('is the order docs/architecture.md shows', () => {
    expect(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8')).toContain(layerLine(LAYERS));
  });
});

describe('the layering checks themselves', () => {
  const edge = (from: string, to: string, typeOnly = false): Edge => ({ from: `src/${from}`, to: `src/${to}`, typeOnly });

  it('list every import that goes up, to a peer or to a folder with no layer', () => {
    const layers = [['low'], ['left', 'right'], ['high']];
    expect(
      layerViolations(
        [
          edge('high/a.ts', 'low/b.ts'),
          edge('left/a.ts', 'left/b.ts'),
          edge('low/b.ts', 'high/a.ts', true),
          edge('left/a.ts', 'right/c.ts'),
          edge('high/a.ts', 'stray/d.ts'),
          edge('index.ts', 'low/b.ts'),
        ],
        layers,
      ),
    ).toEqual([
      'src/low/b.ts -> src/high/a.ts: low imports the higher layer high',
      'src/left/a.ts -> src/right/c.ts: left imports its peer right',
      "src/high/a.ts -> src/stray/d.ts: folder 'stray' has no layer",
      "src/index.ts -> src/low/b.ts: folder 'index' has no layer",
    ]);
  });

  it('find every cycle, and only cycles', () => {
    const modules = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => `src/x/${name}.ts`);
    const x = (from: string, to: string) => edge(`x/${from}.ts`, `x/${to}.ts`);
    expect(importCycles(modules, [x('a', 'b'), x('b', 'c'), x('c', 'a'), x('c', 'd'), x('e', 'e'), x('d', 'f')])).toEqual([
      ['src/x/a.ts', 'src/x/b.ts', 'src/x/c.ts'],
      ['src/x/e.ts'],
    ]);
    expect(importCycles(modules, [x('a', 'b'), x('b', 'c'), x('a', 'c')])).toEqual([]);
  });

  it('writes the order as the docs do', () => {
    expect(layerLine([['tvf'], ['config', 'directives'], ['cli']])).toBe('tvf <- config/directives <- cli');
  });
});
