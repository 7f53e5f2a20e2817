import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineWheel } from '../../src/actors/deadlines.js';
import { RequestMsg, type SettleSink } from '../../src/actors/msg.js';
import { record } from '../support/bus.js';

const sink: SettleSink = { settled: () => {}, late: () => {}, unschedule: () => {}, orphan: () => Promise.reject(new Error('no')) };
const msg = (timeoutMs: number, sent = Number.NaN) => new RequestMsg(sink, 1, 'S', record(0), timeoutMs, sent, undefined);

describe('deadline wheel', () => {
  let clock = 0;
  let expired: { msg: RequestMsg; at: number }[];
  let wheel: DeadlineWheel;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000;
    expired = [];
    wheel = new DeadlineWheel(10, () => clock, (m) => expired.push({ msg: m, at: clock }));
  });
  afterEach(() => {
    wheel.stop();
    vi.useRealTimers();
  });
  /** Advances the fake clock and the fake timers together, one ms at a time. */
  async function advance(ms: number) {
    for (let i = 0; i < ms; i++) {
      clock += 1;
      await vi.advanceTimersByTimeAsync(1);
    }
  }

  it('never expires a request early, and at most three ticks late', async () => {
    for (const timeoutMs of [1, 5, 10, 37, 250, 6_000]) {
      const m = msg(timeoutMs);
      const sentAt = clock;
      wheel.schedule(m);
      await advance(timeoutMs + 25);
      expect(expired.map((e) => e.msg)).toEqual([m]);
      const late = expired[0]!.at - sentAt - timeoutMs;
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(30);
      expired = [];
    }
  });

  it('stamps an unstamped request at the first sweep and keeps a stamp given at send', async () => {
    const unstamped = msg(100);
    const stamped = msg(100, clock);
    wheel.schedule(unstamped);
    wheel.schedule(stamped);
    expect(Number.isNaN(unstamped.due)).toBe(true);
    expect(unstamped.deadline).toBeLessThanOrEqual(performance.now() + 100); // an estimate before placement
    await advance(10);
    expect(unstamped.sentAt).toBeGreaterThan(1_000);
    expect(unstamped.deadline).toBeCloseTo(unstamped.sentAt + 100, 9);
    expect(stamped.deadline).toBe(1_100);
  });

  it('takes unscheduled requests off, in the intake and once placed', async () => {
    const a = msg(50);
    const b = msg(50);
    wheel.schedule(a);
    wheel.schedule(b);
    wheel.unschedule(a);
    await advance(10);
    wheel.unschedule(b);
    expect(wheel.size).toBe(0);
    await advance(100);
    expect(expired).toEqual([]);
  });

  it('expires at once a stamped request whose deadline passed while the loop was stalled', async () => {
    const m = msg(5, clock);
    wheel.schedule(m);
    clock += 50; // the loop was blocked: no timer ran
    await vi.advanceTimersByTimeAsync(10);
    expect(expired.map((e) => e.msg)).toEqual([m]);
  });

  it('catches up after a stall longer than a whole turn of the wheel', async () => {
    const m = msg(20);
    wheel.schedule(m);
    await advance(10);
    clock += 60_000;
    await vi.advanceTimersByTimeAsync(10);
    expect(expired.map((e) => e.msg)).toEqual([m]);
  });

  it('stops its timer when nothing is scheduled', async () => {
    wheel.schedule(msg(10));
    expect(vi.getTimerCount()).toBe(1);
    await advance(40);
    expect(vi.getTimerCount()).toBe(0);
  });
});
