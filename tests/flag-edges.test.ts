/**
 * Every scenario of every concept at the edges of its flags' ranges: a run that completes as the
 * scenario expects (exit 0), or a one-line usage error when the value conflicts with another
 * flag's default (exit 2), never a failed check or a stack trace.
 *
 * - Every numeric flag at its smallest value. A sweep of them found ownerless keys with one node,
 *   a salting scenario that salted nothing, and an anomaly that could not be shown with one order.
 * - Every probability flag at its largest value: a scenario that a flag in its range starves
 *   (every message lost) reports its checks as not exercised rather than failing them, or its
 *   range stops where the scenario can still show its point.
 * - Each scenario with its size flags all at their largest together (tests/<concept>/largest.ts),
 *   for the runs that take a few seconds; `npm run bench -- largest` times every one of them
 *   (each must finish in under 30 s).
 */
import { describe, expect, it } from "vitest";
import { batchStream } from "../batch-stream/main.js";
import { dataModeling } from "../data-modeling/main.js";
import { distributedTransactions } from "../distributed-transactions/main.js";
import { eventualConsistency } from "../eventual-consistency/main.js";
import { messageQueue } from "../message-queue/main.js";
import { replication } from "../replication/main.js";
import { sharding } from "../sharding/main.js";
import type { Concept } from "../shared/cli.js";
import { largest as batchStreamLargest } from "./batch-stream/largest.js";
import { largest as dataModelingLargest } from "./data-modeling/largest.js";
import { largest as distributedTransactionsLargest } from "./distributed-transactions/largest.js";
import { largest as eventualConsistencyLargest } from "./eventual-consistency/largest.js";
import { largest as messageQueueLargest } from "./message-queue/largest.js";
import { largest as replicationLargest } from "./replication/largest.js";
import { largest as shardingLargest } from "./sharding/largest.js";
import { runInProcess } from "./shared/fixtures/cli.js";

const cases = [
  sharding,
  dataModeling,
  replication,
  messageQueue,
  eventualConsistency,
  distributedTransactions,
  batchStream,
].flatMap((concept: Concept) =>
  concept.scenarios.flatMap((scenario) =>
    (scenario.options ?? []).flatMap((option) => {
      const min = /^(?:integer|number) (\S+) to /.exec(option.parser?.range ?? "")?.[1];
      const flag = option.flags.split(" ")[0] as string;
      return min === undefined ? [] : [{ concept, name: scenario.name, flag, min }];
    }),
  ),
);

/** A run at the edge of a range: completed as expected, or refused in one line. */
function expectCompletedOrRefused(result: { code: number; stdout: string; stderr: string }) {
  if (result.code === 2) expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  else {
    expect(result.stdout).toMatch(/run completed as expected/);
    expect(result.code).toBe(0);
  }
}

describe("every numeric flag at its smallest value", () => {
  it("covers the flags of all seven concepts", () => {
    expect(cases.length).toBeGreaterThan(80);
  });

  it.each(cases)("$concept.folder $name $flag $min", async ({ concept, name, flag, min }) => {
    expectCompletedOrRefused(await runInProcess(concept, [name, flag, min]));
  });
});

const probabilities = [
  sharding,
  dataModeling,
  replication,
  messageQueue,
  eventualConsistency,
  batchStream,
].flatMap((concept: Concept) =>
  concept.scenarios.flatMap((scenario) =>
    (scenario.options ?? []).flatMap((option) => {
      // "probability 0 to 1", or a decimal range narrowed below 1 ("number 0 to 0.9").
      const range = option.parser?.range ?? "";
      const max = /^probability 0 to 1$/.test(range)
        ? "1"
        : /^number 0 to (0\.\d+)$/.exec(range)?.[1];
      const flag = option.flags.split(" ")[0] as string;
      return max === undefined ? [] : [{ concept, name: scenario.name, flag, max }];
    }),
  ),
);

describe("every probability flag at its largest value", () => {
  it("covers the fault flags of the networked scenarios", () => {
    expect(probabilities.length).toBeGreaterThanOrEqual(20);
  });

  it.each(probabilities)(
    "$concept.folder $name $flag $max",
    async ({ concept, name, flag, max }) => {
      expectCompletedOrRefused(await runInProcess(concept, [name, flag, max]));
    },
  );
});

const largestRuns = [
  { concept: sharding, runs: shardingLargest },
  { concept: dataModeling, runs: dataModelingLargest },
  { concept: replication, runs: replicationLargest },
  { concept: messageQueue, runs: messageQueueLargest },
  { concept: eventualConsistency, runs: eventualConsistencyLargest },
  { concept: distributedTransactions, runs: distributedTransactionsLargest },
  { concept: batchStream, runs: batchStreamLargest },
];

describe("each scenario with its size flags at their largest together", () => {
  it("lists every scenario of every concept once", () => {
    for (const { concept, runs } of largestRuns)
      expect(runs.map((r) => r.args[0]).sort(), concept.folder).toEqual(
        concept.scenarios.map((s) => s.name).sort(),
      );
  });

  // Fault counts are not sizes: a list may leave them at their defaults or raise them too. Nor is
  // --min-insync, a durability setting.
  const faultCounts = new Set(["--crash", "--partition", "--min-insync"]);
  // Flags whose heaviest value is not the top of the range, which the list chooses: a smaller
  // DFS block, sort budget or checkpoint interval means more map tasks, sorted runs or checkpoints
  // (mapreduce's blocks are bounded jointly with --records by its cap on map tasks).
  const chosen = new Set(["--block-records", "--memory-records", "--checkpoint-interval"]);
  it("sets every integer flag that is a size to the top of its range, so the lists keep up with the ranges", () => {
    for (const { concept, runs } of largestRuns) {
      for (const { args } of runs) {
        const scenario = concept.scenarios.find((s) => s.name === args[0]);
        const given = new Map<string, string>();
        for (let i = 1; i < args.length; i += 2)
          given.set(args[i] as string, args[i + 1] as string);
        for (const option of scenario?.options ?? []) {
          const max = /^integer \S+ to (\S+)$/.exec(option.parser?.range ?? "")?.[1];
          const flag = option.flags.split(" ")[0] as string;
          if (max === undefined || (faultCounts.has(flag) && !given.has(flag))) continue;
          if (chosen.has(flag)) {
            expect(given.has(flag), `${concept.folder} ${args[0]} ${flag}`).toBe(true);
            continue;
          }
          expect(given.get(flag), `${concept.folder} ${args[0]} ${flag}`).toBe(max);
        }
      }
    }
  });

  const fast = largestRuns.flatMap(({ concept, runs }) =>
    runs.filter((r) => r.fast).map((r) => ({ concept, args: r.args, shown: r.args.join(" ") })),
  );
  it.each(fast)("$concept.folder $shown", async ({ concept, args }) => {
    const result = await runInProcess(concept, args);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/run completed as expected/);
    expect(result.code).toBe(0);
  });
});
