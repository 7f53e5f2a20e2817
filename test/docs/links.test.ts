/**
 * The repository stands on its own: every relative link of README.md and docs/*.md leads
 * to a file of the repository (and, with a `#anchor`, to a heading of that file), and the
 * settings files the docs run are the ones in examples/ and are valid.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(ROOT, 'docs', name))];

/** The text of a markdown file outside its fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The link targets of a markdown file: `[text](target)`, without a title. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings, a repeated one numbered as GitHub does (`-1`, `-2`). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Why the link `target` of `file` is broken, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: and the like
  const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
  const inside = relative(ROOT, resolved);
  if (inside.startsWith('..')) return `leads outside the repository (${inside})`;
  if (!existsSync(resolved)) return `no file ${inside}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return `#${anchor} on ${inside}, which is not a markdown file`;
  return anchorsOf(readFileSync(resolved, 'utf8')).has(anchor) ? undefined : `no heading #${anchor} in ${inside}`;
}

describe('documentation links', () => {
  it('finds the links it checks, anchors included', () => {
    const all = DOCS.flatMap((file) => linksOf(readFileSync(file, 'utf8')));
    expect(all).toContain('docs/architecture.md');
    expect(all.some((target) => target.includes('#'))).toBe(true);
  });

  it('reads links and anchors as GitHub does', () => {
    expect(linksOf('see [a](b.md#c) and `[x](nowhere.md)`\n```\n[y](gone.md)\n```\n[d](e.md "title")')).toEqual(['b.md#c', 'e.md']);
    expect([...anchorsOf('# The hot path\n## `prosa run [file]`\n## Step 1: a, b\n## Step 1: a, b\n```\n# not a heading\n```')]).toEqual([
      'the-hot-path',
      'prosa-run-file',
      'step-1-a-b',
      'step-1-a-b-1',
    ]);
    expect(brokenLink(join(ROOT, 'README.md'), '../shared/DESIGN.md')).toBe('leads outside the repository (../shared/DESIGN.md)');
    expect(brokenLink(join(ROOT, 'README.md'), 'docs/nowhere.md')).toBe('no file docs/nowhere.md');
    expect(brokenLink(join(ROOT, 'README.md'), 'docs/bus.md#no-such-heading')).toBe('no heading #no-such-heading in docs/bus.md');
  });

  it('every relative link of README.md and docs/*.md resolves, to a file and a heading', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const target of linksOf(readFileSync(file, 'utf8'))) {
        const why = brokenLink(file, target);
        if (why !== undefined) broken.push(`${relative(ROOT, file)}: (${target}) ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('examples', () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((name) => /\.ya?ml$/.test(name));

  it('the settings files the docs run exist in examples/', () => {
    const named = new Set<string>();
    for (const file of DOCS) for (const match of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])(examples\/[\w/.-]+\.ya?ml)/g)) named.add(match[1]!);
    expect([...named]).toContain('examples/demo.yaml');
    expect([...named].filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it.each(examples)('examples/%s is valid settings', async (name) => {
    await expect(loadSettings(join(ROOT, 'examples', name), { kinds: defaultKinds(), env: {} })).resolves.toMatchObject({ name: expect.any(String) });
  });

  it("README's settings file is examples/demo.yaml", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /## Settings file[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    const demo = readFileSync(join(ROOT, 'examples/demo.yaml'), 'utf8').replace(/^#.*\n/gm, '');
    expect(block).toBe(demo);
  });
});

describe('imports the docs show', () => {
  /** The module of each entry of the package, as `exports` in package.json names it. */
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { import: string } | string> };
  const modules = new Map(
    Object.entries(manifest.exports)
      .filter((entry): entry is [string, { import: string }] => typeof entry[1] === 'object')
      .map(([key, target]) => [key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`, join(ROOT, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'))]),
  );

  it('every value a code block of README.md or docs/*.md imports from a prosa entry is exported by that entry', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const file of DOCS) {
      const markdown = readFileSync(file, 'utf8');
      for (const block of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
        for (const [, names, specifier] of block[1]!.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(prosa(?:\/[\w-]+)?)'/g)) {
          const module = modules.get(specifier!);
          if (module === undefined) {
            wrong.push(`${relative(ROOT, file)}: '${specifier}' is no entry of the package`);
            continue;
          }
          const exported = (await import(module)) as Record<string, unknown>;
          for (const name of names!.split(',').map((part) => part.trim()).filter((part) => part !== '' && !part.startsWith('type '))) {
            checked++;
            if (!(name in exported)) wrong.push(`${relative(ROOT, file)}: ${name} is not exported by '${specifier}'`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  });
});
