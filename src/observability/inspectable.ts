/**
 * What the inspector is shown of the bus's machines: contexts without their ports (the
 * running system, functions), errors as their name and message (an `Error` turns into `{}`
 * in JSON), and no per-request traffic unless asked for.
 */
import type { AnyEventObject, InspectionEvent, MachineContext } from 'xstate';

/** An error as the inspector shows it. */
export interface InspectableError {
  name: string;
  message: string;
  /** `kind` of a ServiceError, BusError or TvfError. */
  kind?: string;
  /** Whether the error allows a restart or a retry, when it says. */
  recoverable?: boolean;
}

/** `error` as plain data; anything that is not an `Error` is returned as it is. */
export function inspectableError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const out: InspectableError = { name: error.name, message: error.message };
  const extra = error as Error & { kind?: unknown; recoverable?: unknown };
  if (typeof extra.kind === 'string') out.kind = extra.kind;
  if (typeof extra.recoverable === 'boolean') out.recoverable = extra.recoverable;
  return out;
}

/**
 * A machine context as the inspector shows it: `ports` left out, `lastCrash.error` as
 * plain data. Returns `context` itself when there is nothing to change (so it is
 * idempotent).
 */
export function inspectableContext(context: MachineContext): MachineContext {
  if (typeof context !== 'object' || context === null) return context;
  const crash = (context as { lastCrash?: { error?: unknown } }).lastCrash;
  const crashError = crash?.error instanceof Error;
  if (!('ports' in context) && !crashError) return context;
  const { ports: _ports, ...rest } = context as MachineContext & { ports?: unknown };
  if (crashError) rest['lastCrash'] = { ...crash, error: inspectableError(crash!.error) };
  return rest;
}

/** An event as the inspector shows it: its `error` and `crash.error` as plain data. */
export function inspectableEvent(event: AnyEventObject): AnyEventObject {
  const withError = event as AnyEventObject & { error?: unknown; crash?: { error?: unknown } };
  const errorIsError = withError.error instanceof Error;
  const crashIsError = withError.crash?.error instanceof Error;
  if (!errorIsError && !crashIsError) return event;
  const copy: AnyEventObject = { ...event };
  if (errorIsError) copy['error'] = inspectableError(withError.error);
  if (crashIsError) copy['crash'] = { ...withError.crash, error: inspectableError(withError.crash!.error) };
  return copy;
}

/** True for the inspection events of one request: its delivery into a mailbox, and the mailbox's snapshot after it. */
export function isRequestTraffic(event: InspectionEvent): boolean {
  return (event.type === '@xstate.event' || event.type === '@xstate.snapshot') && event.event.type === 'request.sent';
}

/**
 * `event` with a machine snapshot's context made inspectable; other events unchanged.
 * (The Stately inspector turns a snapshot into JSON before it lets us sanitize it, by which
 * time an `Error` is `{}`; so snapshots are fixed on their way in.)
 */
export function inspectableInspectionEvent(event: InspectionEvent): InspectionEvent {
  if (event.type !== '@xstate.snapshot') return event;
  const snapshot = event.snapshot as { context?: MachineContext };
  if (snapshot.context === undefined) return event;
  const context = inspectableContext(snapshot.context);
  if (context === snapshot.context) return event;
  // A machine snapshot's toJSON is an own property that reads `this`: the copy keeps it.
  const copy: typeof event.snapshot = Object.assign({}, event.snapshot, { context });
  return { ...event, snapshot: copy };
}
