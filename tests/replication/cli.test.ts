/** The replication CLI: every scenario runs and ends as documented, --json parses, bad input, golden tour. */
import { describe, expect, it } from "vitest";
import { replication } from "../../replication/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
} from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(replication, argv);

describe("every scenario", () => {
  it.each(replication.scenarios.map((s) => s.name))(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const result = await run([name]);
      expectCompleted(result);
      expect(result.stdout).toMatch(/✔/);
    },
  );

  it.each(replication.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line",
    async (name) => {
      expectNdjson(await run([name, "--json", "--seed", "2"]));
    },
  );
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(replication, import.meta.dirname));
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
