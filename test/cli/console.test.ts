import { describe, expect, it } from 'vitest';
import { callCommand, statusCommand, type StatusReport } from '../../src/cli/console-client.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { consoleOptionsOf } from '../../src/cli/run.js';
import { validateSettings } from '../../src/config/index.js';
import { testKinds, testSettings, TOKEN, useConsole } from '../console/support.js';
import { start } from './command.js';
import { captureIo } from './io.js';

const run = useConsole();
const running = (console: Record<string, unknown> = {}) => run.start(console);

const withToken = { PROSA_CONSOLE_TOKEN: TOKEN };

describe('prosa status', () => {
  it('prints the processors and services of a running instance, as text or JSON', async () => {
    const url = await running();
    const io = captureIo(withToken);
    expect(await statusCommand({ url }, io)).toBe(ExitCode.Ok);
    expect(io.stdout.text).toMatch(/^instance console-test: running/);
    expect(io.stdout.text).toMatch(/stub-1\s+stub\s+serving\s+restarts 0\s+threads 0\s+ECHO/);
    expect(io.stdout.text).toMatch(/FLAKY\s+provided\s+flaky-1/);
    const json = captureIo(withToken);
    expect(await statusCommand({ url, json: true }, json)).toBe(ExitCode.Ok);
    const report = JSON.parse(json.stdout.text) as StatusReport;
    expect(report.processors.map((p) => p.name)).toEqual(['stub-1', 'flaky-1']);
    expect(report.services.map((s) => s.name)).toEqual(['ECHO', 'FLAKY']);
    expect(json.stdout.text).not.toContain(TOKEN);
  });

  it('says in one line, without a stack, that no console answers, or that the token is missing', async () => {
    const url = await running();
    const noToken = captureIo();
    expect(await statusCommand({ url }, noToken)).toBe(ExitCode.Failed);
    expect(noToken.stderr.text).toMatch(/^prosa status: unauthorized: send Authorization/);
    await run.served!.close();
    const gone = captureIo(withToken);
    expect(await statusCommand({ url }, gone)).toBe(ExitCode.Failed);
    expect(gone.stderr.text).toMatch(/^prosa status: unreachable: no console answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(gone.stderr.text.trim().split('\n')).toHaveLength(1);
    const json = captureIo(withToken);
    expect(await statusCommand({ url, json: true }, json)).toBe(ExitCode.Failed);
    expect(JSON.parse(json.stdout.text)).toMatchObject({ ok: false, error: { kind: 'unreachable' } });
    const bad = captureIo();
    expect(await statusCommand({ url: 'ftp://x' }, bad)).toBe(ExitCode.Usage);
    expect(bad.stderr.text).toContain('--url takes an http URL');
  });
});

describe('prosa call', () => {
  it('sends a JSON or TVF payload and prints the masked reply', async () => {
    const url = await running({ enableCall: true });
    const io = captureIo(withToken);
    expect(await callCommand('ECHO', '{"text":"hi","pin":"1234"}', { url }, io)).toBe(ExitCode.Ok);
    expect(JSON.parse(io.stdout.text)).toEqual({ text: 'hi', pin: '****' });
    const tvf = captureIo(withToken);
    expect(await callCommand('ECHO', '1;2;hi;', { url, json: true }, tvf)).toBe(ExitCode.Ok);
    expect(JSON.parse(tvf.stdout.text)).toMatchObject({ ok: true, service: 'ECHO', reply: { tvf: '1;2;hi;', json: { text: 'hi' } } });
  });

  it('prints the error kind of a failed call, and exits 1', async () => {
    const url = await running({ enableCall: true });
    const missing = captureIo(withToken);
    expect(await callCommand('NOPE', '1;2;hi;', { url }, missing)).toBe(ExitCode.Failed);
    expect(missing.stderr.text).toMatch(/^prosa call: unreachable: /);
    const bad = captureIo(withToken);
    expect(await callCommand('ECHO', '{"text":', { url, json: true }, bad)).toBe(ExitCode.Failed);
    expect(JSON.parse(bad.stdout.text)).toMatchObject({ ok: false, error: { kind: 'malformedBody' } });
  });

  it('says a console without enableCall refuses', async () => {
    const url = await running();
    const io = captureIo(withToken);
    expect(await callCommand('ECHO', '1;2;hi;', { url }, io)).toBe(ExitCode.Failed);
    expect(io.stderr.text).toMatch(/^prosa call: disabled: calls are off: set console.enableCall: true/);
  });
});

describe('prosa run --console', () => {
  it('serves the console with the settings section, the flag turning it on and its port winning', () => {
    const kinds = testKinds();
    const withSection = validateSettings(testSettings({ port: 9100 }), { kinds, env: {} });
    expect(consoleOptionsOf(withSection, undefined)).toMatchObject({ port: 9100, token: TOKEN });
    expect(consoleOptionsOf(withSection, 9200)).toMatchObject({ port: 9200, token: TOKEN });
    const off = validateSettings(testSettings({ enabled: false }), { kinds, env: {} });
    expect(consoleOptionsOf(off, undefined)).toBeUndefined();
    expect(consoleOptionsOf(off, true)).toMatchObject({ port: 0 });
    const { console: _console, ...bare } = testSettings();
    const none = validateSettings(bare, { kinds, env: {} });
    expect(consoleOptionsOf(none, undefined)).toBeUndefined();
    expect(consoleOptionsOf(none, true)).toEqual({});
  });

  it('runs an instance whose console prosa status reads', async () => {
    const run = start(['run', '--console', '0', '--no-status', '--duration', '30']);
    const pattern = /console on (http:\/\/127\.0\.0\.1:\d+\/)/;
    try {
      await run.waitForStderr(pattern);
      const url = pattern.exec(run.stderrText())![1]!;
      const io = captureIo();
      expect(await statusCommand({ url }, io)).toBe(ExitCode.Ok);
      expect(io.stdout.text).toMatch(/^instance prosa-demo: running/);
      expect(io.stdout.text).toMatch(/inj-1\s+inj\s+serving/);
    } finally {
      run.child.kill('SIGINT');
    }
    expect((await run.finished).code).toBe(ExitCode.Ok);
  });
});
