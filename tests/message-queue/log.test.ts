import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartitionLog, recordSize, replayToTable } from "../../message-queue/log.js";

describe("PartitionLog", () => {
  it("assigns consecutive offsets, rolls segments by size, and reads from any offset", () => {
    const log = new PartitionLog({ segmentBytes: 100 });
    for (let i = 0; i < 20; i++) log.append(`k${i}`, "x".repeat(10), i);
    expect(log.endOffset).toBe(20);
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(log.read(7, 3).map((r) => r.offset)).toEqual([7, 8, 9]);
    expect(log.read(18, 10).map((r) => r.offset)).toEqual([18, 19]);
    expect(log.read(20, 10)).toEqual([]);
    expect(log.at(13)?.key).toBe("k13");
  });

  it("retention by time deletes whole closed segments, never the active one", () => {
    const log = new PartitionLog({ segmentBytes: recordSize("k", "v") * 2, retentionMs: 100 });
    for (let t = 0; t < 10; t++) log.append("k", "v", t * 50);
    const deleted = log.applyRetention(500);
    // Segments hold two records each: [0,50] [100,150] ... [400,450]; cutoff 400.
    expect(deleted).toEqual({ segments: 4, records: 8 });
    expect(log.startOffset).toBe(8);
    expect(log.endOffset).toBe(10);
    const all = new PartitionLog({ segmentBytes: 1000, retentionMs: 1 });
    all.append("k", "v", 0);
    expect(all.applyRetention(1000).segments).toBe(0);
  });

  it("retention by size deletes a segment only while what remains is at least retentionBytes (Kafka's rule)", () => {
    const size = recordSize("k", "v");
    // Segments of two records; a limit of five records is not a whole number of segments.
    const log = new PartitionLog({ segmentBytes: size * 2, retentionBytes: size * 5 });
    for (let i = 0; i < 20; i++) log.append("k", "v", i);
    log.applyRetention(0);
    // 20 records: deleting pairs leaves 18, 16, ..., 6 (>= 5), and stops before 4 (< 5).
    expect(log.recordCount).toBe(6);
    expect(log.sizeBytes).toBeGreaterThan(size * 5);
    expect(log.sizeBytes - size * 2).toBeLessThan(size * 5);
    // A log already within the limit loses nothing.
    const small = new PartitionLog({ segmentBytes: size * 2, retentionBytes: size * 5 });
    for (let i = 0; i < 4; i++) small.append("k", "v", i);
    expect(small.applyRetention(0).segments).toBe(0);
  });

  it("truncates a suffix and appends again from there", () => {
    const log = new PartitionLog({ segmentBytes: 60 });
    for (let i = 0; i < 10; i++) log.append(null, `v${i}`, i);
    log.truncateTo(4);
    expect(log.endOffset).toBe(4);
    expect(log.append(null, "new", 10)).toBe(4);
    expect(log.read(0, 100).map((r) => r.value)).toEqual(["v0", "v1", "v2", "v3", "new"]);
  });
});

describe("compaction", () => {
  const ops = fc.array(
    fc.record({
      key: fc.constantFrom("a", "b", "c", "d", "e"),
      value: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
    }),
    {
      maxLength: 60,
    },
  );

  it("keeps exactly the latest value per key, and readers rebuild the same table as from the full log", () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 30, max: 200 }), (writes, segmentBytes) => {
        const log = new PartitionLog({ segmentBytes, deleteRetentionMs: 0 });
        for (const [i, w] of writes.entries()) log.append(w.key, w.value, i);
        const before = log.read(0, 10_000);
        const fullTable = replayToTable(before);
        log.compact(1_000);
        const after = log.read(0, 10_000);
        expect(replayToTable(after)).toEqual(fullTable);
        // In the cleaned (closed) part, no key appears twice, and offsets only ever increase.
        const closed = after.filter((r) => r.offset < log.activeBaseOffset);
        expect(new Set(closed.map((r) => r.key)).size).toBe(closed.length);
        expect(after.every((r, i) => i === 0 || r.offset > (after[i - 1]?.offset ?? -1))).toBe(
          true,
        );
      }),
    );
  });

  it("drops tombstoned keys once delete.retention.ms has passed, and keeps the tombstone until then", () => {
    const log = new PartitionLog({
      segmentBytes: recordSize("a", "1") * 2,
      deleteRetentionMs: 100,
    });
    log.append("a", "1", 0);
    log.append("b", "1", 1);
    log.append("a", null, 2); // tombstone
    log.append("c", "1", 3);
    log.append("d", "1", 4); // in the active segment
    log.compact(10);
    expect(log.read(0, 100).map((r) => `${r.key}=${r.value}`)).toEqual([
      "b=1",
      "a=null",
      "c=1",
      "d=1",
    ]);
    log.compact(200);
    expect(log.read(0, 100).map((r) => `${r.key}=${r.value}`)).toEqual(["b=1", "c=1", "d=1"]);
  });

  it("leaves the active segment out: its keys do not supersede records in closed segments", () => {
    const log = new PartitionLog({ segmentBytes: recordSize("a", "1") * 2, deleteRetentionMs: 0 });
    log.append("a", "1", 0);
    log.append("a", "2", 1);
    log.append("b", "1", 2);
    log.append("b", "2", 3);
    log.append("a", "3", 4); // the active segment
    log.compact(10);
    // Kafka's cleaner stops at the first uncleanable offset (the active segment's base): a=2 stays
    // although a=3 is newer, b=2 supersedes b=1 within the closed segments.
    expect(log.read(0, 100).map((r) => `${r.key}=${r.value}`)).toEqual(["a=2", "b=2", "a=3"]);
  });

  it("a broken compaction that keeps the first value per key is caught by the table comparison", () => {
    const records = [
      { offset: 0, key: "a", value: "old", timestampMs: 0, sizeBytes: 1, epoch: 0 },
      { offset: 1, key: "a", value: "new", timestampMs: 1, sizeBytes: 1, epoch: 0 },
    ];
    const keepFirst = records.filter((r, i) => records.findIndex((x) => x.key === r.key) === i);
    expect(replayToTable(keepFirst)).not.toEqual(replayToTable(records));
  });

  it("knows where each leader epoch ends, as Kafka's LeaderEpochFileCache answers", () => {
    const log = new PartitionLog({ segmentBytes: 1 << 20 });
    for (const epoch of [0, 0, 2, 2, 2]) log.append(null, "v", 0, epoch);
    log.assignEpoch(5, log.endOffset); // a new leader, before it writes
    expect(log.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
      { epoch: 5, startOffset: 5 },
    ]);
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 2 });
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 0, endOffset: 2 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 2, endOffset: 5 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 5 });
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: -1, endOffset: -1 });
    expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1 });
    log.truncateTo(3);
    expect(log.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 3 });
    const later = new PartitionLog({ segmentBytes: 1 << 20 });
    later.assignEpoch(3, 0);
    expect(later.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 0 });
    expect(() => log.append(null, "v", 0, 1)).toThrow(/must truncate/);
  });
});
