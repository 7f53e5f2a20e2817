/**
 * What the transport refused from the wire: announcements that fail their proof, peers
 * and remote services past their bounds, acknowledgements and errors from no followed
 * instance. Each is counted; each kind is a {@link CountedWarning} (logged the 1st, 10th,
 * 100th, ... time with the count), so a flood cannot flood the log. No payload, key or
 * signature is logged: only the instance id the message claimed and why.
 */
import type { Logger } from 'pino';
import { CountedWarning } from '../observability/counted-warning.js';

/** Counts of what was refused, since the transport started. */
export interface RefusedStats {
  /** Announcements not taken: not an announcement, bad or missing signature, key not the id's, replayed. */
  announcements: number;
  /** Announcements of new instances while `maxPeers` were followed. */
  peers: number;
  /** Remote services not taken while `maxRemoteServices` were. */
  services: number;
  /** Acknowledgements and errors that named no instance this one follows (forged, or from a stranger). */
  replies: number;
}

/** Counts refusals and logs them, a few lines per kind however many there are. */
export class Refusals {
  private readonly warnings: Record<keyof RefusedStats, CountedWarning>;

  constructor(logger: Logger) {
    this.warnings = {
      announcements: new CountedWarning(logger, 'refused an announcement'),
      peers: new CountedWarning(logger, 'refused a new instance'),
      services: new CountedWarning(logger, 'refused a remote service'),
      replies: new CountedWarning(logger, 'refused a reply'),
    };
  }

  /** Counts one refusal of `what`, saying `why` (a short phrase) and, when known, the instance the message claimed to come from. */
  refuse(what: keyof RefusedStats, why: string, peer?: string): void {
    this.warnings[what].hit(peer === undefined ? { why } : { why, peer });
  }

  /** The counts. */
  stats(): RefusedStats {
    const w = this.warnings;
    return { announcements: w.announcements.count, peers: w.peers.count, services: w.services.count, replies: w.replies.count };
  }
}
