/**
 * The `windows` scenario: its numbers at the defaults, worked by hand from the stream in
 * batch-stream/scenarios/windows.ts (the watermark every 10 s is the latest event time seen less
 * 10 s less 1 ms; allowed lateness 30 s), its checks shown to catch a tampered run, and its
 * golden trace.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkRun,
  HOPPING,
  type Options,
  runStream,
  SESSION,
  TUMBLING,
  windows,
} from "../../../batch-stream/scenarios/windows.js";
import type { Concept } from "../../../shared/cli.js";
import { Trace } from "../../../shared/trace.js";
import { expectCompleted, expectGolden, runInProcess } from "../../shared/fixtures/cli.js";

const DEFAULTS: Options = { outOfOrderness: 10_000, allowedLateness: 30_000, mode: "accumulating" };
const concept: Concept = {
  folder: "batch-stream",
  description: "windows",
  scenarios: [windows],
  tour: ["windows"],
};

const rows = (run: ReturnType<typeof runStream>) =>
  run.panes.map((p) => [p.key, p.start / 1000, p.end / 1000, p.value, p.timing, p.pane]);

describe("windows at the defaults, by hand", () => {
  it("tumbling minutes: blue's tunnel points correct [0:00, 1:00) twice; the old phone's point is dropped", () => {
    const run = runStream(TUMBLING, DEFAULTS, 1);
    expect(rows(run)).toEqual([
      // 1:20: the latest event time seen is 1:15, so the watermark is 1:04.999 >= 0:59.999.
      ["blue", 0, 60, 2, "ON_TIME", 0],
      ["red", 0, 60, 8, "ON_TIME", 0], // 3 + 1 + 4
      // 1:48: blue's 0:41 and 0:58, behind 1:04.999 but before 0:59.999 + 30 s = 1:29.999.
      ["blue", 0, 60, 7, "LATE", 1], // 2 + 5
      ["blue", 0, 60, 8, "LATE", 2], // 2 + 5 + 1
      // 2:30: the latest is 2:20, the watermark 2:09.999 >= 1:59.999.
      ["blue", 60, 120, 3, "ON_TIME", 0],
      ["red", 60, 120, 5, "ON_TIME", 0], // 2 + 1 + 2
      // 3:00: blue's 0:35 finds the watermark at 2:09.999 >= 1:29.999: dropped.
      // End of input: the final watermark fires [2:00, 3:00).
      ["blue", 120, 180, 2, "ON_TIME", 0],
      ["red", 120, 180, 6, "ON_TIME", 0], // 5 + 1
    ]);
    expect(run.stats.dropped).toBe(1);
  });

  it("hopping windows take the old phone's point into [0:00, 2:00), which is still open", () => {
    // [0:00, 2:00) fired at 2:30 (2:09.999 >= 1:59.999) and is late only from 2:29.999: at 3:00
    // the watermark is 2:09.999, so it takes the point (11 + 4 = 15) while [-1:00, 1:00) refuses it.
    const run = runStream(HOPPING, DEFAULTS, 1);
    expect(run.stats.dropped).toBe(0);
    expect(rows(run)).toContainEqual(["blue", 0, 120, 15, "LATE", 1]);
  });

  it("sessions: blue's tunnel points join the session of 0:12, which had fired", () => {
    const run = runStream(SESSION, DEFAULTS, 1);
    // 1:00: watermark 0:41.999 >= 0:41.999 fires [0:12, 0:42). At 1:48 0:41 touches it (cleaned
    // only at 1:11.999), making [0:12, 1:11); 0:58 makes [0:12, 1:28), which fires
    // at the 1:50 tick (the watermark 1:33.999, from 1:44, reaches 1:27.999) as pane 1: 2 + 5 + 1.
    expect(rows(run).filter((r) => r[0] === "blue")).toEqual([
      ["blue", 12, 42, 2, "ON_TIME", 0],
      ["blue", 12, 88, 8, "ON_TIME", 1],
      ["blue", 90, 120, 3, "ON_TIME", 0],
      ["blue", 140, 170, 2, "ON_TIME", 0],
    ]);
    expect(run.stats.dropped).toBe(1); // 0:35's [0:35, 1:05) is late: 1:04.999 + 30 s <= 2:09.999
  });
});

describe("the scenario's checks catch a wrong run", () => {
  const verdicts = (run: ReturnType<typeof runStream>, options = DEFAULTS) => {
    const trace = new Trace();
    checkRun(trace, "t", TUMBLING, run, options);
    return trace.checks().map((c) => c.held);
  };
  it("the true run passes all three", () => {
    expect(verdicts(runStream(TUMBLING, DEFAULTS, 1))).toEqual([true, true, true]);
  });
  it("a late pane one point off", () => {
    const run = runStream(TUMBLING, DEFAULTS, 1);
    run.panes[2] = { ...(run.panes[2] as (typeof run.panes)[number]), value: 8 };
    expect(verdicts(run)).toEqual([false, true, true]);
  });
  it("a final pane one point off", () => {
    const run = runStream(TUMBLING, DEFAULTS, 1);
    run.panes[3] = { ...(run.panes[3] as (typeof run.panes)[number]), value: 9 };
    expect(verdicts(run)).toEqual([false, true, false]);
  });
  it("a drop not counted", () => {
    const run = runStream(TUMBLING, DEFAULTS, 1);
    run.stats.dropped = 0;
    expect(verdicts(run)).toEqual([true, false, true]);
  });
});

describe("sessions without allowed lateness: a session reopened beside one cleaned up", () => {
  const options: Options = { ...DEFAULTS, allowedLateness: 0 };
  const sessionCheck = (run: ReturnType<typeof runStream>) => {
    const trace = new Trace();
    checkRun(trace, "s", SESSION, run, options);
    const [check] = trace.checks();
    return { held: check?.held, expected: check?.expected };
  };
  it("blue's 0:41 opens [0:41, 1:11) beside [0:12, 0:42), cleaned up at 1:00: the batch job differs, as expected", () => {
    // 1:00: the watermark 0:41.999 fires [0:12, 0:42) and, with no lateness, cleans it up. At
    // 1:48 (watermark 1:04.999) 0:41's own window [0:41, 1:11) is not late (1:10.999 > 1:04.999),
    // so it opens a session, which 0:58 grows to [0:41, 1:28): 5 + 1.
    const run = runStream(SESSION, options, 1);
    expect(rows(run).filter((r) => r[0] === "blue" && (r[1] as number) < 60)).toEqual([
      ["blue", 12, 42, 2, "ON_TIME", 0],
      ["blue", 41, 88, 6, "ON_TIME", 0],
    ]);
    expect(sessionCheck(run)).toEqual({ held: false, expected: false });
  });
  it("any other difference besides is not excused", () => {
    const run = runStream(SESSION, options, 1);
    const i = run.panes.findIndex((p) => p.key === "red");
    run.panes[i] = { ...(run.panes[i] as (typeof run.panes)[number]), value: 99 };
    expect(sessionCheck(run)).toEqual({ held: false, expected: true });
  });
});

describe("the scenario's output", () => {
  it("completes as expected at the defaults and matches its golden trace", async () => {
    const run = await runInProcess(concept, ["windows"]);
    expectCompleted(run);
    const { expected, actual } = expectGolden(
      join(import.meta.dirname, "golden", "windows.golden.txt"),
      run.stdout,
    );
    expect(actual).toBe(expected);
  });
  it.each([
    ["--out-of-orderness", "0", "--allowed-lateness", "0", "--mode", "discarding"],
    ["--out-of-orderness", "0", "--allowed-lateness", "10s"],
    ["--out-of-orderness", "1000d", "--allowed-lateness", "1000d"],
  ])("completes as expected with %s %s %s %s", async (...args) => {
    expectCompleted(await runInProcess(concept, ["windows", ...args]));
  });
});
