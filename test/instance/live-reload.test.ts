import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import {
  buildInstance,
  liveReload,
  type Instance,
  type LiveReload,
  type ReloadOutcome,
} from '../../src/instance/index.js';
import { SimpleStringTvf } from '../../src/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { tempDir } from '../fixtures/settings.js';
import { silentLogger } from '../support/bus.js';

const kinds = defaultKinds();

function yaml(processors: string[]): string {
  return ['name: live', 'shutdown: { graceMs: 200, terminateTimeoutMs: 100 }', 'processors:', ...processors].join('\n') + '\n';
}
const KEEP = '  - { name: keep, kind: stub, settings: { services: [KEEP], latencyMs: 1, jitterMs: 3 } }';
const OTHER = '  - { name: other, kind: stub, settings: { services: [OTHER] } }';
const OTHER_CHANGED = '  - { name: other, kind: stub, settings: { services: [OTHER], latencyMs: 2 } }';

let dir: ReturnType<typeof tempDir> | undefined;
let instance: Instance | undefined;
let reloader: LiveReload | undefined;
afterEach(async () => {
  reloader?.close();
  await instance?.stop();
  dir?.remove();
  dir = instance = reloader = undefined;
});

/** Builds an instance from a settings file and reloads it on change; outcomes arrive on `next()`. */
async function start(text: string, logger = silentLogger(), debounceMs = 20) {
  dir = tempDir();
  const file = dir.write('live.yaml', text);
  instance = buildInstance(await loadSettings(file, { kinds, env: {} }), { kinds, logger });
  await instance.start();
  const outcomes: ReloadOutcome[] = [];
  const waiters: ((outcome: ReloadOutcome) => void)[] = [];
  reloader = liveReload(instance, {
    file,
    kinds,
    env: {},
    debounceMs,
    onReload: (outcome) => {
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(outcome);
      else outcomes.push(outcome);
    },
  });
  const next = () =>
    outcomes.length > 0 ? Promise.resolve(outcomes.shift()!) : new Promise<ReloadOutcome>((resolve) => waiters.push(resolve));
  return { file, next, instance, pending: () => outcomes.length };
}

describe('live reload', () => {
  it('adds, changes and removes a processor on file change with zero failed requests to an untouched one', async () => {
    const { file, next, instance } = await start(yaml([KEEP]));
    const keep = instance.prosa.get('keep')!;
    let ok = 0;
    const failures: unknown[] = [];
    let running = true;
    const deadline = Date.now() + 20_000;
    const loop = async () => {
      while (running && Date.now() < deadline && ok + failures.length < 1_000_000) {
        try {
          await instance.prosa.request('KEEP', new SimpleStringTvf(), { timeoutMs: 1_000 });
          ok++;
        } catch (error) {
          failures.push(error);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    const phase = async (text: string, expected: Partial<Record<'started' | 'replaced' | 'stopped', string[]>>, replace = false) => {
      const before = ok;
      if (replace) {
        // as editors do: write a new file, then rename it over the old one
        writeFileSync(join(dir!.dir, '.live.yaml.swp'), text);
        renameSync(join(dir!.dir, '.live.yaml.swp'), file);
      } else {
        writeFileSync(file, text);
      }
      const outcome = await next();
      expect(outcome.status).toBe('applied');
      if (outcome.status === 'applied') {
        expect(outcome.trigger).toBe('watch');
        expect(outcome.report).toMatchObject({ started: [], replaced: [], stopped: [], unchanged: ['keep'], failed: [], ...expected });
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(ok).toBeGreaterThan(before);
    };
    await phase(yaml([KEEP, OTHER]), { started: ['other'] });
    expect(instance.prosa.get('other')!.state).toBe('serving');
    await phase(yaml([KEEP, OTHER_CHANGED]), { replaced: ['other'] }, true);
    await phase(yaml([KEEP]), { stopped: ['other'] });
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(instance.prosa.get('keep')).toBe(keep);
    expect(keep.state).toBe('serving');
    expect(instance.prosa.get('other')).toBeUndefined();
    expect(instance.prosa.stats().errors).toMatchObject({ unreachable: 0, shutdown: 0, timeout: 0 });
  });

  it('refuses an invalid file with every issue, keeps running unchanged, then takes a valid one', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { file, next, instance } = await start(yaml([KEEP]), pino({ level: 'info' }, sink));
    writeFileSync(
      file,
      yaml([KEEP, '  - { name: bad, kind: nope }', '  - { name: worse, kind: stub, settings: { services: [] } }']),
    );
    const refused = await next();
    expect(refused.status).toBe('refused');
    if (refused.status === 'refused') {
      expect(refused.error.issues.map((issue) => issue.path)).toEqual(['processors[1].kind', 'processors[2].settings.services']);
    }
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; issues?: unknown[] }).find((l) => l.level === 50)!;
    expect(logged.issues).toHaveLength(2);
    expect(logged.msg).toContain('processors[1].kind');
    expect(logged.msg).toContain('processors[2].settings.services');
    expect(instance.prosa.processors().map((p) => p.name)).toEqual(['keep']);
    expect(instance.settings.processors.map((p) => p.name)).toEqual(['keep']);
    writeFileSync(file, yaml([KEEP, OTHER]));
    const applied = await next();
    expect(applied.status).toBe('applied');
    const summary = lines.map((line) => JSON.parse(line) as { msg: string; started?: string[] }).find((l) => l.msg.startsWith('settings applied'));
    expect(summary).toMatchObject({ started: ['other'] });
    expect(summary!.msg).toBe('settings applied: 1 started, 0 stopped, 0 replaced, 1 unchanged');
  });

  it('reloads on SIGHUP, and reports a file that did not change as unchanged', async () => {
    const { file, next } = await start(yaml([KEEP]));
    writeFileSync(file, yaml([KEEP, OTHER]));
    await next();
    writeFileSync(file, yaml([KEEP]));
    reloader!.close(); // no watching now: only the signal reloads
    const outcome = new Promise<ReloadOutcome>((resolve) => {
      reloader = liveReload(instance!, { file, kinds, env: {}, watch: false, onReload: resolve });
    });
    process.emit('SIGHUP', 'SIGHUP');
    expect(await outcome).toMatchObject({ status: 'applied', trigger: 'sighup', report: { stopped: ['other'] } });
    expect(await reloader!.reload()).toEqual({ status: 'unchanged', trigger: 'call' });
  });

  it('debounces a burst of writes into one reload', async () => {
    // A window far wider than the gaps between writes, so that the burst stays one burst
    // on a loaded machine too (with the usual 20 ms, a 2 ms pause can outlast it).
    const { file, next, pending } = await start(yaml([KEEP]), silentLogger(), 300);
    for (let i = 0; i < 5; i++) {
      writeFileSync(file, yaml([KEEP, OTHER]));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect((await next()).status).toBe('applied');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pending()).toBe(0);
  });

  it('joins asks made before a reload starts, and queues one more for asks made while it runs', async () => {
    const { file } = await start(yaml([KEEP]));
    const r = reloader!;
    r.close();
    writeFileSync(file, yaml([KEEP, OTHER]));
    const first = r.reload();
    expect(r.reload()).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    const second = r.reload();
    expect(second).not.toBe(first);
    expect(r.reload()).toBe(second);
    expect(await first).toMatchObject({ status: 'applied', report: { started: ['other'] } });
    expect(await second).toEqual({ status: 'unchanged', trigger: 'call' });
  });
});
