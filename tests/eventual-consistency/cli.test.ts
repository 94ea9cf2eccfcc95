/**
 * The eventual-consistency CLI as a user meets it: every scenario runs and ends as documented,
 * --json is NDJSON, bad input gets one line and exit 2, the same seed prints the same trace, and
 * the tour's plain output matches its golden file (UPDATE_GOLDEN=1 to regenerate, then review).
 */
import { describe, expect, it } from "vitest";
import { eventualConsistency } from "../../eventual-consistency/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
} from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(eventualConsistency, argv);
const names = eventualConsistency.scenarios.map((s) => s.name);
// gossip's default run (225 runs up to N = 1,000) takes 2 to 3 s of CPU alone, more than vitest's
// 5 s default on the shared 2-core machine when run twice or under load.
const SLOW = 30_000;

describe("every scenario", () => {
  it("the nine scenarios of issue 11 are there", () => {
    expect([...names].sort()).toEqual(
      [
        "read-your-writes",
        "monotonic-reads",
        "consistent-prefix",
        "last-write-wins",
        "version-vectors",
        "crdts",
        "gossip",
        "cap",
        "consistency-models",
      ].sort(),
    );
  });

  it.each(names)(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const result = await run([name]);
      expectCompleted(result);
      expect(result.stdout).toMatch(/✔/);
    },
    SLOW,
  );

  it.each(names)(
    "%s --json prints one parsable event per line, and ends with a summary",
    async (name) => {
      const events = expectNdjson(await run([name, "--json", "--seed", "2"]));
      expect(events.at(-1)?.kind).toBe("summary");
    },
    SLOW,
  );

  it.each(names)(
    "%s: the same seed prints the same trace",
    async (name) => {
      const first = await run([name, "--seed", "7", "--no-color"]);
      const second = await run([name, "--seed", "7", "--no-color"]);
      expect(second.stdout).toBe(first.stdout);
    },
    SLOW,
  );
});

describe("bad input", () => {
  it("an unknown scenario is named, with the choices, in one line", () => {
    expectUsageError("eventual-consistency", ["eventual"], /unknown scenario 'eventual'/);
  });

  it.each(names)(
    "%s: an unknown flag and a malformed seed are refused in one line, exit 2",
    async (name) => {
      for (const [args, message] of [
        [["--no-such-flag"], /^error: unknown option '--no-such-flag'/],
        [["--seed", "x"], /^error: option '--seed <int>' argument 'x' is invalid/],
      ] as const) {
        const result = await run([name, ...args]);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
      }
    },
  );
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(eventualConsistency, import.meta.dirname));
});
