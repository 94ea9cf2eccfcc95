/**
 * The table-table join (DDIA ch. 11, "Stream Joins": the Twitter timeline cache): the cache kept
 * from tweet and follow events equals the join of the two tables after every event; the two broken
 * variants (ignoring unfollows, no backfill on follow) diverge and are caught.
 */
import { describe, expect, it } from "vitest";
import { runTimeline } from "../../../batch-stream/scenarios/stream-joins.js";
import {
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
    },
  );
});
