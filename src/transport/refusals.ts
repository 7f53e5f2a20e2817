/**
 * What the transport refused from the wire: announcements that fail their proof, peers
 * and remote services past their bounds, replies from no serving instance. Each is
 * counted; each kind is logged at `warn` the first time, then at most once per interval
 * with the number refused since (`count`), so a flood cannot flood the log. No payload, key or
 * signature is logged: only the instance id the message claimed and why.
 */
import type { Logger } from 'pino';

/** Counts of what was refused, since the transport started. */
export interface RefusedStats {
  /** Announcements not taken: not an announcement, bad or missing signature, key not the id's, replayed. */
  announcements: number;
  /** Announcements of new instances while `maxPeers` were followed. */
  peers: number;
  /** Remote services not taken while `maxRemoteServices` were. */
  services: number;
  /** Replies, acknowledgements and errors that named no instance known to serve (forged, or from a stranger). */
  replies: number;
}

/** Longest silence between two warnings of one kind while refusals go on, in ms. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Warnings that may repeat fast (each refused message, each permission error of the
 * server): one line per key the first time, then at most one per interval, which says how
 * many happened since the last line (`count`).
 */
export class ThrottledWarnings {
  /** Per key: when it was last logged, and how many happened since. */
  private readonly logged = new Map<string, { at: number; since: number }>();
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly maxKeys: number;

  /** @param maxKeys - keys remembered at most (the oldest is forgotten first), so hostile keys cannot grow it */
  constructor(logger: Logger, intervalMs = REFUSAL_LOG_INTERVAL_MS, maxKeys = 100) {
    this.logger = logger;
    this.intervalMs = intervalMs;
    this.maxKeys = maxKeys;
  }

  /** Logs `msg` with `fields` at `warn`, unless `key` was logged less than the interval ago. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = performance.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.since++;
      return;
    }
    const count = (last?.since ?? 0) + 1;
    this.logged.delete(key);
    this.logged.set(key, { at: now, since: 0 });
    if (this.logged.size > this.maxKeys) this.logged.delete(this.logged.keys().next().value!);
    this.logger.warn({ ...fields, count }, msg);
  }
}

/** Counts refusals and logs them, throttled per kind. */
export class Refusals {
  private readonly counts: RefusedStats = { announcements: 0, peers: 0, services: 0, replies: 0 };
  private readonly warnings: ThrottledWarnings;

  constructor(logger: Logger, intervalMs = REFUSAL_LOG_INTERVAL_MS) {
    this.warnings = new ThrottledWarnings(logger, intervalMs);
  }

  /**
   * Counts one refusal of `what`, saying `why` (a short phrase) and, when known, the
   * instance the message claimed to come from. Logs it unless one of the same kind was
   * logged less than the interval ago (the next log line carries how many were skipped).
   */
  refuse(what: keyof RefusedStats, why: string, peer?: string): void {
    this.counts[what]++;
    this.warnings.warn(what, { refused: what, why, peer, total: this.counts[what] }, `refused ${describe[what]}: ${why}`);
  }

  /** A copy of the counts. */
  stats(): RefusedStats {
    return { ...this.counts };
  }
}

const describe: Record<keyof RefusedStats, string> = {
  announcements: 'an announcement',
  peers: 'a new instance',
  services: 'a remote service',
  replies: 'a reply',
};
