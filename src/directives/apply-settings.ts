/**
 * `ApplySettings { settings }`: the desired state of a whole instance (Controller Bus's
 * ConfigSet). Its resolver holds one `LoadProcessor` reference per declared processor
 * and forwards their values (the running processors). Applying changed settings adds the
 * new `ApplySettings` and then releases the old one: processors equal in both keep their
 * `LoadProcessor` instance (its reference count never reaches zero) and keep serving
 * untouched; the rest start, stop, or are replaced.
 */
import type { DirectiveShape, ResolverShape } from '../actors/adaptor.js';
import type { InstanceSettings, ProcessorSettings } from '../config/settings-schema.js';
import { defineDirective } from './directive.js';
import type { Directives } from './directives.js';
import { LoadProcessor, type LoadedProcessor } from './load-processor.js';
import type { DirectiveReference } from './reference.js';
import { callbackResolver } from './resolver.js';
import { stableKey } from './stable-key.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Parameters of {@link ApplySettings}. */
export interface ApplySettingsParams {
  /** The instance's validated settings; only `processors` matter to the directive. */
  settings: InstanceSettings;
}

/** The processors of an instance: one value per running processor, in the order they were built. */
export const ApplySettings = defineDirective<ApplySettingsParams, LoadedProcessor>({
  kind: 'ApplySettings',
  key: (params) => stableKey(params.settings.processors),
  // Named by the instance: the key is every processor's entry, settings and secrets included.
  label: (params) => (typeof params?.settings?.name === 'string' ? params.settings.name : ''),
  validate: (params) => {
    const names = new Set<string>();
    for (const entry of params.settings.processors) {
      if (names.has(entry.name)) throw new TypeError(`processor name '${entry.name}' is declared twice`);
      names.add(entry.name);
    }
  },
});

/**
 * The bus-level handler that resolves {@link ApplySettings} with `LoadProcessor`
 * directives on the same registry: register it with
 * `directives.handle('ApplySettings', applySettingsHandler(directives))`.
 */
export function applySettingsHandler(directives: Directives): (directive: DirectiveShape) => readonly ResolverShape[] | undefined {
  return (directive) => {
    if (!ApplySettings.is(directive)) return undefined;
    const entries = directive.params.settings.processors;
    const resolver = callbackResolver<LoadedProcessor>('processors', (handle) => {
      const refs: DirectiveReference<LoadedProcessor>[] = [];
      const forwarded = new Map<string, number>();
      // Settled references are counted as they flip, not rescanned on each flip: a rescan
      // per processor made building N processors cost N^2.
      const isSettled: boolean[] = [];
      let settledCount = 0;
      const setSettled = (index: number, settled: boolean) => {
        if (isSettled[index] === settled) return;
        isSettled[index] = settled;
        settledCount += settled ? 1 : -1;
      };
      const allSettled = () => refs.length === entries.length && settledCount === entries.length;
      entries.forEach((entry, index) => {
        isSettled.push(false);
        const ref = directives.add(LoadProcessor(entry));
        refs.push(ref);
        ref.subscribe({
          added: (value) => {
            const id = handle.add(value.value);
            if (id !== undefined) forwarded.set(`${index}:${value.id}`, id);
          },
          removed: (value) => {
            const id = forwarded.get(`${index}:${value.id}`);
            forwarded.delete(`${index}:${value.id}`);
            if (id !== undefined) handle.remove(id);
          },
          settled: (settled) => {
            setSettled(index, settled);
            handle.idle(allSettled());
          },
        });
        setSettled(index, ref.settled);
      });
      handle.idle(allSettled());
      return () => {
        for (const ref of refs) ref.release();
      };
    });
    return [resolver];
  };
}

