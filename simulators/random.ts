/**
 * Seeded randomness, injected everywhere the simulator makes a choice, so a run with the same
 * `--seed` sends the same readings. Each device draws from its own fork, so its values do not
 * depend on how its messages interleave with other devices' (which follows the wall clock).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number;
  /** Normally distributed around `mean` with standard deviation `sd`. */
  normal(mean: number, sd: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** An independent stream for `label` (same seed and label: same stream). */
  fork(label: string): Random;
}

/** [Mulberry32, public domain] a small 32-bit generator: fast, and ample for test traffic. */
function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** [FNV-1a 32-bit] mixes a fork label into a new seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A `Random` from a whole-number seed. */
export function seededRandom(seed: number): Random {
  const next = mulberry32(seed);
  const random: Random = {
    next,
    between: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    normal: (mean, sd) => {
      // [Box–Muller transform]; 1 − u keeps the logarithm's argument above 0
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(items.length * next())] as T;
    },
    fork: (label) => seededRandom(fnv1a(`${seed}:${label}`)),
  };
  return random;
}
