/**
 * A check whose subject is empty in a run proves nothing, so it must come out "not exercised"
 * (held: null), never ✔ (issue 9, section 3). Each case below is a flag value in range where the
 * subject is empty: no key moved, no partition had to move, nothing split, no write reached the
 * celebrity, no node to spread to. And the converse: at the defaults, every check is exercised.
 */
import { describe, expect, it } from "vitest";
import { sharding } from "../../sharding/main.js";
import type { TraceEvent } from "../../shared/trace.js";
import { expectNdjson, runInProcess } from "../shared/fixtures/cli.js";

type Check = Extract<TraceEvent, { kind: "check" }>;

async function checksOf(argv: string[]): Promise<Check[]> {
  const result = await runInProcess(sharding, [...argv, "--json"]);
  return expectNdjson(result).filter((e): e is Check => e.kind === "check");
}

const cases: { argv: string[]; check: string; why: RegExp }[] = [
  {
    argv: ["jump-hash", "--keys", "1"],
    check: "adding a node moves keys only to the new node",
    why: /^no key moved: node-5 did not take the 1 key$/,
  },
  {
    argv: ["jump-hash", "--keys", "1"],
    check: "removing a node moves keys only away from the removed node",
    why: /^no key moved: node-4 did not hold the 1 key$/,
  },
  {
    argv: ["consistent-hashing", "--keys", "1"],
    check: "removing a node moves keys only away from the removed node",
    why: /^no key moved/,
  },
  {
    argv: ["rendezvous", "--keys", "1"],
    check: "adding a node moves keys only to the new node",
    why: /^no key moved/,
  },
  {
    argv: ["fixed-partitions", "--partitions", "1"],
    check: "only whole partitions move, and only to the new node",
    why: /^node-4 took no partition: 1 partition over 4 nodes comes to less than one each$/,
  },
  {
    argv: ["fixed-partitions", "--nodes", "64"],
    check: "only whole partitions move, and only to the new node",
    why: /^node-65 took no partition/,
  },
  {
    argv: ["dynamic-partitions", "--split-size", "100000"],
    check: "no partition holds more than the split threshold",
    why: /^2000 keys never pass the split threshold of 100000/,
  },
  {
    argv: ["dynamic-partitions", "--keys", "1"],
    check: "the number of partitions grows with the data",
    why: /nothing had to split$/,
  },
  {
    argv: ["hot-key", "--requests", "1"],
    check: "salting spreads the celebrity's writes over several nodes",
    why: /^no write went to user:1: there is nothing to spread$/,
  },
  {
    argv: ["hot-key", "--requests", "1"],
    check: "a read that gathers all sub-keys sees every write to the celebrity",
    why: /^no write went to user:1$/,
  },
  {
    argv: ["hot-key", "--nodes", "1"],
    check: "salting spreads the celebrity's writes over several nodes",
    why: /^all 100 sub-keys of user:1 live on node-1: there is no other node/,
  },
  {
    argv: ["hot-key", "--salt", "1"],
    check: "salting spreads the celebrity's writes over several nodes",
    why: /^the one sub-key of user:1 lives on node-\d+: there is no other node/,
  },
  {
    argv: ["rebalance", "--partitions", "1"],
    check: "rebalancing finished once faults stopped",
    why: /^no partition had to move: 1 partition over 4 nodes/,
  },
  {
    argv: ["rebalance", "--nodes", "64"],
    check: "rebalancing finished once faults stopped",
    why: /^no partition had to move: 8 partitions over 65 nodes/,
  },
];

describe("checks with nothing to judge", () => {
  it.each(cases)("$argv.0 $argv.1 $argv.2: $check", async ({ argv, check, why }) => {
    const checks = await checksOf(argv);
    const found = checks.find((c) => c.name === check);
    expect(found?.held, `${check} in ${argv.join(" ")}`).toBeNull();
    expect(found?.detail).toMatch(why);
    // Not exercised is neither a violation nor a pass: the run still completes as expected.
    const result = await runInProcess(sharding, argv);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/○ .* \(not exercised\)/);
    expect(result.stdout).toMatch(/\d+ not exercised; run completed as expected\.$/m);
  });
});

describe("at the defaults", () => {
  it.each(sharding.scenarios.map((s) => s.name))("%s exercises every check", async (name) => {
    const checks = await checksOf([name]);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => c.held === null).map((c) => c.name)).toEqual([]);
  });
});

describe("flags that starve a scenario", () => {
  // Every message of the safety phase lost, or every fault at its maximum: clients get nothing
  // done until the faults stop, yet the run is judged on what it did do (the loaded keys, the
  // moves, the verifiers' reads) and completes; a scenario never fails just because a flag in
  // its range left it little to do.
  it.each([
    ["rebalance", "--loss", "1"],
    ["rebalance", "--loss", "1", "--duplicate", "1", "--crash", "20", "--partition", "20"],
    ["rebalance", "--loss", "1", "--unsafe"],
    ["rebalance", "--nodes", "1", "--partitions", "1", "--keys", "1", "--clients", "1"],
    ["hot-key", "--nodes", "1", "--requests", "1", "--salt", "1", "--keys", "1"],
    ["hot-key", "--skew", "0", "--keys", "100000", "--requests", "100"],
  ])("%s %s %s … completes as expected", async (...argv) => {
    const checks = await checksOf(argv);
    expect(checks.filter((c) => c.expected && c.held === false).map((c) => c.name)).toEqual([]);
    const result = await runInProcess(sharding, argv);
    expect(result.code).toBe(0);
  });
});
