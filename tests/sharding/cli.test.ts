/**
 * The sharding CLI as a user meets it: every scenario runs and ends as documented, --json is
 * NDJSON, bad input gets one line and exit 2, and the tour's plain output matches its golden file
 * (regenerate on purpose with UPDATE_GOLDEN=1 and review the diff like code).
 */
import { describe, expect, it } from "vitest";
import { sharding } from "../../sharding/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
  spawnMain,
} from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(sharding, argv);

describe("every scenario", () => {
  it.each(sharding.scenarios.map((s) => s.name))(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const result = await run([name]);
      expectCompleted(result);
      expect(result.stdout).toMatch(/✔/);
    },
  );

  it.each(sharding.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line",
    async (name) => {
      const events = expectNdjson(await run([name, "--json", "--seed", "3"]));
      expect(events.some((e) => e.kind === "check")).toBe(true);
    },
  );

  it("rebalance --unsafe shows its anomaly and still exits 0 (a broken variant that behaves as expected)", async () => {
    const { code, stdout } = await run(["rebalance", "--unsafe"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✘ no acknowledged write is lost: \d+ key\(s\) lost/);
  });

  it("gives the same output for the same seed and different output for another", async () => {
    const a = (await run(["rebalance", "--json", "--seed", "11"])).stdout;
    expect((await run(["rebalance", "--json", "--seed", "11"])).stdout).toBe(a);
    expect((await run(["rebalance", "--json", "--seed", "12"])).stdout).not.toBe(a);
  });

  it("--verbose adds every message; --quiet keeps headings, summaries, tables and checks", async () => {
    const normal = (await run(["secondary-index"])).stdout;
    const verbose = (await run(["secondary-index", "--verbose"])).stdout;
    const quiet = (await run(["secondary-index", "--quiet"])).stdout;
    expect(verbose).toMatch(/→ partition-\d+ {2}\{"type":"WriteCar"/);
    expect(normal).not.toMatch(/"type":"WriteCar"/);
    expect(quiet.length).toBeLessThan(normal.length);
    expect(quiet).toMatch(/✔ the document-partitioned index sees a write/);
  });
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(sharding, import.meta.dirname));
});

describe("bad input, as a user's shell sees it", () => {
  const spawn = (args: string[]) => spawnMain("sharding", args);

  it.each([
    [
      ["--seed", "abc"],
      /^error: option '--seed <int>' argument 'abc' is invalid\. must be an integer from 0 to 4294967295$/,
    ],
    [
      ["hash-mod-n", "--nodes", "0"],
      /^error: option '--nodes <count>' argument '0' is invalid\. must be an integer from 1 to 64$/,
    ],
    [
      ["rebalance", "--loss", "1.5"],
      /^error: option '--loss <p>' argument '1\.5' is invalid\. must be a probability from 0 to 1$/,
    ],
    [["reshard"], /^error: unknown scenario 'reshard' \(choose from: key-range, .*compare\)$/],
    // Commander's "did you mean" hint joins the error's line (shared/cli.ts, oneLineError).
    [
      ["hash-mod-n", "--vnodes", "4"],
      /^error: unknown option '--vnodes' \(did you mean --nodes\?\)$/,
    ],
    [
      ["key-range", "--partitions", "many"],
      /^error: option '--partitions <count>' argument 'many' is invalid/,
    ],
  ])("%j exits 2 with one line naming the problem, and no stack trace", (args, message) =>
    expectUsageError("sharding", args, message),
  );

  it("a good run through the real entry point exits 0", async () => {
    const result = spawn(["jump-hash", "--keys", "500", "--quiet"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Summary: 3 held, 0 violated; run completed as expected\./);
  });
});
