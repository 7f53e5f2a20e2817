/**
 * The `inspect` option: the XState inspection observer a bus gives every actor it makes.
 *
 * Main, processors, and the actors of transports and directives all take it (e.g.
 * `@statelyai/inspect`).
 */
import type { InspectionEvent, Observer } from 'xstate';

/** The `inspect` option XState actors take: an observer of inspection events. */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);
