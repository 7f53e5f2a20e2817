/**
 * Random draws for simulated behaviour (latency jitter, injected errors): seeded and
 * reproducible when a seed is given, `Math.random` otherwise.
 */

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * A uniform source in [0, 1): mulberry32 (a 32-bit PRNG, enough for simulations, not
 * for secrets) when `seed` is given, so the same seed draws the same sequence;
 * `Math.random` otherwise.
 */
export function randomSource(seed?: number): RandomSource {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
