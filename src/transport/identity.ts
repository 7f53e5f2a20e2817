/**
 * Who an instance is on the wire, and the proof that an announcement is its own.
 *
 * Each transport start makes an ed25519 key pair (node:crypto). The instance id is the
 * bus name and the first 16 hex digits (64 bits) of the SHA-256 of the public key
 * (`caller-1a2b3c4d5e6f7a8b`), so an id names one key and no other key can be found for
 * it. Every announcement carries that key and a sequence number, and is signed: the
 * `prosa-signature` header holds the ed25519 signature of `<control subject>\n<body>`.
 *
 * The rule another instance applies ({@link AnnouncementGuard}): an announcement is taken
 * only when its key hashes to its instance id, its signature verifies with that key, and
 * its `seq` is above the last one taken from that instance (a replay, even of a genuine
 * announcement, is refused; ids of instances that left are remembered a while, so theirs
 * are refused too). A new instance is taken only while fewer than `maxPeers` are followed.
 * Only announcements are signed: requests and replies cost no cryptography.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { subjectToken } from './subjects.js';
import type { Announcement } from './wire.js';

/** Hex digits of the key's SHA-256 in an instance id (64 bits: no second key can be found for an id). */
const FINGERPRINT_HEX = 16;

/** Longest part of an instance id taken from the bus name. */
const MAX_NAME_PART = 64;

/** Length of an ed25519 signature, in bytes. */
const SIGNATURE_BYTES = 64;

const utf8 = new TextEncoder();

/** The instance id of the bus `name` with the public key `key` (base64url of its 32 bytes). */
export function instanceIdOf(name: string, key: string): string {
  const fingerprint = createHash('sha256').update(Buffer.from(key, 'base64url')).digest('hex').slice(0, FINGERPRINT_HEX);
  return `${subjectToken(name).slice(0, MAX_NAME_PART)}-${fingerprint}`;
}

/** The bytes an announcement's signature covers: the subject it is published on, a newline, its body. */
function signedBytes(subject: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.concat([subject, data]);
}

/** This instance's identity: its key pair, its id, and the sequence of its announcements. */
export class Identity {
  /** The instance id: bus name and key fingerprint. */
  readonly instance: string;
  /** The public key, base64url of its 32 bytes, as announcements carry it. */
  readonly key: string;
  // ES private: not enumerable, so logging or inspecting an identity never shows the key.
  readonly #privateKey: KeyObject;
  #seq = 0;

  /** A new key pair for the bus `name`. */
  constructor(name: string) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.#privateKey = privateKey;
    this.key = publicKey.export({ format: 'jwk' }).x!;
    this.instance = instanceIdOf(name, this.key);
  }

  /** The next sequence number: one above the last, for each announcement. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** The signature (base64url) of announcement bytes `data` published on `subject`. */
  sign(subject: string, data: Uint8Array): string {
    return sign(null, signedBytes(utf8.encode(`${subject}\n`), data), this.#privateKey).toString('base64url');
  }
}

/** Why an announcement was refused. */
export type AnnouncementRefusal =
  /** No signature, or one that does not verify with the announced key. */
  | 'signature'
  /** The key does not hash to the instance id, or is not an ed25519 key. */
  | 'key'
  /** Its `seq` is not above the last one taken from that instance (replayed). */
  | 'replay'
  /** A new instance while `maxPeers` are followed. */
  | 'full';

/** What {@link AnnouncementGuard.check} decides. */
export type AnnouncementVerdict = 'take' | 'ignore' | AnnouncementRefusal;

/** The instances followed now, as the guard needs to know them. */
export interface FollowedPeers {
  /** True while `instance` is followed (alive or leaving). */
  has(instance: string): boolean;
  /** How many are followed. */
  readonly size: number;
}

/** Options of {@link AnnouncementGuard}. */
export interface AnnouncementGuardOptions {
  /** This instance's id: its own announcements are ignored. */
  self: string;
  /** The control subject announcements are signed for. */
  subject: string;
  /** Most instances followed at once. */
  maxPeers: number;
  /** The instances followed now. */
  peers: FollowedPeers;
}

/** What the guard remembers of an instance it took an announcement from. */
interface Known {
  key: string;
  publicKey: KeyObject;
  seq: number;
}

/**
 * Decides which announcements to take (see the module doc for the rule). It remembers
 * the key and last `seq` of every instance followed, and of up to `maxPeers` that left.
 */
export class AnnouncementGuard {
  private readonly known = new Map<string, Known>();
  private readonly options: AnnouncementGuardOptions;
  private readonly subject: Uint8Array;
  private readonly limit: number;

  constructor(options: AnnouncementGuardOptions) {
    this.options = options;
    this.subject = utf8.encode(`${options.subject}\n`);
    this.limit = options.maxPeers * 2;
  }

  /**
   * Checks `announcement`, read from `data`, with the `prosa-signature` header
   * `signature`. `take`: pass it on (its `seq` is remembered); `ignore`: this instance's
   * own, or the bye or gone of an instance not followed (nothing to undo); otherwise why
   * it is refused. Costs one signature check for an announcement that passes the cheap
   * tests; nothing is remembered of a refused one.
   */
  check(announcement: Announcement, signature: string | undefined, data: Uint8Array): AnnouncementVerdict {
    const { instance, kind } = announcement;
    if (instance === this.options.self) return 'ignore';
    const followed = this.options.peers.has(instance);
    if (!followed && (kind === 'bye' || kind === 'gone')) return 'ignore';
    if (!followed && this.options.peers.size >= this.options.maxPeers) return 'full';
    const known = this.known.get(instance);
    if (known !== undefined) {
      if (announcement.key !== known.key) return 'key';
      if (announcement.seq <= known.seq) return 'replay';
      if (!this.verifies(known.publicKey, signature, data)) return 'signature';
      known.seq = announcement.seq;
      return 'take';
    }
    if (instanceIdOf(announcement.name, announcement.key) !== instance) return 'key';
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: announcement.key }, format: 'jwk' });
    } catch {
      return 'key';
    }
    if (!this.verifies(publicKey, signature, data)) return 'signature';
    this.known.set(instance, { key: announcement.key, publicKey, seq: announcement.seq });
    this.trim();
    return 'take';
  }

  private verifies(publicKey: KeyObject, signature: string | undefined, data: Uint8Array): boolean {
    if (signature === undefined || signature === '') return false;
    const bytes = Buffer.from(signature, 'base64url');
    if (bytes.length !== SIGNATURE_BYTES) return false;
    try {
      return verify(null, signedBytes(this.subject, data), publicKey, bytes);
    } catch {
      return false;
    }
  }

  /** Forgets the oldest instances no longer followed, past the limit (those followed stay). */
  private trim(): void {
    if (this.known.size <= this.limit) return;
    for (const instance of this.known.keys()) {
      if (this.known.size <= this.limit) return;
      if (!this.options.peers.has(instance)) this.known.delete(instance);
    }
  }
}
