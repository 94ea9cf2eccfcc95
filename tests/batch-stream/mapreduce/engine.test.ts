/**
 * The MapReduce engine (DDIA ch. 10, "MapReduce Job Execution"; Dean and Ghemawat 2004, 3.3):
 * with deterministic map and reduce functions, the committed output does not depend on crashes,
 * stragglers, backup tasks, or lost and duplicated messages; without the commit by rename, a task
 * that runs twice writes twice, and the same comparison sees it.
 */
import { describe, expect, it } from "vitest";
import { Dfs } from "../../../batch-stream/mapreduce/dfs.js";
import { mergeRuns, partitionSortCombine } from "../../../batch-stream/mapreduce/job.js";
import {
  generateRequests,
  LOG_PATH,
  topJob,
  urlCountJob,
} from "../../../batch-stream/mapreduce/jobs.js";
import { type JobRunOptions, runJob } from "../../../batch-stream/mapreduce/run.js";
import { Trace } from "../../../shared/trace.js";

const workers = ["w1", "w2", "w3", "w4"];

function run(seed: number, options: Partial<JobRunOptions>, trace = Trace.silent()) {
  const dfs = new Dfs(100, workers);
  dfs.put(LOG_PATH, generateRequests(seed, 600, 40));
  const r = runJob(trace, dfs, urlCountJob("/out", 3), {
    seed,
    workers,
    variant: "correct",
    speculative: true,
    crashes: 0,
    loss: 0,
    duplicate: 0,
    ...options,
  });
  return { r, dfs };
}

/** The faults a seed picks: a straggler, random crashes, loss and duplication. */
function faultsOf(seed: number): Partial<JobRunOptions> {
  return {
    straggler: seed % 2 === 0 ? "w4" : undefined,
    speculative: seed % 3 !== 0,
    randomCrashes: seed % 3,
    randomCrashWindowMs: 1_200,
    crashes: seed % 4 === 0 ? 1 : 0,
    loss: (seed % 5) * 0.04,
    duplicate: (seed % 7) * 0.03,
  };
}

describe("the committed output", () => {
  it("counts by hand: three records of one URL and one of another", () => {
    const dfs = new Dfs(2, workers);
    dfs.put(LOG_PATH, ["a /x", "b /y", "c /x", "d /x"]);
    const r = runJob(Trace.silent(), dfs, urlCountJob("/out", 1), {
      seed: 1,
      workers,
      variant: "correct",
      speculative: true,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    });
    expect(r.output).toBe("/x\t3\n/y\t1\n");
    // Two blocks of two records: two map tasks; the combiner turns block 2's (/x, 1), (/x, 1) into one.
    expect(r.mapTasks).toBe(2);
    expect(r.counters.combinedRecords).toBe(3);
  });

  it("is the failure-free run's, byte for byte, over 60 seeds of crashes, stragglers, backups, loss and duplication", () => {
    let reExecuted = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const clean = run(seed, {}).r;
      const faulty = run(seed, faultsOf(seed)).r;
      if (
        faulty.attempts.some((a) =>
          ["crashed", "output lost", "lost", "killed"].includes(a.outcome),
        )
      )
        reExecuted++;
      expect(faulty.completed, `replay: seed ${seed}`).toBe(true);
      expect(faulty.output, `replay: seed ${seed} ${JSON.stringify(faultsOf(seed))}`).toBe(
        clean.output,
      );
    }
    // The faults were not idle: in most seeds some attempt was cut short and its task run again.
    expect(reExecuted).toBeGreaterThan(30);
  });

  it("a scripted crash halfway through a reduce task re-runs it and the crashed worker's completed map tasks", () => {
    const { r } = run(1, { crashes: 1 });
    const crashed = r.crashes[0];
    expect(crashed?.attempt).toMatch(/^r/);
    const lostMaps = r.attempts.filter((a) => a.outcome === "output lost");
    expect(lostMaps.length).toBeGreaterThan(0);
    expect(lostMaps.every((a) => a.worker === crashed?.worker)).toBe(true);
    // Each lost map output was produced again by a later attempt of the same task.
    for (const lost of lostMaps)
      expect(
        r.attempts.some(
          (a) =>
            a.task === lost.task &&
            a.kind === "map" &&
            a.outcome === "completed" &&
            a.startMs > lost.startMs,
        ),
      ).toBe(true);
  });

  it("the broken no-rename variant writes some output twice on some seeds, and the comparison sees it", () => {
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const clean = run(seed, {}).r;
      const broken = run(seed, { ...faultsOf(seed), crashes: 1, variant: "no-rename" }).r;
      if (broken.output !== clean.output) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });

  it("job 2 of the workflow reads job 1's committed output", () => {
    const { dfs } = run(3, { crashes: 1, straggler: "w4" });
    const top = runJob(Trace.silent(), dfs, topJob("/out", "/top", 3), {
      seed: 3,
      workers,
      variant: "correct",
      speculative: true,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    });
    const counts = dfs
      .inputFiles("/out")
      .flatMap((f) => dfs.read(f))
      .map((l) => l.split("\t"));
    const best = counts
      .sort((a, b) => Number(b[1]) - Number(a[1]) || (a[0] as string).localeCompare(b[0] as string))
      .slice(0, 3);
    expect(top.output).toBe(best.map(([u, n]) => `${u}\t${n}\n`).join(""));
  });
});

