import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSubjectPrefix } from '../../src/config/transport-settings.js';
import { Subjects, subjectToken } from '../../src/transport/subjects.js';
import { decodeAnnouncement, encodeAnnouncement, headerText } from '../../src/transport/wire.js';

describe('subjects', () => {
  it('keeps plain service names and escapes every other byte', () => {
    expect(subjectToken('ECHO_1-a')).toBe('ECHO_1-a');
    expect(subjectToken('pay.auth')).toBe('pay%2Eauth');
    expect(subjectToken('a b*>%')).toBe('a%20b%2A%3E%25');
    expect(subjectToken('café')).toBe('caf%C3%A9');
    // lone surrogates have no UTF-8 form; each keeps its own escape
    expect(subjectToken('\uD800')).toBe('%uD800');
    expect(subjectToken('\uDBFF')).not.toBe(subjectToken('\uD800'));
  });

  it('gives every name one token of safe characters, and distinct names distinct tokens', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), fc.string({ minLength: 1, unit: 'binary' }), (x, y) => {
        const tx = subjectToken(x);
        expect(tx).toMatch(/^[A-Za-z0-9_%-]+$/);
        if (x !== y) expect(subjectToken(y)).not.toBe(tx);
      }),
    );
  });

  it('builds the subjects of an instance under a prefix', () => {
    const subjects = new Subjects('acme.prosa', 'f00d-_x');
    expect(subjects.control).toBe('acme.prosa.ctl');
    expect(subjects.service('pay.auth')).toBe('acme.prosa.svc.pay%2Eauth');
    expect(subjects.inbox).toBe('acme.prosa.in.f00d-_x.');
    expect(subjects.inboxWildcard).toBe('acme.prosa.in.f00d-_x.>');
    // replies go to inboxes (any instance's, or a plain client's), never to prosa's other subjects
    expect(subjects.isForbiddenReply('acme.prosa.in.beef.7')).toBe(false);
    expect(subjects.isForbiddenReply('_INBOX.abc.1')).toBe(false);
    expect(subjects.isForbiddenReply('acme.prosa.ctl')).toBe(true);
    expect(subjects.isForbiddenReply('acme.prosa.svc.ECHO')).toBe(true);
    expect(isSubjectPrefix('acme.prosa')).toBe(true);
    for (const bad of ['', 'a..b', 'a.*', 'a b', 'a.>', '.a']) expect(isSubjectPrefix(bad)).toBe(false);
  });
});

describe('wire', () => {
  it('reads back an announcement it wrote, and nothing else', () => {
    const announcement = {
      v: 2 as const,
      kind: 'heartbeat' as const,
      instance: 'a-1',
      name: 'a',
      key: 'A'.repeat(43),
      seq: 1,
      intervalMs: 100,
      services: ['S'],
    };
    expect(decodeAnnouncement(encodeAnnouncement(announcement))).toEqual(announcement);
    const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
    expect(decodeAnnouncement(bytes('{'))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, v: 1 }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, key: 'short' }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, seq: -1 }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, intervalMs: 3_600_000 }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, kind: 'shout' }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, services: [''] }))).toBeUndefined();
    expect(decodeAnnouncement(bytes({ ...announcement, intervalMs: 0 }))).toBeUndefined();
  });

  it('makes header values one bounded line', () => {
    expect(headerText('a\r\nb\nc')).toBe('a b c');
    const long = headerText('x'.repeat(5_000));
    expect(long.length).toBe(1_000);
    expect(long.endsWith('…')).toBe(true);
  });
});
