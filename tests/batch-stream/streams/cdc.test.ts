/**
 * Change data capture and log compaction (DDIA ch. 11, "Databases and Streams"): figure 11-4's
 * dual-write race; a consumer's offsets across a crash; an idempotent index; compaction keeping
 * the latest record per key with tombstones; and over seeds, derived systems equal to the database
 * once caught up, with the broken restart and the broken snapshot caught.
 */
import { describe, expect, it } from "vitest";
import {
  Cache,
  type Change,
  rowDifferences,
  SearchIndex,
} from "../../../batch-stream/streams/cdc.js";
import {
  dualWrites,
  FIGURE_11_4,
  rebuild,
  runCdc,
  withChangeDataCapture,
} from "../../../batch-stream/streams/cdc-run.js";
import { Consumer, Log } from "../../../batch-stream/streams/log.js";
import { Random } from "../../../shared/random.js";

describe("figure 11-4", () => {
  it("dual writes leave the database at B and the index at A; through the database's log both end at B", () => {
    const dual = dualWrites(FIGURE_11_4);
    expect(dual.database.entries()).toEqual([["X", "B"]]);
    expect(dual.index.entries()).toEqual([["X", "A"]]);
    expect(
      rowDifferences(dual.database.entries(), dual.index.entries(), ["database", "index"]),
    ).toEqual(["X: database 'B', index 'A'"]);
    const cdc = withChangeDataCapture(FIGURE_11_4);
    expect(cdc.index.entries()).toEqual([["X", "B"]]);
  });
});

describe("log and consumer", () => {
  it("a consumer committing every 2 records, crashed after 3, re-reads the third", () => {
    const log = new Log<string>();
    for (const v of ["a", "b", "c", "d"]) log.append(v);
    const seen: string[] = [];
    const consumer = new Consumer(log, (v) => seen.push(v), 2);
    expect(consumer.poll(3)).toBe(3);
    expect([consumer.position, consumer.committed]).toEqual([3, 2]);
    expect(consumer.crashAndRestart()).toEqual({ lost: 1 });
    consumer.catchUp();
    expect(seen).toEqual(["a", "b", "c", "c", "d"]);
    expect(consumer.reprocessed).toBe(1);
    expect([consumer.position, consumer.committed, consumer.lag]).toEqual([4, 4, 0]);
  });

  it("compaction keeps the latest record per key, tombstones included, at their offsets", () => {
    const log = new Log<Change>();
    log.append({ key: "k1", value: "a" });
    log.append({ key: "k2", value: "b" });
    log.append({ key: "k1", value: "c" });
    log.append({ key: "k2", value: null });
    log.append({ key: "k3", value: "d" });
    expect(log.compact((c) => c.key)).toEqual({ before: 5, after: 3 });
    expect(log.all()).toEqual([
      { offset: 2, value: { key: "k1", value: "c" } },
      { offset: 3, value: { key: "k2", value: null } },
      { offset: 4, value: { key: "k3", value: "d" } },
    ]);
    expect(log.endOffset).toBe(5);
    // A consumer whose offset fell in a removed record reads on from the next one kept.
    expect(log.next(0)?.offset).toBe(2);
    expect(log.readFrom(3).map((r) => r.offset)).toEqual([3, 4]);
    expect(log.next(5)).toBeUndefined();
    expect(rebuild(log, new Cache()).entries()).toEqual([
      ["k1", "c"],
      ["k3", "d"],
    ]);
  });

  it("the search index applies a change twice to no effect, and drops an updated row's old words", () => {
    const index = new SearchIndex();
    index.applyChange({ key: "k1", value: "red hat" });
    index.applyChange({ key: "k1", value: "red hat" });
    index.applyChange({ key: "k2", value: "red scarf" });
    expect(index.search("red")).toEqual(["k1", "k2"]);
    index.applyChange({ key: "k1", value: "blue hat" });
    expect(index.search("red")).toEqual(["k2"]);
    expect(index.search("hat")).toEqual(["k1"]);
    index.applyChange({ key: "k2", value: null });
    expect(index.postingList()).toEqual(["blue:k1", "hat:k1"]);
  });
});

describe("change data capture over seeds", () => {
  it("the index, the cache (crashed and restarted) and the snapshot's index equal the database; the broken variants are caught", () => {
    let brokenCacheCaught = 0;
    let brokenSnapshotCaught = 0;
    const seeds = 100;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = new Random(seed);
      const options = {
        writes: r.int(10, 200),
        keys: r.int(1, 30),
        crashes: r.int(1, 5),
        commitEvery: r.int(1, 20),
      };
      const replay = `seed ${seed}, ${JSON.stringify(options)}`;
      const run = runCdc(r.fork("cdc"), options);
      const rows = run.database.entries();
      expect(run.index.entries(), replay).toEqual(rows);
      expect(run.cache.entries(), replay).toEqual(rows);
      expect(run.lateIndex?.entries(), replay).toEqual(rows);
      expect(run.crashes.length, replay).toBeGreaterThan(0);
      const broken = runCdc(r.fork("cdc"), { ...options, broken: true });
      expect(broken.database.entries(), replay).toEqual(rows);
      if (JSON.stringify(broken.cache.entries()) !== JSON.stringify(rows)) brokenCacheCaught++;
      if (JSON.stringify(broken.lateIndex?.entries()) !== JSON.stringify(rows))
        brokenSnapshotCaught++;
      // The broken restart skips records every time (it is down for writes); later writes may
      // overwrite what it skipped, so it is not caught on every seed.
      expect(broken.skipped, replay).toBeGreaterThan(0);
    }
    expect(brokenCacheCaught).toBeGreaterThan(seeds / 2);
    expect(brokenSnapshotCaught).toBeGreaterThan(10);
  });

  it("a cache rebuilt from the compacted log equals the database, over seeds", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const run = runCdc(new Random(seed), { writes: 150, keys: 12, crashes: 0, commitEvery: 3 });
      const { before, after } = run.database.log.compact((c) => c.key);
      expect(after).toBeLessThanOrEqual(12);
      expect(before).toBe(150);
      expect(rebuild(run.database.log, new Cache()).entries(), `seed ${seed}`).toEqual(
        run.database.entries(),
      );
    }
  });
});
