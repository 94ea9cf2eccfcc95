/**
 * The table-table join (DDIA ch. 11, "Stream Joins": the Twitter timeline cache): the cache kept
 * from tweet and follow events equals the join of the two tables after every event; the two broken
 * variants (ignoring unfollows, no backfill on follow) diverge and are caught.
 */
import { describe, expect, it } from "vitest";
import { runTimeline } from "../../../batch-stream/scenarios/stream-joins.js";
import {
  changelogKey,
  type SocialEvent,
  TimelineCache,
  timelineDifferences,
} from "../../../batch-stream/streams/timeline.js";
import { socialEvents } from "../../../batch-stream/streams/workloads.js";
import { Random } from "../../../shared/random.js";

const SCRIPT: SocialEvent[] = [
  { kind: "tweet", id: "t1", sender: "carol" },
  { kind: "follow", follower: "alice", followee: "carol" },
  { kind: "follow", follower: "bob", followee: "carol" },
  { kind: "tweet", id: "t2", sender: "carol" },
  { kind: "unfollow", follower: "bob", followee: "carol" },
  { kind: "tweet", id: "t3", sender: "carol" },
  { kind: "delete", id: "t1" },
];

function timelines(cache: TimelineCache): Record<string, string[]> {
  return Object.fromEntries([...cache.timelines].map(([u, ids]) => [u, [...ids].sort()]));
}

describe("timeline cache, worked by hand", () => {
  it("follow backfills, tweet fans out, unfollow removes, delete removes everywhere", () => {
    const cache = new TimelineCache();
    for (const e of SCRIPT) cache.process(e);
    // alice: t1 (backfilled), t2, t3, then t1 deleted. bob: t1, t2, both removed by the unfollow.
    expect(timelines(cache)).toEqual({ alice: ["t2", "t3"] });
    expect(runTimeline(SCRIPT, "correct").firstDivergence).toBeUndefined();
  });

  it("ignoring unfollows leaves bob with carol's tweets; caught after event 5", () => {
    const run = runTimeline(SCRIPT, "ignores unfollows");
    expect(timelines(run.cache)).toEqual({ alice: ["t2", "t3"], bob: ["t2", "t3"] });
    expect(run.firstDivergence).toEqual({
      index: 4,
      differences: ["bob: has t1, t2 it should not"],
    });
  });

  it("no backfill on follow leaves alice without t1; caught after event 2", () => {
    const run = runTimeline(SCRIPT, "no backfill on follow");
    expect(run.firstDivergence).toEqual({ index: 1, differences: ["alice: lacks t1"] });
  });

  it("timelineDifferences reports extra and missing tweets per user", () => {
    const cache = new Map([["u", new Set(["a", "b"])]]);
    const query = new Map([
      ["u", new Set(["b", "c"])],
      ["v", new Set(["d"])],
    ]);
    expect(timelineDifferences(cache, query)).toEqual([
      "u: has a it should not; lacks c",
      "v: lacks d",
    ]);
  });
});

describe("a crash of the timeline processor, worked by hand", () => {
  it("its changelog, compacted by key, keeps the latest row of each table with tombstones", () => {
    const cache = new TimelineCache();
    for (const e of SCRIPT) cache.process(e);
    expect(cache.changelog.compact(changelogKey)).toEqual({ before: 7, after: 5 });
    // t1 sent then deleted: a tombstone at offset 6; bob→carol followed then unfollowed: a
    // tombstone at offset 4.
    expect(
      cache.changelog.all().map((r) => [r.offset, changelogKey(r.value), r.value.value]),
    ).toEqual([
      [1, "follows/alice→carol", "follows"],
      [3, "tweets/t2", "carol"],
      [4, "follows/bob→carol", null],
      [5, "tweets/t3", "carol"],
      [6, "tweets/t1", null],
    ]);
  });

  it("restoring from a changelog not yet compacted (Kafka's cleaner leaves the head as it is) applies its tombstones", () => {
    const before = new TimelineCache();
    for (const e of SCRIPT) before.process(e);
    const after = new TimelineCache("correct", before.timelines, before.changelog);
    after.restoreTables();
    expect([...after.tables.tweets]).toEqual([
      ["t2", "carol"],
      ["t3", "carol"],
    ]);
    expect(after.tables.query()).toEqual(before.tables.query());
    expect(after.tables.followers.get("carol")).toEqual(new Set(["alice"]));
  });

  it("a crash after the last event compacts the 7 records of the changelog to 5 before replaying them", () => {
    const crash = { afterEvent: 7, restart: "from the changelog" } as const;
    expect(runTimeline(SCRIPT, "correct", crash).changelog).toEqual({ before: 7, after: 5 });
  });

  it("restored from the changelog after event 4, the tables are as before and bob's unfollow takes t1 and t2 off his timeline", () => {
    const crash = { afterEvent: 4, restart: "from the changelog" } as const;
    const run = runTimeline(SCRIPT, "correct", crash);
    expect(run.firstDivergence).toBeUndefined();
    expect(timelines(run.cache)).toEqual({ alice: ["t2", "t3"] });
  });

  it("restarted with empty tables after event 4, bob's unfollow finds no tweets of carol's to remove: caught after event 5", () => {
    const crash = { afterEvent: 4, restart: "with empty tables" } as const;
    const run = runTimeline(SCRIPT, "correct", crash);
    expect(run.firstDivergence).toEqual({
      index: 4,
      differences: ["bob: has t1, t2 it should not"],
    });
  });
});

describe("timeline cache over seeds", () => {
  it.each(Array.from({ length: 100 }, (_, i) => i + 1))(
    "seed %i: the cache equals the join after every event; both broken variants are caught",
    (seed) => {
      const events = socialEvents(new Random(seed), 1 + (seed % 60));
      expect(runTimeline(events, "correct").firstDivergence, `seed ${seed}`).toBeUndefined();
      expect(
        runTimeline(events, "ignores unfollows").firstDivergence,
        `seed ${seed}`,
      ).toBeDefined();
      expect(
        runTimeline(events, "no backfill on follow").firstDivergence,
        `seed ${seed}`,
      ).toBeDefined();
      // A crash after any event: restored from the changelog, the cache never leaves the join.
      const afterEvent = 1 + (seed % events.length);
      const restored = runTimeline(events, "correct", {
        afterEvent,
        restart: "from the changelog",
      });
      expect(restored.firstDivergence, `seed ${seed}, crash after ${afterEvent}`).toBeUndefined();
      expect(restored.changelog?.before, `seed ${seed}`).toBe(afterEvent);
      // After the scripted opening's event 4, an empty restart is caught at any length.
      const empty = runTimeline(events, "correct", { afterEvent: 4, restart: "with empty tables" });
      expect(empty.firstDivergence?.index, `seed ${seed}`).toBe(4);
    },
  );
});
