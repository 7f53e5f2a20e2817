import { describe, expect, it } from 'vitest';
import { RateRegulator } from '../../src/processors/inj/rate-regulator.js';

/** Drives a regulator with a fake clock polled every `stepMs`; returns the sends admitted. */
function drive(regulator: RateRegulator, fromMs: number, toMs: number, stepMs: number): number {
  let sent = 0;
  for (let now = fromMs; now < toMs; now += stepMs) while (regulator.take(now)) sent++;
  return sent;
}

describe('RateRegulator', () => {
  it.each([
    [10, 1],
    [1000, 3],
    [1000, 17],
    [50_000, 5],
  ])('admits maxSpeed %d per second, polled every %d ms, to within 1%%', (maxSpeed, stepMs) => {
    const regulator = new RateRegulator({ maxSpeed }, 0);
    const sent = drive(regulator, 0, 10_000, stepMs);
    expect(sent / 10).toBeGreaterThan(maxSpeed * 0.99);
    expect(sent / 10).toBeLessThan(maxSpeed * 1.01 + 1);
  });

  it('gives no credit past its bucket: after a long stall it bursts at most burstMs worth', () => {
    const regulator = new RateRegulator({ maxSpeed: 1000, burstMs: 50 }, 0);
    expect(drive(regulator, 0, 1, 1)).toBe(1);
    expect(drive(regulator, 5_000, 5_001, 1)).toBe(50);
  });

  it('says how long to wait for the next send', () => {
    const regulator = new RateRegulator({ maxSpeed: 100 }, 0);
    expect(regulator.waitMs(0)).toBe(0);
    expect(regulator.take(0)).toBe(true);
    expect(regulator.waitMs(0)).toBeCloseTo(10, 6);
    expect(regulator.waitMs(4)).toBeCloseTo(6, 6);
    expect(regulator.take(4)).toBe(false);
    expect(regulator.take(10)).toBe(true);
  });

  it('backs off by its factor at most once per window, never below 1/s, then ramps back linearly', () => {
    const regulator = new RateRegulator({ maxSpeed: 1000, backoffFactor: 0.5, rampMs: 2000, backoffWindowMs: 100 }, 0);
    expect(regulator.backOff(0)).toBe(true);
    expect(regulator.rate).toBe(500);
    expect(regulator.backOff(50)).toBe(false); // same stall
    expect(regulator.rate).toBeCloseTo(500 + 1000 * (50 / 2000), 6);
    regulator.take(1000); // 1000 ms later: +500 from the ramp
    expect(regulator.rate).toBe(1000);
    for (let t = 2000; t < 4000; t += 100) regulator.backOff(t);
    // 20 halvings in a row floor at 1/s (a little above it from the ramp between them)
    expect(regulator.rate).toBeLessThan(100);
    expect(regulator.rate).toBeGreaterThanOrEqual(1);
  });

  it('uses maxSpeed as its floor when maxSpeed is below 1/s', () => {
    const regulator = new RateRegulator({ maxSpeed: 0.5 }, 0);
    regulator.backOff(0);
    expect(regulator.rate).toBe(0.5);
    expect(drive(regulator, 0, 10_000, 10)).toBe(5);
  });
});
