/**
 * Replicas that missed writes converge through anti-entropy with Merkle trees, exchanging only
 * the ranges that differ (DDIA ch. 5, "Read repair and anti-entropy").
 */

import {
  faultOptions,
  flag,
  integer,
  type OptionSpec,
  option,
  type Scenario,
} from "../../shared/cli.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import {
  type AntiEntropyCost,
  type AntiEntropyMessage,
  AntiEntropyReplica,
} from "../leaderless/anti-entropy.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

export interface AntiEntropyOptions extends FaultFlags {
  seed: number;
  keys: number;
  writes: number;
  depth: number;
  /** Broken variant when false: leaf hashes ignore versions and values. */
  hashValues: boolean;
}

export interface AntiEntropyRun {
  /** Per replica, the keys whose latest version it lacked when the writes stopped. */
  missed: number[];
  convergedAtMs: number | undefined;
  /** Anti-entropy's messages from the moment it started until convergence (or the time limit). */
  cost: AntiEntropyCost;
  /** Entries a full copy would send: every replica's whole store to each of the others. */
  fullCopy: number;
}

const WRITES_END_MS = 500;
const LIMIT_MS = 10_000;

/**
 * Crashes and partitions are planned within the writes' window, each over before anti-entropy
 * starts, so that they make replicas miss writes; `--help` says so instead of "during the run".
 * Loss and duplication go on through the exchange.
 */
function duringTheWrites(o: OptionSpec): OptionSpec {
  const when = `while the writes arrive (the first ${WRITES_END_MS} ms), each over before anti-entropy starts`;
  if (o.flags.startsWith("--crash "))
    return { ...o, description: `replica crashes (each followed by a restart) ${when}` };
  if (o.flags.startsWith("--partition "))
    return { ...o, description: `network partitions (each healed later) ${when}` };
  if (o.flags.startsWith("--duplicate "))
    return { ...o, description: `${o.description}, through the writes and anti-entropy` };
  return o;
}

/** Sends each write to every replica, once, without waiting: a lost message is a missed write. */
class Writer extends SimNode<AntiEntropyMessage, null, null> {
  protected initialVolatile(): null {
    return null;
  }
  onMessage(): void {}
}

/**
 * Three replicas take `writes` writes of `keys` keys over 500 ms, each sent once to each replica
 * over a network with the given faults, so some replicas miss some writes. Then anti-entropy starts
 * on every replica (one exchange every 100 ms, with the next peer in turn) and runs, still under
 * loss and duplication, until every replica holds the latest version of every key.
 */
export function runAntiEntropy(trace: Trace, options: AntiEntropyOptions): AntiEntropyRun {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 5_000_000 });
  const net = new Network<AntiEntropyMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 5,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const ids = ["replica-1", "replica-2", "replica-3"];
  const cost: AntiEntropyCost = { messages: 0, resent: 0, hashes: 0, entries: 0 };
  const replicas = ids.map((id) =>
    net.add(
      new AntiEntropyReplica(id, net, {
        peers: ids.filter((p) => p !== id),
        depth: options.depth,
        intervalMs: 100,
        hashValues: options.hashValues,
        cost,
      }),
    ),
  );
  const writer = net.add(new Writer("writer", net, null));
  const random = sim.random.fork("writes");
  const versions = new Map<string, number>();
  for (let i = 0; i < options.writes; i++) {
    const key = `key-${random.int(0, options.keys - 1)}`;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    sim.at((i * WRITES_END_MS) / options.writes, () => {
      for (const id of ids)
        writer.send(id, { type: "Put", entry: { key, value: `v${version}`, version } });
    });
  }
  injectFaults(net, ids, options, {
    startMs: 0,
    endMs: WRITES_END_MS,
    durationMsMin: 30,
    durationMsMax: 150,
  });
  sim.run(WRITES_END_MS + 20);

  // The latest version of each key that reached at least one replica: what anti-entropy can spread.
  const latest = new Map<string, number>();
  for (const r of replicas)
    for (const [key, { version }] of r.store)
      latest.set(key, Math.max(version, latest.get(key) ?? 0));
  const lacking = (r: AntiEntropyReplica) => {
    let count = 0;
    for (const [key, version] of latest) if (r.store.get(key)?.version !== version) count++;
    return count;
  };
  const missed = replicas.map(lacking);
  const fullCopy = replicas.reduce((sum, r) => sum + r.store.size, 0) * (ids.length - 1);

  replicas.forEach((r, i) => {
    r.startAntiEntropy(1 + i * 33);
  });
  let convergedAtMs: number | undefined;
  const watch = () => {
    if (replicas.every((r) => lacking(r) === 0)) convergedAtMs = sim.now;
    else sim.schedule(5, watch);
  };
  watch();
  sim.runUntil(() => convergedAtMs !== undefined, sim.now + LIMIT_MS);
  return { missed, convergedAtMs, cost: { ...cost }, fullCopy };
}

