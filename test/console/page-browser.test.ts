/**
 * The console page in a real browser: Debian's headless Chromium, driven by
 * playwright-core, loads the page from a running `prosa run examples/console-demo.yaml
 * --console 0` (the page built by scripts/build-console-page.ts first), whose stub
 * `flaky` crashes on a schedule. The graph shows every processor in its color, the crash turns the stub red
 * then orange, the charts move, the lifecycle machine follows, the events filter, and the
 * page asks no other host for anything (every request is intercepted). Screenshots go to
 * test-artifacts/ (git-ignored).
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsolePage } from '../../scripts/build-console-page.js';
import { start, type Running } from '../cli/command.js';
import type { ConsoleProbe } from '../../src/console/ui/main.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = resolve(ROOT, 'test-artifacts');
/** The example a user runs to watch a crash live: a stub crashing every 2.5 s, restarted after 1 s. */
const SETTINGS = resolve(ROOT, 'examples/console-demo.yaml');
/** The console's token: a secret the page must never show. */
const TOKEN = 'browser-secret-5d1e8a0c42b7';

declare global {
  interface Window {
    prosaConsole?: ConsoleProbe;
  }
}

let run: Running | undefined;
let browser: Browser | undefined;
let page: Page;
let origin: string;
/** Every URL the page asked for, and those of another host (aborted). */
const requested: string[] = [];
const foreign: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test's pretest does)`);
  await Promise.all([buildConsolePage(), mkdir(ARTIFACTS, { recursive: true })]);
  run = start(['run', SETTINGS, '--console', '0', '--no-status', '--duration', '120'], { PROSA__CONSOLE__TOKEN: TOKEN });
  const pattern = /console on (http:\/\/127\.0\.0\.1:\d+)\//;
  await run.waitForStderr(pattern);
  origin = pattern.exec(run.stderrText())![1]!;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1050 } });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') pageErrors.push(`${message.type()}: ${message.text()}`);
  });
  // The token (set by the environment, as a deployment would) once in the URL: the console sets its cookie and sends the page to `/`.
  await page.goto(`${origin}/?token=${TOKEN}`);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (run !== undefined && run.child.exitCode === null) {
    run.child.kill('SIGINT');
    await run.finished;
  }
});

const colors = (p: Page) =>
  p.evaluate(() => Object.fromEntries((window.prosaConsole?.graphNodes() ?? []).filter((node) => node.kind !== 'instance').map((node) => [node.id, node.color])));

async function waitForColor(node: string, color: string, timeout = 8_000): Promise<void> {
  await page.waitForFunction(([id, wanted]) => window.prosaConsole?.graphNodes().some((n) => n.id === id && n.color === wanted) === true, [node, color] as const, { timeout, polling: 50 });
}

describe('console page in headless Chromium, from prosa run --console', () => {
  it('draws every processor and service in its color, a crash turns one red then orange, the charts move, and nothing comes from another host', async () => {
    expect(page.url()).toBe(`${origin}/`);
    await page.waitForFunction(() => (window.prosaConsole?.graphNodes().filter((node) => node.kind === 'processor').length ?? 0) === 3, undefined, { timeout: 8_000 });
    await page.waitForSelector('#connection[data-status="live"]');
    expect(await page.textContent('#instance-name')).toBe('console-demo');
    // Every processor serving, every service provided: green (the flaky one may be past its first crash already).
    const first = await colors(page);
    expect(first).toMatchObject({ 'processor:stub-1': 'green', 'processor:inj-1': 'green', 'service:ECHO': 'green' });
    expect(['green', 'red', 'orange']).toContain(first['processor:flaky']);
    expect(Object.keys(first).sort()).toEqual(['processor:flaky', 'processor:inj-1', 'processor:stub-1', 'service:ECHO', 'service:QUOTE']);
    // The table agrees with the graph.
    const rows = await page.$$eval('#processors tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset['name'], (tr as HTMLElement).dataset['color']]));
    expect(rows.map(([name]) => name)).toEqual(['stub-1', 'flaky', 'inj-1']);
    await page.screenshot({ path: resolve(ARTIFACTS, 'console-start.png'), fullPage: true });

    // The scheduled crash: red while crashed and restarting (its service grey, out of the table), then orange once it serves again.
    await waitForColor('processor:flaky', 'red');
    // The table is drawn from the same message as the graph.
    expect(await page.getAttribute('#processors tbody tr[data-name="flaky"]', 'data-color')).toBe('red');
    await waitForColor('service:QUOTE', 'grey');
    await page.screenshot({ path: resolve(ARTIFACTS, 'console-crashed.png'), fullPage: true });
    await waitForColor('processor:flaky', 'orange');
    await waitForColor('service:QUOTE', 'green');
    expect((await colors(page))['processor:stub-1']).toBe('green');

    // The charts move: new ticks come, with the injector's traffic in them.
    const before = await page.evaluate(() => window.prosaConsole!.figures());
    const chartBefore = await page.getAttribute('#chart-rps', 'data-last-at');
    await page.waitForFunction((at) => window.prosaConsole!.figures().lastAt !== at, before.lastAt, { timeout: 5_000 });
    await page.waitForFunction((at) => document.getElementById('chart-rps')?.dataset['lastAt'] !== at, chartBefore, { timeout: 5_000 });
    const after = await page.evaluate(() => window.prosaConsole!.figures());
    expect(after.ticks).toBeGreaterThanOrEqual(before.ticks);
    expect(after.lastPerSecond).toBeGreaterThan(0);
    expect(await page.$$('#chart-rps canvas')).not.toHaveLength(0);

    // The lifecycle machine of the processor chosen: its current state highlighted, its crash among its transitions, with the cause.
    await page.click('#processors tbody tr[data-name="flaky"]');
    await page.waitForFunction(() => window.prosaConsole!.machine().selected === 'flaky' && window.prosaConsole!.machine().current !== null);
    await page.waitForFunction(() => document.querySelector('#transitions')?.textContent?.includes('crashed on schedule') === true, undefined, { timeout: 8_000 });
    expect(await page.textContent('#selected-name')).toBe('flaky');

    // The events filter: words that must all appear.
    await page.fill('#event-text', 'flaky crashed');
    const filtered = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(filtered.length).toBeGreaterThan(0);
    for (const text of filtered) expect(text).toMatch(/flaky.*crashed/);
    await page.fill('#event-text', '');
    await page.selectOption('#event-type', 'main.state');
    const mainRows = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset['type']));
    expect(mainRows.length).toBeGreaterThan(0);
    expect(new Set(mainRows)).toEqual(new Set(['main.state']));
    await page.selectOption('#event-type', '');

    await page.screenshot({ path: resolve(ARTIFACTS, 'console.png'), fullPage: true });
    // Nothing from another host, no secret on the page, no script error.
    expect(foreign).toEqual([]);
    expect(requested.length).toBeGreaterThan(3);
    expect(await page.content()).not.toContain(TOKEN);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
