/**
 * The unix scenario: its checks hold at the defaults and at other flags, and say "not exercised"
 * when the log is empty. The broken variants behind its checks (a merge that drops records, a
 * merge past the budget, ranges not moved to a line boundary) are run in external-sort.test.ts
 * and scan.test.ts.
 */
import { describe, expect, it } from "vitest";
import { batchStream } from "../../../batch-stream/main.js";
import type { TraceEvent } from "../../../shared/trace.js";
import { runInProcess } from "../../shared/fixtures/cli.js";

async function checks(argv: string[]) {
  const run = await runInProcess(batchStream, ["unix", "--json", ...argv]);
  expect(run.code).toBe(0);
  return run.stdout
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as TraceEvent)
    .filter((e): e is Extract<TraceEvent, { kind: "check" }> => e.kind === "check");
}

describe("unix scenario", () => {
  it("every check holds, at the defaults and at other flags", async () => {
    for (const argv of [
      [],
      ["--seed", "9", "--lines", "5000", "--ranges", "64", "--memory-records", "3"],
      ["--lines", "7", "--top", "50", "--ranges", "1", "--memory-records", "1000"],
    ]) {
      const found = await checks(argv);
      expect(found.map((c) => c.held)).toEqual([true, true, true, true]);
    }
  }, 60_000);

  it("an empty log leaves every check not exercised", async () => {
    const found = await checks(["--lines", "0"]);
    expect(found.map((c) => c.held)).toEqual([null, null, null, null]);
  });

  it("the external sort's merge passes at the defaults, worked by hand", async () => {
    // 2,000 URLs in runs of 16 make 125 runs; merges of 15 make 9, then one final merge: 2 passes.
    const run = await runInProcess(batchStream, ["unix", "--json"]);
    const table = run.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as TraceEvent)
      .find((e) => e.kind === "table" && e.title === "Counting 2,000 URLs");
    expect(table?.kind === "table" && table.rows[1]?.slice(1)).toEqual([16, 125, 2, 4000]);
  }, 30_000);
});
