/** The replication CLI: every scenario runs and ends as documented, --json parses, bad input, golden tour. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { replication } from "../../replication/main.js";
import { parseJepsenHistory } from "../../shared/check/jepsen.js";
import { runChecker } from "../../shared/check/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
  spawnMain,
} from "../shared/fixtures/cli.js";
import { testDir } from "../shared/fixtures/temp.js";

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

describe("--export-history", () => {
  const exporting = replication.scenarios
    .filter((s) => (s.options ?? []).some((o) => o.flags.startsWith("--export-history")))
    .map((s) => s.name);

  it("is on the scenarios whose point is a checked client history", () => {
    expect(exporting.sort()).toEqual([
      "failover",
      "quorum",
      "read-from-followers",
      "sync-vs-async",
    ]);
  });

  it.each(exporting)(
    "%s writes a history the checker's command line reads and judges",
    async (name) => {
      const dir = testDir("export");
      const path = join(dir, `${name}.edn`);
      expectCompleted(await run([name, "--export-history", path]));
      const history = parseJepsenHistory(readFileSync(path, "utf8"), { independent: true });
      expect(history.length).toBeGreaterThan(50);
      const out: string[] = [];
      const code = runChecker(
        ["linearizability", "--model", "register", "--independent", path],
        (t) => void out.push(t),
        (t) => void out.push(t),
      );
      // A verdict (0 or 1), never a complaint about the file (2).
      expect([0, 1]).toContain(code);
      expect(out.join("")).toContain(`${path}: `);
    },
  );
});

describe("--export-history to a path that cannot be written", () => {
  it.each([
    [
      "a folder that does not exist",
      () => join(testDir("export"), "missing", "h.edn"),
      /there is no folder/,
    ],
    ["a folder", () => testDir("export"), /is a folder, not a file/],
  ])("is refused in one line, exit 2, before the run: %s", (_what, path, message) => {
    const result = spawnMain("replication", ["quorum", "--export-history", path()]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: option '--export-history <file>' argument .* is invalid\./);
    expect(lines[0]).toMatch(message);
  });
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
