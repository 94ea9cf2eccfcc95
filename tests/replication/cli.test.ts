/** The replication CLI: every scenario runs and ends as documented, --json parses, bad input, golden tour. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replication } from "../../replication/main.js";
import type { TraceEvent } from "../../shared/trace.js";
import { expectGolden, expectUsageError, runInProcess } from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(replication, argv);

describe("every scenario", () => {
  it.each(replication.scenarios.map((s) => s.name))(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const { code, stdout, stderr } = await run([name]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toMatch(/✔/);
      expect(stdout.trimEnd().split("\n").at(-1)).toMatch(
        /^Summary: \d+ held, \d+ violated; run completed as expected\.$/,
      );
    },
  );

  it.each(replication.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line",
    async (name) => {
      const { code, stdout } = await run([name, "--json", "--seed", "2"]);
      expect(code).toBe(0);
      const events = stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as TraceEvent);
      expect(events[0]?.kind).toBe("start");
      expect(events.at(-1)?.kind).toBe("summary");
    },
  );
});

describe("the tour", () => {
  it("matches its golden plain output", async () => {
    const { code, stdout } = await run([]);
    expect(code).toBe(0);
    const { expected, actual } = expectGolden(
      join(import.meta.dirname, "golden", "tour.golden.txt"),
      stdout,
    );
    expect(actual).toBe(expected);
  });
});

describe("bad input, as a user's shell sees it", () => {
  it.each([
    [
      ["sync-vs-async", "--mode", "eventual"],
      /^error: option '--mode <mode>' argument 'eventual' is invalid\. must be one of sync, semi-sync, async$/,
    ],
    [
      ["sync-vs-async", "--followers", "0"],
      /^error: option '--followers <count>' argument '0' is invalid/,
    ],
    [["paxos"], /^error: unknown scenario 'paxos' \(choose from: sync-vs-async, .*\)$/],
    [["quorum", "--w", "4"], /^error: --w 4 cannot exceed --n 3$/],
  ])("%j exits 2 with one line naming the problem, and no stack trace", (args, message) =>
    expectUsageError("replication", args, message),
  );
});