export const antiEntropyScenario: Scenario<
  { keys: number; writes: number; depth: number; hashKeysOnly: boolean } & FaultFlags
> = {
  name: "anti-entropy",
  networked: true,
  summary:
    "replicas that missed writes converge by comparing Merkle trees and exchanging only the ranges that differ",
  options: [
    option("--keys <count>", "keys in the store", integer(1, 100_000), 2_000),
    option(
      "--writes <count>",
      "writes, each sent once to every replica",
      integer(1, 200_000),
      5_000,
    ),
    option(
      "--depth <levels>",
      "depth of the Merkle trees (2^depth leaf ranges)",
      integer(1, 16),
      10,
    ),
    ...describeLoss(
      faultOptions({ loss: 0.002, duplicate: 0, crash: 0, partition: 0 }, "replica"),
      "at most 0.5, since beyond that the replicas lack most keys, nearly every range differs, and Merkle trees save nothing over a full copy",
      0.5,
    ).map(duringTheWrites),
    flag(
      "--hash-keys-only",
      "broken variant: leaf hashes cover the keys but not their versions and values",
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Anti-entropy with Merkle trees", REF.readRepair);
    trace.note(
      `Three replicas of ${options.keys} keys receive ${options.writes} writes over ${WRITES_END_MS} ms, each sent once to each replica: a lost message or a replica that is down means a missed write. Read repair would fix only the keys someone reads; here a background process on every replica compares Merkle trees with its peers (${1 << options.depth} leaf ranges by key hash, each inner node hashing its two children), descends only where the hashes differ, and sends only the entries of differing leaves.`,
      { ref: REF.readRepair },
    );
    if (options.hashKeysOnly)
      trace.note(
        "BROKEN variant: a leaf hashes its keys but not their versions, so a replica holding an old version of a key looks identical to one holding the new.",
        { level: "summary" },
      );
    const run = runAntiEntropy(trace, { ...options, seed, hashValues: !options.hashKeysOnly });
    trace.note(
      `When the writes stop, the replicas lack the latest version of ${run.missed.join(", ")} keys. Anti-entropy starts on all three.`,
    );
    trace.table(
      run.convergedAtMs === undefined
        ? `Anti-entropy's traffic in ${LIMIT_MS / 1000} s without converging`
        : `Anti-entropy's traffic until every replica was up to date (${(run.convergedAtMs - WRITES_END_MS).toFixed(0)} ms of exchanges)`,
      ["measure", "count"],
      [
        ["messages", run.cost.messages],
        ["of which steps sent again (no answer in time)", run.cost.resent],
        ["tree hashes sent (a step sent again counted once)", run.cost.hashes],
        ["entries sent (a step sent again counted once)", run.cost.entries],
        ["entries a full copy would send (every replica to each other)", run.fullCopy],
      ],
    );
    const converge = "anti-entropy brings every replica to the latest version of every key";
    const cheaper = "anti-entropy sent fewer entries than a full copy";
    if (run.missed.every((m) => m === 0)) {
      // Every write reached every replica (or none reached any): nothing for anti-entropy to do.
      const nothing = "no replica lacked a write when the writes stopped: nothing to repair";
      trace.notExercised(converge, nothing, { ref: REF.readRepair });
      trace.notExercised(cheaper, nothing);
      return;
    }
    trace.check(converge, run.convergedAtMs !== undefined, {
      ref: REF.readRepair,
      expected: !options.hashKeysOnly,
      detail:
        run.convergedAtMs === undefined
          ? `still differing after ${LIMIT_MS / 1000} s`
          : `at ${run.convergedAtMs.toFixed(0)} ms`,
    });
    if (run.convergedAtMs === undefined)
      trace.notExercised(
        cheaper,
        "anti-entropy did not finish the repair, so its cost cannot be set against a full copy's",
      );
    else
      trace.check(cheaper, run.cost.entries < run.fullCopy, {
        detail: `${run.cost.entries} entries against ${run.fullCopy}`,
      });
  },
};
