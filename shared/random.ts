/**
 * Seeded randomness for the simulations. One root seed fixes a whole run; each component takes
 * its own named stream with `fork(name)`, derived from the seed and the name only, so that one
 * more draw in the workload does not shift every network latency after it (the TigerBeetle VOPR
 * discipline of one seed stream per subsystem).
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, from PractRand),
 * seeded through splitmix32. It is fast, has a period of at least 2^32 and passes PractRand; it
 * is not cryptographic, and nothing here needs it to be.
 */

import { murmur3_32 } from "./hash.js";

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

export class Random {
  /** The seed material of this stream: the root seed mixed with every fork name on the path. */
  readonly key: number;
  /** The path of fork names from the root, for messages that must say which stream failed. */
  readonly path: string;
  private a: number;
  private b: number;
  private c: number;
  private counter: number;

  constructor(seed: number, path = "root") {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`Random: seed must be a safe integer, got ${seed}`);
    // Fold both 32-bit halves of the seed in, so that seeds above 2^32 are not aliases.
    const high = Math.floor(seed / 0x100000000) >>> 0;
    this.key = murmur3_32(`${path}`, (seed >>> 0) ^ Math.imul(high, 0x85ebca6b));
    this.path = path;
    const init = splitmix32(this.key);
    this.a = init();
    this.b = init();
    this.c = init();
    this.counter = 1;
    // Discard the first outputs, as sfc32's author recommends, so the state is well mixed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream whose draws depend only on this stream's seed and `name`. */
  fork(name: string): Random {
    return new Random(this.key, `${this.path}/${name}`);
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float uniformly distributed in [0, 1), with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A float uniformly distributed in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer uniformly distributed in [min, max], both ends included, without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`Random.int: need integers min <= max, got ${min}, ${max}`);
    }
    const span = max - min + 1;
    if (span <= 0x100000000) {
      // Rejection sampling on 32 bits: draws above the largest multiple of span are retried.
      const limit = 0x100000000 - (0x100000000 % span);
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      return min + (x % span);
    }
    return min + Math.floor(this.next() * span);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** An exponentially distributed float with the given mean (inverse transform). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A normally distributed float (Box–Muller; one of the pair is discarded for simplicity). */
  normal(mean: number, standardDeviation: number): number {
    const u = 1 - this.next(); // in (0, 1], so the logarithm is finite
    const v = this.next();
    return mean + standardDeviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Random.pick: empty array");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A shuffled copy of the array (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** A Zipf-distributed rank in [1, n] with exponent s: rank r has weight 1 / r^s. */
  zipf(n: number, s: number): number {
    return zipfTable(n, s).sample(this);
  }
}

/**
 * A Zipf distribution over ranks 1..n, sampled by binary search in its cumulative table. Tables
 * are cached per (n, s): workloads draw millions of keys from a handful of distributions.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`Zipf: n must be a positive integer, got ${n}`);
    if (!(exponent >= 0)) throw new RangeError(`Zipf: exponent must be >= 0, got ${exponent}`);
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let rank = 1; rank <= n; rank++) {
      total += 1 / rank ** exponent;
      this.cumulative[rank - 1] = total;
    }
    for (let i = 0; i < n; i++) this.cumulative[i] = (this.cumulative[i] as number) / total;
  }

  /** The probability of one rank. */
  probability(rank: number): number {
    const upTo = this.cumulative[rank - 1] ?? 0;
    const below = rank >= 2 ? (this.cumulative[rank - 2] ?? 0) : 0;
    return upTo - below;
  }

  sample(random: Random): number {
    const u = random.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }
}

const zipfCache = new Map<string, Zipf>();

function zipfTable(n: number, s: number): Zipf {
  const cacheKey = `${n}:${s}`;
  let table = zipfCache.get(cacheKey);
  if (table === undefined) {
    table = new Zipf(n, s);
    zipfCache.set(cacheKey, table);
  }
  return table;
}
