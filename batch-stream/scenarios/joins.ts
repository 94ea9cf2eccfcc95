/**
 * Joins in MapReduce (DDIA ch. 10, "Reduce-Side Joins and Grouping", "Map-Side Joins", "Handling
 * skew"), on the book's example: activity events joined with user profiles. Every strategy runs as
 * jobs on the simulated cluster of the mapreduce scenario, and every result is compared with a
 * join computed directly in memory. A celebrity (u0) has a share of all events set by
 * --celebrity-share; the reducer-load table shows the hot reducer and how Pig's and Hive's skewed
 * joins relieve it. `--variant events-first` breaks the secondary sort: events reach the reducer
 * before the profile, and the sort-merge join's check fails.
 */

import { choice, integer, option, probability, type Scenario } from "../../shared/cli.js";
import { murmur3_32 } from "../../shared/hash.js";
import { maxOverMean } from "../../shared/stats.js";
import type { Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { Dfs } from "../mapreduce/dfs.js";
import {
  broadcastHashJoinJob,
  EVENTS,
  generateJoinData,
  HIVE_REST,
  HIVE_SKEWED,
  hiveHotKeyJoinJob,
  hiveSkewedLayout,
  inMemoryJoin,
  PROFILES,
  partitionByUserJob,
  partitionedHashJoinJob,
  pigSkewedJoinJob,
  sampleJob,
  sortMergeJoinJob,
} from "../mapreduce/joins.js";
import { type JobRun, runJob } from "../mapreduce/run.js";
import { REF } from "../refs.js";

export interface JoinsFlags {
  users: number;
  events: number;
  workers: number;
  reducers: number;
  celebrityShare: number;
  variant: "correct" | "events-first";
}

const SAMPLE_EVERY = 10;
const lines = (run: JobRun) =>
  run.output
    .split("\n")
    .filter((l) => l !== "")
    .sort();

export const joins: Scenario<JoinsFlags> = {
  name: "joins",
  summary:
    "joins as MapReduce jobs: reduce-side sort-merge join with secondary sort, broadcast and partitioned hash joins, and a celebrity's skew handled as Pig and Hive do",
  networked: true,
  options: [
    option("--users <count>", "user profiles", integer(1, 5_000), 40),
    option("--events <count>", "activity events", integer(1, 50_000), 1_000),
    option("--workers <count>", "worker machines", integer(1, 16), 4),
    option(
      "--reducers <count>",
      "reduce tasks (and partitions of the partitioned join)",
      integer(1, 16),
      4,
    ),
    option("--celebrity-share <p>", "share of events by the celebrity u0", probability, 0.5),
    option(
      "--variant <name>",
      "correct, or the broken events-first (the secondary sort puts events before the profile)",
      choice(["correct", "events-first"] as const),
      "correct",
    ),
  ],
  run: ({ trace, seed }, o) => {
    const workers = Array.from({ length: o.workers }, (_, i) => `w${i + 1}`);
    const data = generateJoinData(seed, o.users, o.events, o.celebrityShare);
    const dfs = new Dfs(250, workers);
    dfs.put(PROFILES, data.profiles);
    dfs.put(EVENTS, data.events);
    const expected = inMemoryJoin(data);
    const options = {
      seed,
      workers,
      variant: "correct" as const,
      speculative: true,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    };
    const run = (t: Trace, job: Parameters<typeof runJob>[2]) =>
      runJob(t.detailed(), dfs, job, options);
    const loads: (string | number)[][] = [];
    const judge = (name: string, got: string[], expectedToHold = true, ref?: string) => {
      const same = got.length === expected.length && got.every((l, i) => l === expected[i]);
      if (same && expected.length === 0) {
        trace.notExercised(
          `${name} equals the join computed in memory`,
          "the join is empty: no event's user has a profile",
          ref !== undefined ? { ref } : {},
        );
        return;
      }
      trace.check(`${name} equals the join computed in memory`, same, {
        expected: expectedToHold,
        detail: same
          ? plural(got.length, "row")
          : `${plural(got.length, "row")} against ${expected.length}`,
        ...(ref !== undefined ? { ref } : {}),
      });
    };
    const loadRow = (name: string, r: JobRun, time: number) =>
      loads.push([
        name,
        r.reducerLoads.join(" "),
        maxOverMean(r.reducerLoads).toFixed(2),
        `${time.toFixed(0)} ms`,
      ]);

    trace.section("Reduce-side sort-merge join, with a secondary sort", REF.sortMergeJoins);
    trace.note(
      `${plural(o.events, "activity event")} ("u7\t/page/3") and ${plural(o.users, "user profile")} ("u7\t1984", the year of birth) sit in the distributed filesystem; ${(o.celebrityShare * 100).toFixed(0)}% of the events are by the celebrity u0. Each side has its own mapper, which emits the user id as the key, with a tag: ${o.variant === "correct" ? "0 for the profile, 1 for an event" : "broken here: 1 for the profile, 0 for an event"}. Partitioning and grouping use the user id alone, the sort uses the tag too (the secondary sort), so each reducer call gets ${o.variant === "correct" ? "the profile first, then the events, which it streams out without buffering" : "the events first: the reducer, written to expect the profile first, has nothing to join them with"}.`,
      { ref: REF.sortMergeJoins },
    );
    const sortMerge = run(
      trace,
      sortMergeJoinJob("/joins/out/sort-merge", o.reducers, {
        eventsFirst: o.variant === "events-first",
      }),
    );
    judge("the sort-merge join", lines(sortMerge), o.variant === "correct", REF.sortMergeJoins);
    loadRow("sort-merge join", sortMerge, sortMerge.endMs);

    trace.section("Broadcast hash join (map-side)", REF.broadcastHashJoins);
    trace.note(
      `A map-only job over the events: every mapper first loads ${o.users === 1 ? "the one profile" : `all ${o.users} profiles`} into an in-memory hash table, then looks each event's user up in it. No shuffle, no reducers; it works while the small side fits in a mapper's memory.`,
      { ref: REF.broadcastHashJoins },
    );
    const broadcast = run(trace, broadcastHashJoinJob("/joins/out/broadcast"));
    judge("the broadcast hash join", lines(broadcast), true, REF.broadcastHashJoins);

    trace.section("Partitioned hash join (map-side)", REF.partitionedHashJoins);
    trace.note(
      `Two earlier jobs partition both inputs the same way, by hash of user id into ${plural(o.reducers, "file")} each. Then a map-only job reads the events partitions: a map task over events partition i loads profiles partition i into a hash table and joins its block against it, since a user's events and profile are in the same-numbered partitions.`,
      { ref: REF.partitionedHashJoins },
    );
    const p1 = run(trace, partitionByUserJob(PROFILES, "/joins/profiles-by-user", o.reducers));
    const p2 = run(trace, partitionByUserJob(EVENTS, "/joins/events-by-user", o.reducers));
    const partitioned = run(
      trace,
      partitionedHashJoinJob(
        "/joins/events-by-user",
        "/joins/profiles-by-user",
        "/joins/out/partitioned",
      ),
    );
    judge("the partitioned hash join", lines(partitioned), true, REF.partitionedHashJoins);
    trace.note(
      `The two partitioning jobs took ${p1.endMs.toFixed(0)} and ${p2.endMs.toFixed(0)} ms, the join ${partitioned.endMs.toFixed(0)} ms.`,
      { level: "detail" },
    );

    trace.section("Skew: Pig's skewed join", REF.skew);
    const sample = run(trace, sampleJob("/joins/sample", SAMPLE_EVERY));
    const fair = o.events / o.reducers;
    const fairText = fair >= 10 ? fair.toFixed(0) : String(Number(fair.toFixed(2)));
    const spread = new Map<string, number>();
    for (const line of sample.output.split("\n")) {
      if (line === "") continue;
      const [user, estimate] = line.split("\t") as [string, string];
      const n = Math.min(o.reducers, Math.ceil(Number(estimate) / fair));
      if (n > 1) spread.set(user, n);
    }
    const hot = [...spread].map(([u, n]) => `${u} over ${n} reducers`).join(", ");
    trace.note(
      `A first job samples every ${SAMPLE_EVERY}th event and estimates each user's count. Pig gives a key as many reducers as it takes to hold its records in memory (the share pig.skewedjoin.reduce.memusage, 0.3 by default, of a reducer's heap); here a reducer holds its fair share, ${fairText} event${fair === 1 ? "" : "s"}, so a user estimated at E events gets E / ${fairText} reducers, rounded up, at most ${o.reducers}. ${spread.size === 0 ? "No user needs more than one reducer, so nothing is split." : `Hot: ${hot}. In the join job, each map task sends a hot user's events round robin to its reducers (Pig's partitioner goes round robin; the book says "chosen at random") and copies its profile to every one of them; other users go by hash as before.`}`,
      { ref: REF.pigSkewedJoin },
    );
    const pig = run(trace, pigSkewedJoinJob("/joins/out/pig", o.reducers, spread));
    judge("Pig's skewed join", lines(pig), true, REF.pigSkewedJoin);
    loadRow("Pig skewed join (plus its sample job)", pig, sample.endMs + pig.endMs);

    trace.section("Skew: Hive's skewed join", REF.skew);
    const hotSet = new Set([data.hotUser]);
    const layout = hiveSkewedLayout(data.events, hotSet);
    const notHot =
      layout.skewed.length <= fair
        ? ` (At --celebrity-share ${o.celebrityShare}, ${data.hotUser} has no more than a reducer's fair share, so the split buys nothing here.)`
        : "";
    dfs.put(HIVE_SKEWED, layout.skewed);
    dfs.put(HIVE_REST, layout.rest);
    trace.note(
      `Hive is told the hot key in the table's metadata (CREATE TABLE events ... SKEWED BY (user_id) ON ('${data.hotUser}') STORED AS DIRECTORIES, list bucketing), and keeps ${data.hotUser}'s ${plural(layout.skewed.length, "event")} in a directory of their own. With hive.optimize.skewjoin.compiletime the join becomes two: a map-side join of that directory, each mapper holding only the hot user's profile in memory, and an ordinary sort-merge join of the other ${plural(layout.rest.length, "event")}; the output is their union.${notHot} Hive's runtime variant, hive.optimize.skewjoin, needs no metadata: the join's reducers set aside the records of any key with more than hive.skewjoin.key (100,000 by default) rows, and a follow-up map-side join handles them; it is not simulated here.`,
      { ref: REF.hiveSkewedJoin },
    );
    const hiveHot = run(trace, hiveHotKeyJoinJob("/joins/out/hive-hot", hotSet));
    const hiveRest = run(
      trace,
      sortMergeJoinJob("/joins/out/hive-rest", o.reducers, { events: HIVE_REST }),
    );
    judge(
      "Hive's skewed join",
      [...lines(hiveHot), ...lines(hiveRest)].sort(),
      true,
      REF.hiveSkewedJoin,
    );
    loadRow(
      "Hive skewed join (reduce side: other users)",
      hiveRest,
      hiveHot.endMs + hiveRest.endMs,
    );

    const hotReducer = murmur3_32(data.hotUser) % o.reducers;
    trace.table(
      "Records each reducer took in",
      ["join", "reducer loads", "max/mean", "job time"],
      loads,
      `The sort-merge join sends all of a user's records to one reducer${layout.skewed.length === 0 ? ` (the celebrity ${data.hotUser} has no events here)` : `: ${data.hotUser}'s ${plural(layout.skewed.length, "event")} and its profile all went to reducer ${hotReducer} (counted from 0)`}, and the job waits for its slowest reducer. Job times are the sum of each strategy's jobs.`,
    );
  },
};
