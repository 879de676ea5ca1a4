/**
 * Seeded randomness for the search. Math.random cannot be seeded, and a restarted gateway must
 * propose the same next trial for the same seed and history, so every draw in src/tuning comes
 * from a generator made here.
 */

export type Rng = () => number

/**
 * mulberry32: 32 bits of state, passes SmallCrush. Sampling a few hundred hyperparameter points
 * needs nothing stronger, and it is small enough to read.
 */
export function createRng (seed: number): Rng {
  let state = Math.trunc(seed) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** murmur3's finaliser: every input bit flips about half the output bits. */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * One independent stream per (seed, trial index). Seeding with seed + index would give trials
 * whose streams start one step apart, i.e. correlated samples; hashing breaks that.
 */
export const mixSeed = (seed: number, index: number): number =>
  fmix32((Math.trunc(seed) >>> 0) ^ fmix32(((Math.trunc(index) >>> 0) + 0x9e3779b9) >>> 0))

/** A standard normal draw (Box–Muller); 1 - rng() keeps the logarithm away from 0. */
export function gaussian (rng: Rng): number {
  const u = 1 - rng()
  const v = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
