import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { main } from '../../src/cli/program.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCommand } from '../../src/cli/run.js';
import { DEFAULT_SETTINGS_YAML } from '../../src/cli/default-settings.js';
import type { RunSummary } from '../../src/cli/summary.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';
import { captureIo } from './io.js';

/** Waits until the captured stderr has a JSON log line whose msg matches `pattern`; returns the match. */
async function logged(io: ReturnType<typeof captureIo>, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let i = 0; i < 300; i++) {
    for (const line of io.stderr.text.split('\n')) {
      if (!line.startsWith('{')) continue;
      const match = pattern.exec((JSON.parse(line) as { msg?: string }).msg ?? '');
      if (match !== null) return match;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line matches ${pattern}:\n${io.stderr.text}`);
}

describe('prosa run: metrics and inspector', () => {
  it('serves /metrics and /health while it runs, and shows the lifecycles to an inspector', async () => {
    const io = captureIo({ PROSA__LOG__LEVEL: 'info' });
    const run = runCommand({ durationS: 1.5, json: true, status: false, observability: { metricsPort: 0, inspect: 0 } }, io);
    const [, metricsUrl] = await logged(io, /^metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    const [, pageUrl] = await logged(io, /^Stately inspector: open (http:\/\/127\.0\.0\.1:\d+\/)$/);
    const watcher = new WebSocket(pageUrl!.replace('http://', 'ws://'));
    const actors: string[] = [];
    watcher.on('message', (data) => {
      const event = JSON.parse(data.toString()) as { type: string; name?: string };
      if (event.type === '@xstate.actor') actors.push(event.name!);
    });
    await new Promise((resolve) => watcher.once('open', resolve));

    const responses = async () => {
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      return sampleValue(parsePrometheus(text), 'prosa_requests_total', { service: 'ECHO', outcome: 'response' }) ?? 0;
    };
    const first = await responses();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await responses();
    expect(second).toBeGreaterThan(first);
    expect((await fetch(`${metricsUrl}/health`)).status).toBe(200);

    expect(await run).toBe(ExitCode.Ok);
    const summary = JSON.parse(io.stdout.text) as RunSummary;
    expect(summary.responses).toBeGreaterThanOrEqual(second);
    expect(actors).toEqual(expect.arrayContaining(['main:prosa-demo', 'stub-1', 'inj-1']));
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
    watcher.close();
  });

  it('masks the sensitive fields the settings declare in every log line, even at trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prosa-obs-'));
    const file = join(dir, 'masked.yaml');
    writeFileSync(file, `${DEFAULT_SETTINGS_YAML}services:\n  ECHO: { sensitive: [1] }\n`);
    const io = captureIo({ PROSA__LOG__LEVEL: 'trace' });
    try {
      expect(await runCommand({ file, durationS: 0.5, status: false }, io)).toBe(ExitCode.Ok);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(io.stderr.text).not.toContain('hello, prosa');
    expect(io.stderr.text).toContain(`"payload":"{1: \\"${'*'.repeat('hello, prosa'.length)}\\", 2: 42}"`);
  });

  it('exits 1 naming the port when the metrics port is taken', async () => {
    const first = captureIo({ PROSA__LOG__LEVEL: 'info' });
    const running = runCommand({ durationS: 1, status: false, observability: { metricsPort: 0 } }, first);
    const [, port] = await logged(first, /^metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
    const second = captureIo({ PROSA__LOG__LEVEL: 'silent' });
    expect(await runCommand({ durationS: 1, status: false, observability: { metricsPort: Number(port) } }, second)).toBe(ExitCode.Failed);
    expect(second.stderr.text).toMatch(/^prosa: cannot serve metrics: listen EADDRINUSE.*:\d+\n$/);
    expect(await running).toBe(ExitCode.Ok);
  });

  it('documents --metrics-port and --inspect, and refuses a bad port', async () => {
    const help = captureIo();
    await main(['node', 'prosa', 'run', '--help'], help);
    for (const option of ['--metrics-port <port>', '--inspect [port]', '--inspect-requests']) expect(help.stdout.text).toContain(option);
    const bad = captureIo();
    expect(await main(['node', 'prosa', 'run', '--inspect', 'settings.yaml'], bad)).toBe(ExitCode.Usage);
    expect(bad.stderr.text).toContain('a settings file goes before --inspect');
    expect(await main(['node', 'prosa', 'run', '--metrics-port', '99999'], captureIo())).toBe(ExitCode.Usage);
  });
});
