/**
 * The `inspect` option: the XState inspection observer a bus passes to every actor it
 * creates (Main, processors, transports' and directives' actors), e.g. `@statelyai/inspect`.
 */
import type { InspectionEvent, Observer } from 'xstate';

/** The `inspect` option XState actors take: an observer of inspection events. */
export type InspectOption = Observer<InspectionEvent> | ((event: InspectionEvent) => void);
