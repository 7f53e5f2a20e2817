/**
 * Announcements on the control subject, both ways: this instance's own (hello on
 * connecting, a heartbeat every `heartbeatMs` and at once on a change of its services,
 * bye, gone; each signed), and the other instances' (checked by the announcement guard,
 * then handed to the peers; the hellos heard in one event-loop turn answered by one
 * heartbeat).
 */
import { headers, type Msg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { safeError } from '../tvf/unknown-value.js';
import { AnnouncementGuard, type AnnouncementRefusal, type Identity } from './identity.js';
import type { Peers } from './peers.js';
import type { Refusals } from './refusals.js';
import type { Subjects } from './subjects.js';
import { ANNOUNCEMENT_VERSION, decodeAnnouncement, encodeAnnouncement, HEADER, type Announcement } from './wire.js';

/** What the announcements need of the link. */
export interface AnnouncementsOptions {
  /** This instance's key, id and sequence numbers. */
  identity: Identity;
  /** This instance's bus name. */
  name: string;
  subjects: Subjects;
  /** Interval between heartbeats, announced with each (the others' missed-heartbeat timer). */
  heartbeatMs: number;
  /** Most other instances followed at once. */
  maxPeers: number;
  /** Where the announcements that pass the guard go. */
  peers: Peers;
  refusals: Refusals;
  logger: Logger;
  /** The services this instance serves to others now (a new array). */
  services(): string[];
  /** False once the instance withdrew (it answers no hello then). */
  serving(): boolean;
  /** Called on every heartbeat tick, after the heartbeat left. */
  onBeat(): void;
}

/** What a refused announcement's log line says. */
const REFUSAL_WHY: Record<Exclude<AnnouncementRefusal, 'full'>, string> = {
  signature: 'no signature, or one that does not verify with its key',
  key: 'its key is not the one its instance id names',
  replay: 'replayed (its seq is not above the last one taken from that instance)',
};

/** This instance's announcements, and what it hears of the others'. */
export class Announcements {
  private readonly options: AnnouncementsOptions;
  private readonly guard: AnnouncementGuard;
  private connection: NatsConnection | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** A heartbeat due at the end of this event-loop turn, answering the hellos heard in it. */
  private helloAnswer: ReturnType<typeof setImmediate> | undefined;

  constructor(options: AnnouncementsOptions) {
    this.options = options;
    this.guard = new AnnouncementGuard({
      self: options.identity.instance,
      subject: options.subjects.control,
      maxPeers: options.maxPeers,
      peers: options.peers,
    });
  }

  /** Announces and hears through `connection` from now on (subscribes to the control subject). */
  use(connection: NatsConnection): void {
    this.connection = connection;
    connection.subscribe(this.options.subjects.control, {
      callback: (error, message) => {
        if (error === null) this.hear(message);
      },
    });
  }

  /** Publishes an announcement of `kind` with the services served now; nothing while there is no open connection. */
  announce(kind: Announcement['kind']): void {
    const connection = this.connection;
    if (connection === undefined || connection.isClosed()) return;
    const { identity, subjects } = this.options;
    const announcement: Announcement = {
      v: ANNOUNCEMENT_VERSION,
      kind,
      instance: identity.instance,
      name: this.options.name,
      key: identity.key,
      seq: identity.nextSeq(),
      intervalMs: this.options.heartbeatMs,
      services: this.options.services(),
    };
    try {
      const data = encodeAnnouncement(announcement);
      const h = headers();
      h.set(HEADER.signature, identity.sign(subjects.control, data));
      connection.publish(subjects.control, data, { headers: h });
    } catch (error) {
      this.options.logger.debug({ err: safeError(error), kind }, 'announcement not sent');
    }
  }

  /** Starts the heartbeat, unless it beats already. */
  startBeating(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(this.beat, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Stops the heartbeat, and the answer to hellos not sent yet. */
  stopBeating(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.helloAnswer !== undefined) clearImmediate(this.helloAnswer);
    this.helloAnswer = undefined;
  }

  /** Takes a message of the control subject: an announcement that passes the guard reaches the peers. */
  private hear(message: Msg): void {
    const { peers, refusals } = this.options;
    const announcement = decodeAnnouncement(message.data);
    if (announcement === undefined) {
      refusals.refuse('announcements', 'not an announcement of this version');
      return;
    }
    const verdict = this.guard.check(announcement, message.headers?.get(HEADER.signature), message.data);
    if (verdict === 'take') {
      // One heartbeat answers every hello of a turn: a burst of newcomers (or of fakes) costs one.
      if (peers.hear(announcement) && this.options.serving()) this.helloAnswer ??= setImmediate(this.answerHellos);
    } else if (verdict === 'full') {
      refusals.refuse('peers', `maxPeers (${this.options.maxPeers}) reached`, announcement.instance);
    } else if (verdict !== 'ignore') {
      refusals.refuse('announcements', REFUSAL_WHY[verdict], announcement.instance);
    }
  }

  private readonly beat = (): void => {
    this.announce('heartbeat');
    this.options.onBeat();
  };

  private readonly answerHellos = (): void => {
    this.helloAnswer = undefined;
    if (this.options.serving()) this.announce('heartbeat');
  };
}
