/**
 * `ApplySettings { settings }`: the desired state of a whole instance (Controller Bus's
 * ConfigSet). Its resolver holds one `LoadProcessor` reference per declared processor
 * and forwards their values (the running processors). Applying changed settings adds the
 * new `ApplySettings` and then releases the old one: processors equal in both keep their
 * `LoadProcessor` instance (its reference count never reaches zero) and keep serving
 * untouched; the rest start, stop, or are replaced.
 */
import type { DirectiveShape, ResolverShape } from '../actors/index.js';
import type { InstanceSettings } from '../config/settings-schema.js';
import { defineDirective } from '../directives/directive.js';
import type { Directives } from '../directives/directives.js';
import type { DirectiveReference } from '../directives/reference.js';
import { callbackResolver } from '../directives/resolver.js';
import { stableKey } from '../directives/stable-key.js';
import { LoadProcessor, loadProcessorParams, type LoadedProcessor } from './load-processor.js';

/** Parameters of {@link ApplySettings}. */
export interface ApplySettingsParams {
  /** The instance's validated settings; only `processors` matter to the directive. */
  settings: InstanceSettings;
  /**
   * Kind -> its revision in the instance (see `LoadProcessorParams.kindRevision`), for
   * the kinds whose factory changed since the instance was built: part of the key, and
   * given to each `LoadProcessor`, so that their processors are replaced while the others
   * keep serving.
   * @defaultValue none: every processor is `LoadProcessor(entry)`
   */
  revisions?: Readonly<Record<string, number>>;
}

/** The processors of an instance: one value per running processor, in the order they were built. */
export const ApplySettings = defineDirective<ApplySettingsParams, LoadedProcessor>({
  kind: 'ApplySettings',
  key: (params) => {
    const revisions = params.revisions ?? {};
    const processors = params.settings.processors;
    return Object.keys(revisions).length === 0 ? stableKey(processors) : stableKey({ processors, revisions });
  },
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
    const revisions = directive.params.revisions;
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
        const ref = directives.add(LoadProcessor(loadProcessorParams(entry, revisions)));
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
