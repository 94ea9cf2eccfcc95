/**
 * Every join strategy (DDIA ch. 10, "Reduce-Side Joins and Grouping", "Map-Side Joins") against a
 * join computed in memory over random inputs, and the broken secondary sort caught.
 */
import { describe, expect, it } from "vitest";
import { Dfs } from "../../../batch-stream/mapreduce/dfs.js";
import type { Job, JobInput } from "../../../batch-stream/mapreduce/job.js";
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
  sortMergeJoinJob,
} from "../../../batch-stream/mapreduce/joins.js";
import { runJob } from "../../../batch-stream/mapreduce/run.js";
import { Trace } from "../../../shared/trace.js";

const workers = ["w1", "w2", "w3"];
const sorted = (s: string) =>
  s
    .split("\n")
    .filter((l) => l !== "")
    .sort();

function setup(seed: number) {
  const data = generateJoinData(seed, 3 + (seed % 12), 20 + seed * 7, (seed % 4) * 0.2);
  const dfs = new Dfs(40, workers);
  dfs.put(PROFILES, data.profiles);
  dfs.put(EVENTS, data.events);
  const run = (job: Job) =>
    runJob(Trace.silent(), dfs, job, {
      seed,
      workers,
      variant: "correct",
      speculative: true,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    });
  return { data, dfs, run };
}

describe("joins", () => {
  it("by hand: one profile, two events, one event without a profile", () => {
    const dfs = new Dfs(10, workers);
    dfs.put(PROFILES, ["u1\t1980"]);
    dfs.put(EVENTS, ["u1\t/a", "u2\t/b", "u1\t/c"]);
    const r = runJob(Trace.silent(), dfs, sortMergeJoinJob("/o", 2), {
      seed: 1,
      workers,
      variant: "correct",
      speculative: true,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    });
    expect(sorted(r.output)).toEqual(["/a\tu1\t1980", "/c\tu1\t1980"]);
  });

  it("every strategy equals the join computed in memory over 25 random inputs", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { data, dfs, run } = setup(seed);
      const expected = inMemoryJoin(data);
      const msg = `seed ${seed}`;
      expect(sorted(run(sortMergeJoinJob("/o/sm", 3)).output), msg).toEqual(expected);
      expect(sorted(run(broadcastHashJoinJob("/o/bc")).output), msg).toEqual(expected);
      run(partitionByUserJob(PROFILES, "/p/profiles", 3));
      run(partitionByUserJob(EVENTS, "/p/events", 3));
      expect(
        sorted(run(partitionedHashJoinJob("/p/events", "/p/profiles", "/o/ph")).output),
        msg,
      ).toEqual(expected);
      const spread = new Map([["u0", 3]]);
      expect(sorted(run(pigSkewedJoinJob("/o/pig", 3, spread)).output), msg).toEqual(expected);
      const hot = new Set(["u0"]);
      const layout = hiveSkewedLayout(data.events, hot);
      dfs.put(HIVE_SKEWED, layout.skewed);
      dfs.put(HIVE_REST, layout.rest);
      const hive = [
        ...sorted(run(hiveHotKeyJoinJob("/o/hh", hot)).output),
        ...sorted(run(sortMergeJoinJob("/o/hr", 3, { events: HIVE_REST })).output),
      ].sort();
      expect(hive, msg).toEqual(expected);
    }
  });

  it("Pig's partitioner: a hot user's events round robin over its reducers, its profile to each", () => {
    const job = pigSkewedJoinJob("/o", 3, new Map([["u0", 3]]));
    const [profiles, events] = job.inputs as [JobInput, JobInput];
    const sent = (input: JobInput, lines: string[]) => {
      const to: [string, number | undefined][] = [];
      const context = {
        recordIndex: 0,
        emit: (key: string, _v: unknown, partition?: number) =>
          to.push([key.slice(0, key.indexOf("\u0000")), partition]),
        side: () => [],
      };
      lines.forEach((line, i) => {
        context.recordIndex = i;
        input.map(line, context);
      });
      return to;
    };
    // u0's events at positions 0, 3 and 6 of the block: its first, second and third event.
    const u0 = sent(events, ["u0\t/a", "u1\t/x", "u2\t/y", "u0\t/b", "u1\t/x", "u2\t/y", "u0\t/c"])
      .filter(([user]) => user === "u0")
      .map(([, p]) => p as number);
    const first = u0[0] as number;
    expect(u0).toEqual([first, (first + 1) % 3, (first + 2) % 3]);
    // The profile goes to the same three reducers.
    const profile = sent(profiles, ["u0\t1980"]).map(([, p]) => p);
    expect([...profile].sort()).toEqual([0, 1, 2]);
  });

  it("Pig's skewed join spreads the celebrity over its reducers", () => {
    const { dfs, run } = setup(1);
    // 600 events, 60% of them by u0: one reducer gets at least 360 in the plain sort-merge join.
    const data = generateJoinData(1, 10, 600, 0.6);
    dfs.put(PROFILES, data.profiles);
    dfs.put(EVENTS, data.events);
    const plain = run(sortMergeJoinJob("/o/sm", 3));
    const pig = run(pigSkewedJoinJob("/o/pig", 3, new Map([["u0", 3]])));
    expect(Math.max(...plain.reducerLoads)).toBeGreaterThanOrEqual(360);
    expect(Math.max(...pig.reducerLoads)).toBeLessThan(Math.max(...plain.reducerLoads));
  });

  it("the broken secondary sort (events before the profile) loses rows, and the comparison sees it", () => {
    let caught = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const { data, run } = setup(seed);
      const broken = sorted(run(sortMergeJoinJob("/o/b", 3, { eventsFirst: true })).output);
      if (JSON.stringify(broken) !== JSON.stringify(inMemoryJoin(data))) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });
});
