/**
 * The data-modeling CLI as a user meets it: every scenario runs on SQLite and ends as documented,
 * --json is NDJSON with every SQL statement, bad input gets one line and exit 2, and the tour's
 * plain output matches its golden file (UPDATE_GOLDEN=1 to regenerate, then review the diff).
 */
import { describe, expect, it } from "vitest";
import { dataModeling } from "../../data-modeling/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
  spawnMain,
} from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(dataModeling, argv);

describe("every scenario", () => {
  it.each(dataModeling.scenarios.map((s) => s.name))(
    "%s runs, prints its SQL, ends with its checks, and exits 0",
    async (name) => {
      const result = await run([name]);
      expectCompleted(result);
      expect(result.stdout).toMatch(/sql> (CREATE|SELECT|WITH)/);
    },
  );

  it.each(dataModeling.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line, queries included",
    async (name) => {
      const events = expectNdjson(await run([name, "--json"]));
      expect(events.some((e) => e.kind === "query" && e.language === "sql")).toBe(true);
    },
  );

  it("denormalization --missed-fan-out names the rows that disagree, and exits 0 as a broken variant should", async () => {
    const { code, stdout } = await run(["denormalization", "--missed-fan-out"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /✘ every product page agrees with the normalized tables: \d+ field\(s\) disagree: product \d+ seller_name is "/,
    );
  });

  it("--verbose shows the bulk INSERT statements that the default hides", async () => {
    const normal = (await run(["schema-flexibility"])).stdout;
    const verbose = (await run(["schema-flexibility", "--verbose"])).stdout;
    expect(normal).not.toMatch(/INSERT INTO users VALUES/);
    expect(verbose).toMatch(/INSERT INTO users VALUES \(\?, \?\)\s+-- \[1,"Ada Lovelace"\]/);
  });
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(dataModeling, import.meta.dirname));
});

// Spawning node with tsx takes seconds on a loaded machine: these tests wait for it, they do not
// time it.
describe("bad input, as a user's shell sees it", { timeout: 30_000 }, () => {
  it.each([
    [
      ["resume", "--profiles", "0"],
      /^error: option '--profiles <count>' argument '0' is invalid\. must be an integer from 1 to 10000$/,
    ],
    [
      ["normalization", "--orders", "abc"],
      /^error: option '--orders <count>' argument 'abc' is invalid/,
    ],
    [["graph", "--people", "-1"], /^error: option '--people <count>' argument '-1' is invalid/],
    [
      ["document"],
      /^error: unknown scenario 'document' \(choose from: resume, .*schema-flexibility\)$/,
    ],
  ])("%j exits 2 with one line naming the problem, and no stack trace", (args, message) =>
    expectUsageError("data-modeling", args, message),
  );

  it("a good run through the real entry point exits 0", () => {
    const result = spawnMain("data-modeling", ["graph", "--quiet"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Summary: 4 held, 0 violated; run completed as expected\./);
  });
});
