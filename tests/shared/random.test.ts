import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Random, Zipf } from "../../shared/random.js";

const draws = (r: Random, n = 20) => Array.from({ length: n }, () => r.nextUint32());

describe("Random", () => {
  it("gives the same sequence for the same seed and a different one for another", () => {
    expect(draws(new Random(7))).toEqual(draws(new Random(7)));
    expect(draws(new Random(7))).not.toEqual(draws(new Random(8)));
    expect(draws(new Random(2 ** 32 + 7))).not.toEqual(draws(new Random(7)));
  });

  it("forks streams that depend only on the seed and the name, not on draws made elsewhere", () => {
    const a = new Random(3);
    const untouched = draws(a.fork("network"));
    const b = new Random(3);
    draws(b, 1000); // the parent draws a lot...
    draws(b.fork("workload"), 50); // ...and so does a sibling
    expect(draws(b.fork("network"))).toEqual(untouched);
    expect(draws(a.fork("workload"))).not.toEqual(untouched);
    expect(draws(a.fork("x").fork("y"))).not.toEqual(draws(a.fork("y").fork("x")));
  });

  it("keeps int() within bounds, inclusive, and reaches both ends", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 20 }),
        (seed, min, span) => {
          const r = new Random(seed);
          const seen = new Set<number>();
          for (let i = 0; i < 400; i++) {
            const x = r.int(min, min + span);
            if (x < min || x > min + span || !Number.isInteger(x)) return false;
            seen.add(x);
          }
          return span > 10 || seen.size === span + 1;
        },
      ),
      { numRuns: 200 },
    );
  });

  it("draws floats in [0, 1) with the right mean for uniform, exponential and normal", () => {
    const r = new Random(11);
    const n = 50_000;
    let uniform = 0;
    let exponential = 0;
    let normal = 0;
    let normalSquares = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      uniform += u;
      exponential += r.exponential(5);
      const x = r.normal(10, 2);
      normal += x;
      normalSquares += (x - 10) ** 2;
    }
    expect(uniform / n).toBeCloseTo(0.5, 2);
    expect(exponential / n).toBeGreaterThan(4.85);
    expect(exponential / n).toBeLessThan(5.15);
    expect(normal / n).toBeCloseTo(10, 1);
    expect(Math.sqrt(normalSquares / n)).toBeCloseTo(2, 1);
  });

  it("meets chance(p) within 3 standard deviations", () => {
    const r = new Random(5);
    const n = 100_000;
    for (const p of [0.01, 0.2, 0.5]) {
      let hits = 0;
      for (let i = 0; i < n; i++) if (r.chance(p)) hits++;
      expect(Math.abs(hits - n * p)).toBeLessThan(3 * Math.sqrt(n * p * (1 - p)));
    }
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });

  it("shuffles into a permutation and picks members", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.integer(), { minLength: 1, maxLength: 30 }),
        (seed, items) => {
          const r = new Random(seed);
          const shuffled = r.shuffle(items);
          expect([...shuffled].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
          expect(items).toContain(r.pick(items));
        },
      ),
    );
  });
});

describe("Zipf", () => {
  it("has probabilities proportional to 1/r^s that sum to 1", () => {
    const z = new Zipf(100, 1.2);
    let total = 0;
    for (let r = 1; r <= 100; r++) total += z.probability(r);
    expect(total).toBeCloseTo(1, 12);
    expect(z.probability(1) / z.probability(2)).toBeCloseTo(2 ** 1.2, 10);
  });

  it("samples rank 1 about as often as its probability says", () => {
    const z = new Zipf(1000, 1.1);
    const r = new Random(9);
    const n = 50_000;
    let ones = 0;
    for (let i = 0; i < n; i++) {
      const rank = r.zipf(1000, 1.1);
      expect(rank >= 1 && rank <= 1000).toBe(true);
      if (rank === 1) ones++;
    }
    const p = z.probability(1);
    expect(Math.abs(ones - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
  });

  it("is uniform at exponent 0", () => {
    const z = new Zipf(10, 0);
    for (let r = 1; r <= 10; r++) expect(z.probability(r)).toBeCloseTo(0.1, 12);
  });
});
