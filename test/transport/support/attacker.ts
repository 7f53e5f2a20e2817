/**
 * An attacker with a plain NATS client: builds announcements as docs/transport.md
 * describes the wire, with node:crypto only (nothing from prosa), so the tests check the
 * documented format and not prosa's own encoder.
 *
 * - {@link legacyAnnouncement}: the unsigned version-1 form older prosa accepted.
 * - {@link FakeInstance}: a peer with a key pair of its own, signing version-2
 *   announcements; it can also sign in another instance's name (which must not work).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { headers, type MsgHdrs } from 'nats';

const utf8 = new TextEncoder();

/** An unsigned version-1 announcement (accepted by prosa before announcements were signed). */
export function legacyAnnouncement(kind: string, instance: string, name: string, services: string[], intervalMs = 1_000): Uint8Array {
  return utf8.encode(JSON.stringify({ v: 1, kind, instance, name, intervalMs, services }));
}

/** What goes on the control subject: a body and its headers. */
export interface Wire {
  data: Uint8Array;
  headers?: MsgHdrs;
}

/** The header that carries an announcement's signature. */
export const SIGNATURE_HEADER = 'prosa-signature';

/** An instance of the attacker's making: its own ed25519 key, so its own instance id. */
export class FakeInstance {
  readonly name: string;
  readonly key: string;
  readonly instance: string;
  private readonly privateKey: KeyObject;
  private seq = 0;

  constructor(name: string) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.name = name;
    this.key = publicKey.export({ format: 'jwk' }).x!;
    const fingerprint = createHash('sha256').update(Buffer.from(this.key, 'base64url')).digest('hex').slice(0, 16);
    this.instance = `${name}-${fingerprint}`;
  }

  /**
   * A signed version-2 announcement. `as` overrides fields of the body (another
   * instance's id, an old seq, ...): the signature is still this instance's.
   */
  announce(kind: string, services: string[], as: Record<string, unknown> = {}, subject = 'prosa.ctl', intervalMs = 1_000): Wire {
    const body = { v: 2, kind, instance: this.instance, name: this.name, key: this.key, seq: ++this.seq, intervalMs, services, ...as };
    const data = utf8.encode(JSON.stringify(body));
    return { data, headers: signed(data, subject, this.privateKey) };
  }
}

function signed(data: Uint8Array, subject: string, key: KeyObject): MsgHdrs {
  const h = headers();
  const message = Buffer.concat([utf8.encode(`${subject}\n`), data]);
  h.set(SIGNATURE_HEADER, sign(null, message, key).toString('base64url'));
  return h;
}
