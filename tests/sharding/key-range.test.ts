import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DynamicPartitions, KeyRangePartitioning } from "../../sharding/key-range.js";
import { nodeNames } from "../../sharding/measure.js";

const word = fc.string({ unit: fc.constantFrom(..."abcdefghij"), minLength: 1, maxLength: 6 });

describe("key-range partitioning", () => {
  it("finds the same partition as a linear scan of the boundaries", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { maxLength: 10 }),
        fc.array(word, { maxLength: 50 }),
        (rawBoundaries, keys) => {
          const boundaries = [...rawBoundaries].sort();
          const ranges = new KeyRangePartitioning(boundaries);
          for (const key of keys) {
            const linear = boundaries.filter((b) => b <= key).length;
            expect(ranges.partitionOf(key)).toBe(linear);
          }
        },
      ),
    );
  });

  it("a scan reads exactly the partitions whose ranges overlap it", () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 8 }), word, word, (rawBoundaries, a, b) => {
        const boundaries = [...rawBoundaries].sort();
        const ranges = new KeyRangePartitioning(boundaries);
        const [start, end] = a < b ? [a, b] : [b, a];
        const overlapping = Array.from({ length: ranges.partitions }, (_, p) => p).filter((p) => {
          const { lower, upper } = ranges.rangeOf(p);
          return (
            (lower === undefined || lower < end) &&
            (upper === undefined || upper > start) &&
            start < end
          );
        });
        expect(ranges.partitionsForScan(start, end)).toEqual(overlapping);
      }),
    );
  });

  it("refuses boundaries that are not increasing", () => {
    expect(() => new KeyRangePartitioning(["b", "a"])).toThrow(RangeError);
  });
});

describe("dynamic partitioning", () => {
  it("keeps every key in exactly one partition, ranges sorted, and no partition over the threshold", () => {
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 400 }),
        fc.integer({ min: 2, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        (keys, threshold, n) => {
          const dynamic = new DynamicPartitions(nodeNames(n), threshold);
          for (const key of keys) dynamic.insert(key);
          const all = dynamic.partitions.flatMap((p) => p.keys);
          expect(all).toEqual([...new Set(keys)].sort());
          dynamic.partitions.forEach((p, i) => {
            expect(p.keys.length).toBeLessThanOrEqual(threshold);
            const upper = dynamic.partitions[i + 1]?.lower;
            for (const k of p.keys)
              expect(k >= p.lower && (upper === undefined || k < upper)).toBe(true);
          });
          for (const key of keys)
            expect(dynamic.partitions[dynamic.indexOf(key)]?.keys).toContain(key);
        },
      ),
    );
  });

  it("starts with one partition on one node, and splits as data grows", () => {
    const dynamic = new DynamicPartitions(nodeNames(3), 10);
    expect(dynamic.partitions).toHaveLength(1);
    for (let i = 0; i < 100; i++) dynamic.insert(`k${String(i).padStart(3, "0")}`);
    expect(dynamic.partitions.length).toBeGreaterThanOrEqual(10);
    expect([...dynamic.partitionsPerNode().values()].every((c) => c > 0)).toBe(true);
  });
});
