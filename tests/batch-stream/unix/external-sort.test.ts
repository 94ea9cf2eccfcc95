/**
 * The external merge sort of the unix scenario (batch-stream/unix/external-sort.ts): the same
 * counts as an in-memory Map, within its memory budget as measured, and broken variants caught.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { externalSortCount, mapCount } from "../../../batch-stream/unix/external-sort.js";

const sortedCounts = (records: string[]) =>
  [...mapCount(records).counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe("external merge sort", () => {
  it("worked by hand: six records, a budget of three", () => {
    // Runs of three: sort(b, a, c) = [a, b, c] and sort(a, b, a) = [a, a, b]; two runs, which one
    // merge (fan-in two) feeds to uniq -c: a 3, b 2, c 1. Each record is written once, in its run.
    const result = externalSortCount(["b", "a", "c", "a", "b", "a"], 3);
    expect(result.counts).toEqual([
      ["a", 3],
      ["b", 2],
      ["c", 1],
    ]);
    expect(result.runsSpilled).toBe(2);
    expect(result.mergePasses).toBe(1);
    expect(result.recordsWritten).toBe(6);
    expect(result.peakRecords).toBe(3);
  });

  it("equals the in-memory Map and stays within its budget, over random inputs (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("/", "/a", "/b", "/c", "/ab", "/favicon.ico", "/é"), {
          maxLength: 300,
        }),
        fc.integer({ min: 3, max: 40 }),
        (records, budget) => {
          const result = externalSortCount(records, budget);
          expect(result.counts).toEqual(sortedCounts(records));
          expect(result.peakRecords).toBeLessThanOrEqual(budget);
          // Passes: run formation makes ceil(n / budget) runs; each pass divides them by the
          // fan-in (budget - 1) until one merge is left.
          let runs = Math.ceil(records.length / budget);
          let passes = runs > 0 ? 1 : 0;
          while (runs > budget - 1) {
            runs = Math.ceil(runs / (budget - 1));
            passes++;
          }
          expect(result.mergePasses).toBe(passes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a merge that drops each run's last record no longer equals the Map", () => {
    const records = ["b", "a", "c", "a", "b", "a", "c", "c"];
    const broken = externalSortCount(records, 3, { broken: "drop-last-of-run" });
    expect(broken.counts).not.toEqual(sortedCounts(records));
  });

  it("a merge of every run at once (no fan-in limit) breaks the budget, and the meter sees it", () => {
    const records = Array.from({ length: 100 }, (_, i) => `/${i % 13}`);
    const broken = externalSortCount(records, 4, { broken: "unbounded-fan-in" });
    expect(broken.counts).toEqual(sortedCounts(records));
    expect(broken.peakRecords).toBeGreaterThan(4);
    expect(externalSortCount(records, 4).peakRecords).toBeLessThanOrEqual(4);
  });
});
