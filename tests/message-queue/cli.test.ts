/**
 * The message-queue CLI as a user meets it: every scenario runs and ends as documented, --json is
 * NDJSON, bad input (including flags that contradict each other) gets one line and exit 2, and the
 * tour's plain output matches its golden file (UPDATE_GOLDEN=1 to regenerate, then review).
 */
import { describe, expect, it } from "vitest";
import { messageQueue } from "../../message-queue/main.js";
import {
  expectCompleted,
  expectNdjson,
  expectTourMatchesGolden,
  expectUsageError,
  runInProcess,
} from "../shared/fixtures/cli.js";

const run = (argv: string[]) => runInProcess(messageQueue, argv);

describe("every scenario", () => {
  it.each(messageQueue.scenarios.map((s) => s.name))(
    "%s runs, narrates, ends with its checks, and exits 0",
    async (name) => {
      const result = await run(
        [name, "--compare-seeds", "2"].slice(0, name === "replication" ? 3 : 1),
      );
      expectCompleted(result);
      expect(result.stdout).toMatch(/✔/);
    },
  );

  it.each(messageQueue.scenarios.map((s) => s.name))(
    "%s --json prints one parsable event per line",
    async (name) => {
      expectNdjson(
        await run([
          name,
          "--json",
          "--seed",
          "2",
          ...(name === "replication" ? ["--compare-seeds", "0"] : []),
        ]),
      );
    },
  );

  it("replication with acks=1 and unclean election still exits 0: its losses are expected", async () => {
    const { code } = await run([
      "replication",
      "--acks",
      "1",
      "--unclean",
      "--crash",
      "2",
      "--compare-seeds",
      "0",
    ]);
    expect(code).toBe(0);
  });
});

describe("a check with nothing to judge is not exercised, never ✔", () => {
  const outcomes = async (args: string[]) => {
    const events = expectNdjson(await run([...args, "--json"]));
    return Object.fromEntries(
      events.flatMap((e) => (e.kind === "check" ? [[e.name, e.held] as const] : [])),
    );
  };

  it.each([
    [
      ["competing-consumers", "--messages", "1"],
      [
        "every message except the poison one is processed at least once",
        "no message is processed twice",
        "messages are processed in queue order",
      ],
    ],
    [
      ["partitions", "--messages", "1"],
      [
        "every key's messages are read in the order they were sent (one key, one partition)",
        "the order across partitions is kept",
      ],
    ],
    [
      ["retention-and-compaction", "--updates", "1"],
      [
        "a consumer of the compacted topic ends with the same table as one that read every update",
        "compaction kept exactly one record per key outside the active segment",
        "tombstoned keys are gone from the table",
      ],
    ],
    [["replication", "--acks", "0"], ["no acknowledged message is lost"]],
    [
      ["replication", "--replication-factor", "1", "--min-insync", "1"],
      ["every replica's log equals its leader's once the faults stop (liveness)"],
    ],
  ])("%j", async (args, idle) => {
    const held = await outcomes(args);
    for (const name of idle) expect(held[name], name).toBeNull();
  });
});

describe("every sentence holds at every flag value", () => {
  it("consumer-groups with one consumer (no crash) does not speak of the same crash", async () => {
    const { stdout } = await run(["consumer-groups", "--consumers", "1"]);
    expect(stdout).not.toMatch(/same crash|crashes/);
    expect(stdout).toMatch(/no consumer crashed in this run/);
  });
});

describe("the tour", () => {
  it("matches its golden plain output", () =>
    expectTourMatchesGolden(messageQueue, import.meta.dirname));
});

describe("bad input, as a user's shell sees it", () => {
  it.each([
    [
      ["replication", "--acks", "2"],
      /^error: option '--acks <acks>' argument '2' is invalid\. must be one of 0, 1, all$/,
    ],
    [
      ["replication", "--min-insync", "3", "--replication-factor", "2"],
      /^error: --min-insync 3 cannot exceed --replication-factor 2$/,
    ],
    [
      ["replication", "--replication-factor", "4"],
      /^error: --replication-factor 4 needs at least as many --brokers \(got 3\)$/,
    ],
    [
      ["consumer-groups", "--assignor", "sticky"],
      /^error: option '--assignor <name>' argument 'sticky' is invalid\. must be one of range, roundrobin$/,
    ],
    [
      ["partitions", "--partitions", "0"],
      /^error: option '--partitions <count>' argument '0' is invalid/,
    ],
    [
      ["kafka"],
      /^error: unknown scenario 'kafka' \(choose from: competing-consumers, .*exactly-once\)$/,
    ],
  ])("%j exits 2 with one line naming the problem, and no stack trace", (args, message) =>
    expectUsageError("message-queue", args, message),
  );
});
