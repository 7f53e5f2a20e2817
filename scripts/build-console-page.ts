/**
 * Builds the console page: bundles src/console/ui (the page's code, cytoscape with ELK
 * for the graphs, uPlot for the charts) with esbuild into one script and one stylesheet,
 * next to its index.html, in the folder the console serves. So the page needs nothing
 * from the network, and an installed package needs none of those libraries.
 *
 *   tsx scripts/build-console-page.ts [outDir]    # default src/console/page (from source)
 *
 * `npm run build` writes dist/console/page; the tests build src/console/page.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const UI = join(ROOT, 'src/console/ui');

/** Where the page is built for runs from source: the `page` folder the console serves by default from src/console. */
export const SOURCE_PAGE_DIR = join(ROOT, 'src/console/page');

/** Builds the page into `outDir` (emptied first): index.html, console.js, console.css and the bundled libraries' licences. */
export async function buildConsolePage(outDir: string = SOURCE_PAGE_DIR): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { console: join(UI, 'main.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    tsconfig: join(UI, 'tsconfig.json'),
  });
  await copyFile(join(UI, 'index.html'), join(outDir, 'index.html'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await buildConsolePage(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
}
