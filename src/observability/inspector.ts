/**
 * The inspector, the package's `prosa/inspector` entry: lifecycles shown live in the
 * Stately inspector, through prosa's own inspector server (page and WebSocket, with its
 * token and host rules) and the link each bus sends its inspection events on. It needs the
 * optional packages `@statelyai/inspect` and `ws`; `Observability` loads this module only
 * when inspection is asked for.
 */
export {
  createInspection,
  DEFAULT_INSPECTION_MAX_BUFFERED_BYTES,
  type Inspection,
  type InspectionOptions,
} from './inspection.js';
export { InspectorServer, type InspectorServerOptions } from './inspector-server.js';
export {
  DEFAULT_INSPECTOR_PORT,
  DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES,
  DEFAULT_INSPECTOR_MAX_REPLAY_BYTES,
  STATELY_INSPECTOR_URL,
} from './inspector-defaults.js';
export {
  inspectableContext,
  inspectableEvent,
  inspectableError,
  inspectableInspectionEvent,
  isRequestTraffic,
  type InspectableError,
} from './inspectable.js';
