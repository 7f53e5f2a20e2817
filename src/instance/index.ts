/**
 * The composition root of an instance: builds its logger, bus, directives and transports
 * from validated settings (`buildInstance`), builds every processor through the
 * `LoadProcessor` and `ApplySettings` directives, and applies changed settings as a diff
 * (`Instance.apply`, `liveReload`).
 */
export {
  Instance,
  buildInstance,
  checkBuild,
  createInstance,
  type BuildOptions,
  type InstanceEvents,
  type InstanceProcessor,
  type TransportMakers,
} from './instance.js';
export {
  LoadProcessor,
  LoadProcessorError,
  type LoadProcessorErrorKind,
  loadProcessorHandler,
  loadProcessorParams,
  type LoadedProcessor,
  type LoadProcessorParams,
  type LoadProcessorOptions,
} from './load-processor.js';
export { ApplySettings, applySettingsHandler, type ApplySettingsParams } from './apply-settings.js';
export { diffSettings, LiveSettings, type ApplyReport, type ApplyOptions } from './live-settings.js';
export { liveReload, type LiveReload, type LiveReloadOptions, type ReloadOutcome, type ReloadTrigger } from './live-reload.js';
