/**
 * Replicas that missed writes converge through anti-entropy with Merkle trees, exchanging only
 * the ranges that differ (DDIA ch. 5, "Read repair and anti-entropy").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { antiEntropy, type Store } from "../leaderless/merkle.js";
import { REF } from "../refs.js";

export interface AntiEntropyRun {
  converged: boolean;
  entriesSent: number;
  hashesCompared: number;
  fullCopy: number;
  missed: number[];
}

/** Three replicas; every write reaches each replica with probability 1 - missRate. */
export function runAntiEntropy(
  seed: number,
  keys: number,
  writes: number,
  missRate: number,
  depth: number,
): AntiEntropyRun {
  const random = new Random(seed).fork("writes");
  const replicas: Store[] = [new Map(), new Map(), new Map()];
  const versions = new Map<string, number>();
  for (let i = 0; i < writes; i++) {
    const key = `key-${random.int(0, keys - 1)}`;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    let delivered = 0;
    for (const replica of replicas) {
      if (!random.chance(missRate)) {
        replica.set(key, { value: `v${version}`, version });
        delivered++;
      }
    }
    // Every write reached at least one replica (otherwise it was never acknowledged anywhere).
    if (delivered === 0) (replicas[0] as Store).set(key, { value: `v${version}`, version });
  }
  const missed = replicas.map(
    (r) => [...versions].filter(([k, v]) => r.get(k)?.version !== v).length,
  );
  let entriesSent = 0;
  let hashesCompared = 0;
  // A round of pairwise exchanges, as a background process would run them.
  for (const [i, j] of [
    [0, 1],
    [1, 2],
    [0, 2],
  ] as const) {
    const cost = antiEntropy(replicas[i] as Store, replicas[j] as Store, depth);
    entriesSent += cost.entriesSent;
    hashesCompared += cost.hashesCompared;
  }
  const reference = JSON.stringify([...(replicas[0] as Store)].sort());
  return {
    converged:
      replicas.every((r) => JSON.stringify([...r].sort()) === reference) &&
      replicas.every((r) => [...versions].every(([k, v]) => r.get(k)?.version === v)),
    entriesSent,
    hashesCompared,
    fullCopy: replicas.reduce((sum, r) => sum + r.size, 0) * 2,
    missed,
  };
}

export const antiEntropyScenario: Scenario<{ keys: number; writes: number; depth: number }> = {
  name: "anti-entropy",
  summary:
    "replicas that missed writes converge by comparing Merkle trees and exchanging only the ranges that differ",
  options: [
    option("--keys <count>", "keys in the store", integer(1, 100_000), 2_000),
    option(
      "--writes <count>",
      "writes, each missing a replica now and then",
      integer(1, 1_000_000),
      5_000,
    ),
    option(
      "--depth <levels>",
      "depth of the Merkle trees (2^depth leaf ranges)",
      integer(1, 16),
      10,
    ),
  ],
  run: ({ trace, seed }, { keys, writes, depth }) => {
    trace.section("Anti-entropy with Merkle trees", REF.readRepair);
    trace.note(
      `Three replicas of ${keys} keys receive ${writes} writes, each write missing each replica with probability 0.002 (a lost message, a node briefly down). Read repair would fix only the keys someone reads; a background process compares Merkle trees instead: ${1 << depth} leaf ranges by key hash, an inner node hashing its children, and only differing branches descended.`,
      { ref: REF.readRepair },
    );
    const run = runAntiEntropy(seed, keys, writes, 0.002, depth);
    trace.note(
      `Before the exchange, the replicas lack the latest version of ${run.missed.join(", ")} keys.`,
    );
    trace.table(
      "One round of pairwise exchanges",
      ["measure", "count"],
      [
        ["tree hashes compared", run.hashesCompared],
        ["entries sent", run.entriesSent],
        ["entries a full copy would send (each pair, both ways)", run.fullCopy],
      ],
    );
    trace.check(
      "after one round of anti-entropy, every replica holds the latest version of every key",
      run.converged,
      { ref: REF.readRepair },
    );
    trace.check(
      "anti-entropy sent far less than a full copy",
      run.entriesSent * 10 < run.fullCopy,
      {
        detail: `${run.entriesSent} entries against ${run.fullCopy}`,
      },
    );
  },
};