/** What changed when settings were applied, by processor name (settings order; stopped ones in old order). */
export interface ApplyReport {
  /** Declared now, not before: built and started. */
  started: string[];
  /** Declared before, not now: quieted, drained and removed. */
  stopped: string[];
  /** Declared in both with a different entry (kind, settings, restart, queue, ...): the old one drained, a new one built. */
  replaced: string[];
  /** Declared in both with the same entry: never touched. */
  unchanged: string[];
  /** Processors that could not be built (they are retried with backoff), with the reason. */
  failed: { processor: string; error: string }[];
  /** Instance-level sections that changed but only take effect on a restart (`name`, `shutdown`, ...). */
  restartNeeded: string[];
}

/** Options of {@link LiveSettings.apply}. */
export interface ApplyOptions {
  /**
   * Longest wait for new processors to be built and settle their first start; past it
   * the report lists what has not as `failed`.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

/** The changes from `before` to `after`, by processor name; `failed` and `restartNeeded` are left empty. */
export function diffSettings(before: InstanceSettings, after: InstanceSettings): ApplyReport {
  const previous = new Map(before.processors.map((entry) => [entry.name, stableKey(entry)]));
  const report: ApplyReport = { started: [], stopped: [], replaced: [], unchanged: [], failed: [], restartNeeded: [] };
  const declared = new Set<string>();
  for (const entry of after.processors) {
    declared.add(entry.name);
    const key = previous.get(entry.name);
    if (key === undefined) report.started.push(entry.name);
    else if (key === stableKey(entry)) report.unchanged.push(entry.name);
    else report.replaced.push(entry.name);
  }
  for (const entry of before.processors) if (!declared.has(entry.name)) report.stopped.push(entry.name);
  const sections = new Set([...Object.keys(before), ...Object.keys(after)]);
  sections.delete('processors');
  for (const section of [...sections].sort()) {
    const a = (before as unknown as Record<string, unknown>)[section];
    const b = (after as unknown as Record<string, unknown>)[section];
    if (stableKey(a) !== stableKey(b)) report.restartNeeded.push(section);
  }
  return report;
}


/**
 * The settings an instance runs now, as one held `ApplySettings` reference; applies new
 * ones as a diff, one apply at a time. The registry must have the `LoadProcessor` and
 * `ApplySettings` handlers.
 */
export class LiveSettings {
  private readonly directives: Directives;
  private current: InstanceSettings;
  private ref: DirectiveReference<LoadedProcessor>;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The held reference's values by processor name, kept as values come and go (once the
   * bus stopped, the last set). Kept by name, not rebuilt from every value on each
   * change: that made building N processors cost N^2.
   */
  private byName = new Map<string, LoadedProcessor>();

  /** Adds the `ApplySettings` of `settings`: its processors are built at once (synchronously). */
  constructor(directives: Directives, settings: InstanceSettings) {
    this.directives = directives;
    this.current = settings;
    this.ref = directives.add(ApplySettings({ settings }));
    this.follow();
  }

  /** The settings applied last. */
  get settings(): InstanceSettings {
    return this.current;
  }

  /** The held `ApplySettings` reference: its values are the running processors. */
  get reference(): DirectiveReference<LoadedProcessor> {
    return this.ref;
  }

  /**
   * The loaded processors by name, in settings order (those not built yet are missing).
   * Once the bus stopped (the directives closed) it keeps the last set, final states and all.
   */
  processors(): Map<string, LoadedProcessor> {
    const out = new Map<string, LoadedProcessor>();
    for (const entry of this.current.processors) {
      const loaded = this.byName.get(entry.name);
      if (loaded !== undefined) out.set(entry.name, loaded);
    }
    return out;
  }

  /** Keeps {@link LiveSettings.processors} current with the held reference (a new one starts from its own values). */
  private follow(): void {
    const ref = this.ref;
    const byName = new Map<string, LoadedProcessor>();
    this.byName = byName;
    ref.subscribe({
      added: ({ value }) => {
        if (this.ref === ref) byName.set(value.processor.name, value);
      },
      removed: ({ value }) => {
        // A stopping bus closes the directives, which removes every value: keep the last set.
        if (this.ref !== ref || this.directives.closed) return;
        if (byName.get(value.processor.name) === value) byName.delete(value.processor.name);
      },
    });
  }