describe("the shuffle and the master's bookkeeping", () => {
  it("a reducer asks each worker once for all the map outputs it holds", () => {
    // 8 blocks of 100 records on 4 workers, 3 reducers, no faults: the 8 map outputs end up on
    // all 4 workers (checked below), so each of the 3 reduce attempts sends one Fetch to each of
    // the 4 workers: 12 requests, not 3 × 8 = 24, one per map output.
    const trace = new Trace({ messages: true });
    const dfs = new Dfs(100, workers);
    dfs.put(LOG_PATH, generateRequests(2, 800, 40));
    const r = runJob(trace, dfs, urlCountJob("/out", 3), {
      seed: 2,
      workers,
      variant: "correct",
      speculative: false,
      crashes: 0,
      loss: 0,
      duplicate: 0,
    });
    const holders = new Set(r.attempts.filter((a) => a.kind === "map").map((a) => a.worker));
    const fetches = trace.events.filter(
      (e) => e.kind === "send" && (e.msg as { type: string }).type === "Fetch",
    );
    expect(r.mapTasks).toBe(8);
    expect(holders.size).toBe(4);
    expect(fetches).toHaveLength(12);
  });

  it("a worker suspected only because its answers were lost is not said to have restarted", () => {
    // Heavy loss, no crashes: any worker the master marks failed was never down.
    let suspected = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const trace = new Trace();
      run(seed, { loss: 0.3 }, trace);
      const notes = trace.events.flatMap((e) =>
        e.kind === "note" && e.text.includes("answers pings again") ? [e.text] : [],
      );
      suspected += notes.length;
      for (const text of notes) expect(text).not.toMatch(/restarted|empty local disk/);
    }
    expect(suspected).toBeGreaterThan(0);
  });

  it("no attempt is left running once the job completes", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { r } = run(seed, { ...faultsOf(seed), loss: 0.2 });
      expect(r.completed, `seed ${seed}`).toBe(true);
      expect(
        r.attempts.filter((a) => a.outcome === "running"),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });
});

describe("the framework's steps", () => {
  it("partition, sort and combine; merge keeps map-task order for equal keys", () => {
    const job = { ...urlCountJob("/o", 1), combine: undefined };
    const [p] = partitionSortCombine(job, [
      { key: "b", value: 1 },
      { key: "a", value: 2 },
      { key: "b", value: 3 },
    ]);
    expect(p).toEqual([
      { key: "a", value: 2 },
      { key: "b", value: 1 },
      { key: "b", value: 3 },
    ]);
    expect(
      mergeRuns([
        [{ key: "b", value: "run0" }],
        [
          { key: "a", value: "run1" },
          { key: "b", value: "run1" },
        ],
      ]).map((r) => `${r.key}${r.value}`),
    ).toEqual(["arun1", "brun0", "brun1"]);
  });
});

describe("determinism", () => {
  it("the same seed gives the same trace", () => {
    const events = () => {
      const trace = new Trace({ messages: true });
      run(5, { ...faultsOf(5), crashes: 1 }, trace);
      return JSON.stringify(trace.events);
    };
    expect(events()).toBe(events());
  });
});
