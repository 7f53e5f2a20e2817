/**
 * Property: whatever an attacker on the control subject sends between genuine
 * announcements (replays of any of them, bodies changed under their signature, messages
 * signed with its own key in another instance's name, its own instances, garbage
 * signatures, another subject's signature), the guard takes in a genuine instance's name
 * only that instance's own announcements, and while it follows an instance only ones newer
 * than the last it took (a replay never takes a followed instance's services away); the
 * attacker gets in only under its own instances' names; and it never follows more than
 * `maxPeers` instances.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnnouncementGuard, Identity } from '../../src/transport/identity.js';
import { decodeAnnouncement, encodeAnnouncement, type Announcement } from '../../src/transport/wire.js';

const SUBJECT = 'prosa.ctl';
const KINDS = ['hello', 'heartbeat', 'bye', 'gone'] as const;

interface Sent {
  data: Uint8Array;
  signature: string;
  announcement: Announcement;
}

function announce(identity: Identity, name: string, kind: Announcement['kind'], services: string[], subject = SUBJECT): Sent {
  const announcement: Announcement = { v: 2, kind, instance: identity.instance, name, key: identity.key, seq: identity.nextSeq(), intervalMs: 100, services };
  const data = encodeAnnouncement(announcement);
  return { data, signature: identity.sign(subject, data), announcement };
}

type Step =
  | { op: 'genuine'; who: number; kind: (typeof KINDS)[number]; services: string[] }
  | { op: 'replay'; pick: number }
  | { op: 'tamper'; pick: number; kind: (typeof KINDS)[number]; services: string[]; seqDelta: number }
  | { op: 'impersonate'; who: number; kind: (typeof KINDS)[number]; withVictimKey: boolean }
  | { op: 'own'; attacker: number; kind: (typeof KINDS)[number] }
  | { op: 'garbage'; who: number; signature: string }
  | { op: 'otherSubject'; who: number };

const services = fc.array(fc.constantFrom('ECHO', 'PAY', 'X'), { maxLength: 3 });
const kind = fc.constantFrom(...KINDS);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('genuine' as const), who: fc.nat(3), kind, services }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tamper' as const), pick: fc.nat(), kind, services, seqDelta: fc.integer({ min: -2, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('impersonate' as const), who: fc.nat(3), kind, withVictimKey: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('own' as const), attacker: fc.nat(5), kind }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('garbage' as const), who: fc.nat(3), signature: fc.string({ maxLength: 90 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('otherSubject' as const), who: fc.nat(3) }) },
);

describe('AnnouncementGuard (property)', () => {
  it('takes the genuine announcements once each, in order, and nothing forged in their names', () => {
    const victims = Array.from({ length: 4 }, (_, i) => ({ name: `v${i}`, identity: new Identity(`v${i}`) }));
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (steps, maxPeers) => {
        // fresh sequence numbers per run: each run is a new set of instances
        const genuine = victims.map(({ name }) => ({ name, identity: new Identity(name) }));
        const attackers = Array.from({ length: 6 }, (_, i) => ({ name: `v${i % 4}`, identity: new Identity(`v${i % 4}`) }));
        const followed = new Set<string>();
        const guard = new AnnouncementGuard({
          self: 'me-0000000000000000',
          subject: SUBJECT,
          maxPeers,
          peers: { has: (id) => followed.has(id), get size() { return followed.size; } },
        });
        const sent: Sent[] = [];
        const lastTaken = new Map<string, number>();
        const genuineIds = new Set(genuine.map((g) => g.identity.instance));
        const attackerIds = new Set(attackers.map((a) => a.identity.instance));
        const genuineBytes = new Set<string>();
        const deliver = (message: Sent) => {
          const read = decodeAnnouncement(message.data);
          if (read === undefined) return;
          const wasFollowed = followed.has(read.instance);
          const verdict = guard.check(read, message.signature, message.data);
          if (verdict !== 'take') return;
          if (genuineIds.has(read.instance)) {
            expect(genuineBytes.has(`${message.signature}:${Buffer.from(message.data).toString('base64')}`)).toBe(true);
            if (wasFollowed) expect(read.seq).toBeGreaterThan(lastTaken.get(read.instance)!);
          } else {
            expect(attackerIds.has(read.instance)).toBe(true);
          }
          lastTaken.set(read.instance, read.seq);
          if (read.kind === 'gone') followed.delete(read.instance);
          else followed.add(read.instance);
          expect(followed.size).toBeLessThanOrEqual(maxPeers);
        };
        for (const s of steps) {
          switch (s.op) {
            case 'genuine': {
              const { name, identity } = genuine[s.who]!;
              const message = announce(identity, name, s.kind, s.services);
              sent.push(message);
              genuineBytes.add(`${message.signature}:${Buffer.from(message.data).toString('base64')}`);
              const wasFollowed = followed.has(identity.instance);
              const before = lastTaken.get(identity.instance);
              deliver(message);
              // a genuine one is refused only when the peers are full (or it leaves before it was followed)
              const taken = lastTaken.get(identity.instance) !== before;
              if (!taken) expect(wasFollowed || s.kind === 'bye' || s.kind === 'gone' || followed.size >= maxPeers).toBe(true);
              break;
            }
            case 'replay':
              if (sent.length > 0) deliver(sent[s.pick % sent.length]!);
              break;
            case 'tamper': {
              if (sent.length === 0) break;
              const original = sent[s.pick % sent.length]!;
              const body = { ...original.announcement, kind: s.kind, services: s.services, seq: original.announcement.seq + s.seqDelta };
              deliver({ data: encodeAnnouncement(body), signature: original.signature, announcement: body });
              break;
            }
            case 'impersonate': {
              const victim = genuine[s.who]!;
              const attacker = attackers[s.who]!;
              const body: Announcement = {
                v: 2,
                kind: s.kind,
                instance: victim.identity.instance,
                name: victim.name,
                key: s.withVictimKey ? victim.identity.key : attacker.identity.key,
                seq: 1_000_000 + attacker.identity.nextSeq(),
                intervalMs: 100,
                services: ['ECHO'],
              };
              const data = encodeAnnouncement(body);
              deliver({ data, signature: attacker.identity.sign(SUBJECT, data), announcement: body });
              break;
            }
            case 'own': {
              const { name, identity } = attackers[s.attacker]!;
              deliver(announce(identity, name, s.kind, ['ECHO']));
              break;
            }
            case 'garbage': {
              const { name, identity } = genuine[s.who]!;
              const message = announce(identity, name, 'heartbeat', []);
              deliver({ ...message, signature: s.signature });
              break;
            }
            case 'otherSubject': {
              const { name, identity } = genuine[s.who]!;
              deliver(announce(identity, name, 'bye', [], 'acme.prosa.ctl'));
              break;
            }
          }
        }
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });
});