  /** Processors of the current settings whose build failed, with the reason (their resolvers retry). */
  failures(): { processor: string; error: string }[] {
    return this.current.processors.flatMap((entry) => this.failureOf(entry));
  }

  /** The errors of the current settings' `LoadProcessor`s, with their entries: what a build reports as settings issues. */
  buildErrors(): { index: number; entry: ProcessorSettings; error: unknown }[] {
    return this.current.processors.flatMap((entry, index) =>
      (this.directives.info(LoadProcessor(entry))?.errors ?? []).map((failure) => ({ index, entry, error: failure.error })),
    );
  }

  /**
   * Applies `next` as a diff against the settings applied last: new processors start,
   * removed ones are quieted, drained and stopped, changed ones replaced (the old one is
   * off the bus before the new one is built), untouched ones keep serving. Resolves once
   * that is done (new ones settled their first start when the bus runs) with what
   * changed. Applies run one at a time, in call order. `next` must be validated settings.
   */
  apply(next: InstanceSettings, options: ApplyOptions = {}): Promise<ApplyReport> {
    const run = this.queue.then(() => this.applyNow(next, options.timeoutMs ?? 30_000));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(next: InstanceSettings, timeoutMs: number): Promise<ApplyReport> {
    const report = diffSettings(this.current, next);
    const before = new Map(this.ref.values.map((loaded) => [loaded.processor.name, loaded.processor]));
    const prosa = this.directives.prosa;
    const nextRef = this.directives.add(ApplySettings({ settings: next }));
    const previousRef = this.ref;
    this.ref = nextRef;
    this.current = next;
    this.follow();
    previousRef.release();
    const deadline = Date.now() + timeoutMs;
    // Stopped and replaced processors leave the bus (drain bounded by the bus's grace period).
    await Promise.all(
      [...report.stopped, ...report.replaced].map((name) => {
        const old = before.get(name);
        if (old === undefined || prosa.get(name) !== old) return undefined;
        return new Promise<void>((resolve) => {
          const check = () => {
            if (prosa.get(name) === old) return;
            prosa.events.off('processor.removed', check);
            resolve();
          };
          prosa.events.on('processor.removed', check);
          check();
        });
      }),
    );
    try {
      await nextRef.collect({ timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch {
      // Reported below: whatever is not built by now is listed as failed.
    }
    const loaded = this.processors();
    if (prosa.state === 'running') {
      await Promise.all(
        [...report.started, ...report.replaced].map((name) =>
          loaded.get(name)?.processor.when('serving', 'crashed', 'failed', 'stopped').catch(() => undefined),
        ),
      );
    }
    for (const entry of next.processors) {
      const failure = this.failureOf(entry);
      if (failure.length > 0) report.failed.push(...failure);
      else if (!loaded.has(entry.name) && nextRef === this.ref) report.failed.push({ processor: entry.name, error: 'not built in time' });
    }
    this.directives.logger.info(
      {
        started: report.started,
        stopped: report.stopped,
        replaced: report.replaced,
        unchanged: report.unchanged.length,
        failed: report.failed,
        restartNeeded: report.restartNeeded,
      },
      `settings applied: ${report.started.length} started, ${report.stopped.length} stopped, ${report.replaced.length} replaced, ${report.unchanged.length} unchanged`,
    );
    return report;
  }

  /** The failures of one entry's `LoadProcessor`, if its instance lives. */
  private failureOf(entry: ProcessorSettings): { processor: string; error: string }[] {
    const info = this.directives.info(LoadProcessor(entry));
    return (info?.errors ?? []).map((failure) => ({ processor: entry.name, error: messageOf(failure.error) }));
  }
}
