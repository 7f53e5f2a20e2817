/**
 * The settings an instance runs now and how new ones are applied: {@link diffSettings}
 * says what changes from one set of settings to the next, by processor name, and
 * {@link LiveSettings} holds the current `ApplySettings` reference and applies new
 * settings as that diff (add the new `ApplySettings`, then release the old one).
 */
import type { InstanceSettings, ProcessorSettings } from '../config/settings-schema.js';
import type { Directives } from '../directives/directives.js';
import type { DirectiveReference } from '../directives/reference.js';
import { stableKey } from '../directives/stable-key.js';
import { messageOf } from '../tvf/unknown-value.js';
import { ApplySettings } from './apply-settings.js';
import { LoadProcessor, type LoadedProcessor } from './load-processor.js';
import { whenRemoved } from './removal.js';

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
        return old === undefined ? undefined : new Promise<void>((resolve) => whenRemoved(prosa, name, resolve, old));
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
