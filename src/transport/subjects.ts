/**
 * The NATS subjects prosa instances use, all under one prefix (`prosa` by default):
 *
 * | subject | carries |
 * | --- | --- |
 * | `<prefix>.ctl` | announcements: hello, heartbeat (with the services), bye, gone |
 * | `<prefix>.svc.<service>` | requests for a service; its providers subscribe in a queue group of the same name |
 * | `<prefix>.in.<token>.<id>` | the acknowledgement and the reply (or error) of request `<id>` sent by the instance whose inbox token `<token>` is (random, made at start, never announced) |
 *
 * Service names are free text; in a subject each becomes one token (see {@link subjectToken}).
 */
import { SUBJECT_TOKEN_PATTERN as PLAIN_TOKEN } from '../config/transport-settings.js';

const HEX = '0123456789ABCDEF';
const utf8 = new TextEncoder();

/**
 * `name` as one subject token: letters, digits, `-` and `_` stay; every other byte of its
 * UTF-8 form becomes `%XX` (so `pay.auth` gives `pay%2Eauth`), and a lone UTF-16
 * surrogate (which has no UTF-8 form) becomes `%uXXXX`. Distinct names give distinct
 * tokens.
 */
export function subjectToken(name: string): string {
  if (PLAIN_TOKEN.test(name)) return name;
  let out = '';
  for (const char of name) {
    if (char.length === 1 && PLAIN_TOKEN.test(char)) {
      out += char;
    } else if (char.length === 1 && char.charCodeAt(0) >= 0xd800 && char.charCodeAt(0) <= 0xdfff) {
      out += `%u${char.charCodeAt(0).toString(16).toUpperCase()}`;
    } else {
      for (const byte of utf8.encode(char)) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    }
  }
  return out;
}

/** The subjects of one instance. */
export class Subjects {
  /** Announcements of every instance. */
  readonly control: string;
  /** Where replies to this instance's requests arrive: `inbox + id`. */
  readonly inbox: string;
  /** The subscription that takes every reply to this instance. */
  readonly inboxWildcard: string;
  private readonly servicePrefix: string;
  private readonly prefix: string;
  private readonly inboxes: string;

  /**
   * @param prefix - the subject prefix (see {@link isSubjectPrefix})
   * @param inboxToken - a random plain token, this instance's alone: nobody who has not
   *   seen a request of this instance knows its reply subjects. The inbox holds nothing
   *   else (not the instance id): every reply subject is parsed on both sides and crosses
   *   the server twice, so its length costs on every request.
   */
  constructor(prefix: string, inboxToken: string) {
    this.prefix = `${prefix}.`;
    this.control = `${prefix}.ctl`;
    this.inboxes = `${prefix}.in.`;
    this.inbox = `${prefix}.in.${inboxToken}.`;
    this.inboxWildcard = `${this.inbox}>`;
    this.servicePrefix = `${prefix}.svc.`;
  }

  /**
   * True for a reply subject an instance must not publish to: one under the prefix that is
   * not an inbox (a request whose reply subject is the control subject or a service would
   * make its answer an announcement or a request).
   */
  isForbiddenReply(reply: string): boolean {
    return reply.startsWith(this.prefix) && !reply.startsWith(this.inboxes);
  }

  /** The subject (and queue group) of the requests for `service`. */
  service(service: string): string {
    return this.servicePrefix + subjectToken(service);
  }
}
