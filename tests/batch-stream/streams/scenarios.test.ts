/**
 * The stream-joins and cdc-and-event-sourcing scenarios as a user runs them: every check that
 * should hold holds over seeds and flag values, the broken variants' checks are violated at the
 * defaults (the story shows its anomalies), --json parses, and bad flags are refused in one line.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchStream } from "../../../batch-stream/main.js";
import { prefixesValid } from "../../../batch-stream/scenarios/cdc-and-event-sourcing.js";
import type { Event } from "../../../batch-stream/streams/event-store.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { expectCompleted, expectGolden, runInProcess } from "../../shared/fixtures/cli.js";

type Check = Extract<TraceEvent, { kind: "check" }>;

async function checksOf(args: string[]): Promise<{ code: number; checks: Check[] }> {
  const { code, stdout } = await runInProcess(batchStream, [...args, "--json"]);
  const events = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as TraceEvent);
  return { code, checks: events.filter((e): e is Check => e.kind === "check") };
}

describe.each(["stream-joins", "cdc-and-event-sourcing"])("%s", (scenario) => {
  it("at the defaults: every expected check holds and every broken variant's check is violated", async () => {
    const { code, checks } = await checksOf([scenario]);
    expect(code).toBe(0);
    expect(checks.filter((c) => c.expected).every((c) => c.held === true)).toBe(true);
    const broken = checks.filter((c) => !c.expected);
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.map((c) => [c.name, c.held])).toEqual(broken.map((c) => [c.name, false]));
  });

  it.each([2, 3, 5, 8, 13, 21, 34, 55])(
    "seed %i: exit 0, no expected check violated",
    async (seed) => {
      const { code, checks } = await checksOf([scenario, "--seed", String(seed)]);
      expect(code, `npx tsx batch-stream/main.ts ${scenario} --seed ${seed}`).toBe(0);
      expect(checks.filter((c) => c.expected && c.held === false)).toEqual([]);
    },
  );

  it("refuses a bad flag in one line with exit 2", async () => {
    const flag = scenario === "stream-joins" ? "--searches" : "--writes";
    const result = await runInProcess(batchStream, [scenario, flag, "-1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(result.stdout).toBe("");
  });
});

describe("golden traces", () => {
  it.each(["stream-joins", "cdc-and-event-sourcing"])(
    "%s at the defaults matches its golden trace (UPDATE_GOLDEN=1 to redraw it, on purpose)",
    async (scenario) => {
      const run = await runInProcess(batchStream, [scenario]);
      expectCompleted(run);
      const golden = join(import.meta.dirname, "golden", `${scenario}.golden.txt`);
      const { expected, actual } = expectGolden(golden, run.stdout);
      expect(actual).toBe(expected);
    },
  );
});

describe("determinism", () => {
  it.each(["stream-joins", "cdc-and-event-sourcing"])(
    "%s: the same seed prints the same output; another seed does not",
    async (scenario) => {
      const run = (seed: string) =>
        runInProcess(batchStream, [scenario, "--seed", seed, "--no-color"]);
      const [a, b, c] = [await run("7"), await run("7"), await run("8")];
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout.replaceAll("seed 7", "seed 8")).not.toBe(c.stdout);
    },
  );
});

describe("the event log's validity check", () => {
  it("rejects a log that overbooks the show or cancels seats not held, at any prefix", () => {
    const book = (user: string, seats: number): Event => ({ kind: "SeatsBooked", user, seats });
    const cancel = (user: string, seats: number): Event => ({
      kind: "BookingCancelled",
      user,
      seats,
    });
    expect(prefixesValid(5, [book("ann", 3), book("ben", 2), cancel("ann", 3)])).toBe(true);
    expect(prefixesValid(5, [book("ann", 3), book("ben", 3)])).toBe(false);
    // Cancelling first and booking later ends in a valid state, but the first prefix is not.
    expect(prefixesValid(5, [cancel("ann", 1), book("ann", 2)])).toBe(false);
  });
});

describe("flag edges", () => {
  it.each([
    ["stream-joins", "--searches", "0"],
    ["stream-joins", "--activities", "0"],
    ["stream-joins", "--social-events", "0"],
    ["stream-joins", "--out-of-order", "0"],
    ["stream-joins", "--out-of-order", "59"],
    ["cdc-and-event-sourcing", "--writes", "0"],
    ["cdc-and-event-sourcing", "--writes", "1"],
    ["cdc-and-event-sourcing", "--keys", "1"],
    ["cdc-and-event-sourcing", "--crash", "0"],
    ["cdc-and-event-sourcing", "--crash", "20"],
    ["cdc-and-event-sourcing", "--commit-every", "1"],
    ["cdc-and-event-sourcing", "--commands", "0"],
    ["cdc-and-event-sourcing", "--capacity", "1"],
  ])("%s %s %s completes as expected", async (scenario, flag, value) => {
    const result = await runInProcess(batchStream, [scenario, flag, value]);
    expect(result.stdout).toMatch(/run completed as expected/);
    expect(result.code).toBe(0);
  });
});

describe("checks with nothing to judge", () => {
  it("stream-joins --out-of-order 0: the processing-time join cannot go wrong, so its checks are not exercised", async () => {
    const result = await runInProcess(batchStream, ["stream-joins", "--out-of-order", "0"]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^○ as of processing time: /gm)).toHaveLength(2);
    expect(result.stdout).not.toMatch(/^✔ as of processing time: /m);
    expect(result.stdout).toMatch(/^✔ versioned: every view is joined/m);
  });
});
