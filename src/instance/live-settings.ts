/**
 * The settings an instance runs now and how new ones are applied: {@link diffSettings}
 * says what changes from one set of settings to the next, by processor name, and
 * {@link LiveSettings} holds the current `ApplySettings` reference and applies new
 * settings as that diff (add the new `ApplySettings`, then release the old one).
 */
import type { KindRegistry } from '../config/registry.js';
import type { InstanceSettings, ProcessorSettings } from '../config/settings-schema.js';
import type { Directives } from '../directives/directives.js';
import type { DirectiveReference } from '../directives/reference.js';
import { stableKey } from '../directives/stable-key.js';
import { messageOf } from '../tvf/unknown-value.js';
import { ApplySettings } from './apply-settings.js';
import { LoadProcessor, loadProcessorParams, type LoadedProcessor } from './load-processor.js';
import { whenRemoved } from './removal.js';

/** What changed when settings were applied, by processor name (settings order; stopped ones in old order). */
export interface ApplyReport {
  /** Declared now, not before: built and started. */
  started: string[];
  /** Declared before, not now: quieted, drained and removed. */
  stopped: string[];
  /**
   * Declared in both with a different entry (kind, settings, restart, queue, ...), or
   * with the same entry of a kind whose factory changed (a reloaded plugin): the old one
   * drained, a new one built.
   */
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

/**
 * Top-level sections that take effect without a restart: the processors (the diff), and
 * the plugins (whoever loads the settings loads them; the instance sees only their kinds).
 */
const LIVE_SECTIONS: ReadonlySet<string> = new Set(['processors', 'plugins']);

/**
 * The changes from `before` to `after`, by processor name; `failed` is left empty. An
 * entry equal in both counts as replaced when its kind is one of `changedKinds` (kinds
 * whose factory changed in between).
 */
export function diffSettings(before: InstanceSettings, after: InstanceSettings, changedKinds: ReadonlySet<string> = new Set()): ApplyReport {
  const previous = new Map(before.processors.map((entry) => [entry.name, stableKey(entry)]));
  const report: ApplyReport = { started: [], stopped: [], replaced: [], unchanged: [], failed: [], restartNeeded: [] };
  const declared = new Set<string>();
  for (const entry of after.processors) {
    declared.add(entry.name);
    const key = previous.get(entry.name);
    if (key === undefined) report.started.push(entry.name);
    else if (key === stableKey(entry) && !changedKinds.has(entry.kind)) report.unchanged.push(entry.name);
    else report.replaced.push(entry.name);
  }
  for (const entry of before.processors) if (!declared.has(entry.name)) report.stopped.push(entry.name);
  const sections = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const section of [...sections].sort()) {
    if (LIVE_SECTIONS.has(section)) continue;
    const a = (before as unknown as Record<string, unknown>)[section];
    const b = (after as unknown as Record<string, unknown>)[section];
    if (stableKey(a) !== stableKey(b)) report.restartNeeded.push(section);
  }
  return report;
}


/** What an instance knows of one kind: the registry's revision it last applied, and how many times it changed. */
interface KindRecord {
  readonly revision: number;
  readonly changes: number;
}

/**
 * The kind records after `settings` are applied with `kinds` as it is now: a kind whose
 * registry revision differs from the one recorded counts one more change. Pure: `seen`
 * is left as it is.
 */
function recordKinds(seen: ReadonlyMap<string, KindRecord>, settings: InstanceSettings, kinds: KindRegistry | undefined): Map<string, KindRecord> {
  const next = new Map(seen);
  if (kinds === undefined) return next;
  for (const { kind } of settings.processors) {
    const revision = kinds.revision(kind);
    if (revision === undefined) continue;
    const known = next.get(kind);
    if (known === undefined) next.set(kind, { revision, changes: 0 });
    else if (known.revision !== revision) next.set(kind, { revision, changes: known.changes + 1 });
  }
  return next;
}

/** The `LoadProcessor` revisions of `settings`' kinds: how many times each changed, for those that did. */
function revisionsOf(settings: InstanceSettings, records: ReadonlyMap<string, KindRecord>): Record<string, number> {
  const revisions: Record<string, number> = {};
  for (const { kind } of settings.processors) {
    const changes = records.get(kind)?.changes ?? 0;
    if (changes > 0) revisions[kind] = changes;
  }
  return revisions;
}

/** The kinds `settings` use whose record changed from `before` to `after`. */
function changedKinds(settings: InstanceSettings, before: ReadonlyMap<string, KindRecord>, after: ReadonlyMap<string, KindRecord>): Set<string> {
  const changed = new Set<string>();
  for (const { kind } of settings.processors) {
    const a = before.get(kind);
    if (a !== undefined && a.revision !== after.get(kind)?.revision) changed.add(kind);
  }
  return changed;
}

/**
 * The settings an instance runs now, as one held `ApplySettings` reference; applies new
 * ones as a diff, one apply at a time. The registry must have the `LoadProcessor` and
 * `ApplySettings` handlers.
 */
export class LiveSettings {
  private readonly directives: Directives;
  private readonly kinds: KindRegistry | undefined;
  private current: InstanceSettings;
  /** Each kind applied so far: its registry revision then, and how many times it changed. */
  private kindRecords: Map<string, KindRecord>;
  private ref: DirectiveReference<LoadedProcessor>;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The held reference's values by processor name, kept as values come and go (once the
   * bus stopped, the last set). Kept by name, not rebuilt from every value on each
   * change: that made building N processors cost N^2.
   */
  private byName = new Map<string, LoadedProcessor>();

  /**
   * Adds the `ApplySettings` of `settings`: its processors are built at once
   * (synchronously). With `kinds` (the registry the `LoadProcessor` handler builds
   * from), a later apply also replaces the processors of kinds whose factory changed
   * there since (`KindRegistry.revision`).
   */
  constructor(directives: Directives, settings: InstanceSettings, kinds?: KindRegistry) {
    this.directives = directives;
    this.kinds = kinds;
    this.current = settings;
    this.kindRecords = recordKinds(new Map(), settings, kinds);
    this.ref = directives.add(ApplySettings({ settings, revisions: revisionsOf(settings, this.kindRecords) }));
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
      (this.directives.info(LoadProcessor(loadProcessorParams(entry, revisionsOf(this.current, this.kindRecords))))?.errors ?? []).map((failure) => ({
        index,
        entry,
        error: failure.error,
      })),
    );
  }

  /**
   * What {@link LiveSettings.apply} of `next` would change now, without applying it
   * (`failed` empty): the diff of the entries, and the processors of kinds whose factory
   * changed since the last apply counted as replaced.
   */
  diff(next: InstanceSettings): ApplyReport {
    return diffSettings(this.current, next, changedKinds(next, this.kindRecords, recordKinds(this.kindRecords, next, this.kinds)));
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
    const records = recordKinds(this.kindRecords, next, this.kinds);
    const report = diffSettings(this.current, next, changedKinds(next, this.kindRecords, records));
    const revisions = revisionsOf(next, records);
    const before = new Map(this.ref.values.map((loaded) => [loaded.processor.name, loaded.processor]));
    const prosa = this.directives.prosa;
    const nextRef = this.directives.add(ApplySettings({ settings: next, revisions }));
    const previousRef = this.ref;
    this.ref = nextRef;
    this.current = next;
    this.kindRecords = records;
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
    const info = this.directives.info(LoadProcessor(loadProcessorParams(entry, revisionsOf(this.current, this.kindRecords))));
    return (info?.errors ?? []).map((failure) => ({ processor: entry.name, error: messageOf(failure.error) }));
  }
}
