/**
 * The replication-lag store, wired: one leader and its followers per partition, asynchronous
 * replication, each follower applying what it receives after its own lag, and one client per
 * script whose reads go where the routing policy says (DDIA ch. 5, "Problems with Replication
 * Lag"). `runLagStore` runs the scripts to completion and returns the clients' history for the
 * consistency checker, with what each read saw and what the routing cost.
 *
 * Other scenarios of this folder (consistency-models) can call it with a register workload from
 * workload.ts: a single partition, the policy they want, and the history comes back.
 */

import { assert } from "../../shared/assert.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { type Fault, planFaults, scheduleFaults } from "../../shared/faults.js";
import { murmur3_32 } from "../../shared/hash.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import type { ClientScript } from "../workload.js";
import {
  Client,
  MAX_ATTEMPTS,
  type PartitionReplicas,
  type ReadRecord,
  type RoutingPolicy,
  TIMEOUT_MS,
  type WriteRecord,
} from "./client.js";
import { Follower } from "./follower.js";
import { Leader } from "./leader.js";
import type { LagMessage } from "./messages.js";

/** Network latency of every link: uniform in this range (the kernel's default). */
export const LATENCY_MS_MIN = 1;
export const LATENCY_MS_MAX = 10;

export interface LagStoreOptions {
  seed: number;
  scripts: readonly ClientScript[];
  /** One policy for every client, or one per client. */
  routing: RoutingPolicy | ((client: string) => RoutingPolicy);
  /** Followers per partition (at least 1). */
  followers: number;
  /** Each follower's lag: how long after receiving an entry it applies it. */
  lagMs: (partition: number, follower: number) => number;
  /** Partitions (default 1), and the partition of each key (default: murmur3_32 of the key). */
  partitions?: number;
  partitionOf?: (key: string) => number;
  loss?: number;
  duplicate?: number;
  /** Follower crashes, each followed by a restart, planned from the seed over the run. */
  crash?: number;
  /** Or the crashes to make, instead of a plan drawn from the seed. */
  faultPlan?: readonly Fault[];
  /** Narration goes here (the store narrates nothing itself; message events if the trace keeps them). */
  trace?: Trace;
}

export interface LagStoreResult {
  history: CheckedOp[];
  reads: ReadRecord[];
  writes: WriteRecord[];
  /** Replica names by partition: `leader` and `follower-1`... (with a `p1-` prefix when partitioned). */
  replicas: PartitionReplicas[];
  lagMs: Map<string, number>;
  faults: readonly Fault[];
  endMs: number;
}

/** A replica's name: the book's figures say "leader" and "follower 1". */
export function replicaName(partitions: number, partition: number, follower?: number): string {
  const base = follower === undefined ? "leader" : `follower-${follower + 1}`;
  return partitions === 1 ? base : `p${partition + 1}-${base}`;
}

/** How long a script would take with instant answers: the window in which faults are planned. */
function plannedDurationMs(scripts: readonly ClientScript[]): number {
  let longest = 0;
  for (const s of scripts) {
    let total = 0;
    for (const op of s.operations) total += op.thinkMs + 2 * LATENCY_MS_MAX;
    longest = Math.max(longest, total);
  }
  return longest;
}

export function runLagStore(options: LagStoreOptions): LagStoreResult {
  const partitions = options.partitions ?? 1;
  assert(options.followers >= 1, "the lag store needs at least one follower per partition");
  const sim = new Simulation({ seed: options.seed, trace: options.trace ?? Trace.silent() });
  const net = new Network<LagMessage>(sim, {
    loss: options.loss ?? 0,
    duplicate: options.duplicate ?? 0,
    latencyMsMin: LATENCY_MS_MIN,
    latencyMsMax: LATENCY_MS_MAX,
  });
  const replicas: PartitionReplicas[] = [];
  const lagMs = new Map<string, number>();
  const followerIds: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const leader = replicaName(partitions, p);
    const followers = Array.from({ length: options.followers }, (_, i) =>
      replicaName(partitions, p, i),
    );
    net.add(new Leader(leader, net, followers));
    followers.forEach((id, i) => {
      const lag = options.lagMs(p, i);
      lagMs.set(id, lag);
      net.add(new Follower(id, net, leader, lag));
    });
    followerIds.push(...followers);
    replicas.push({ leader, followers });
  }
  const partitionOf = options.partitionOf ?? ((key: string) => murmur3_32(key) % partitions);
  const durationMs = plannedDurationMs(options.scripts);
  const faults =
    options.faultPlan ??
    planFaults(sim.random.fork("faults"), {
      nodes: followerIds,
      crashes: options.crash ?? 0,
      partitions: 0,
      startMs: 0,
      endMs: Math.max(durationMs, 1),
      durationMsMin: 50,
      durationMsMax: 300,
    });
  scheduleFaults(net as unknown as Network, faults);
  const history: CheckedOp[] = [];
  const clients = options.scripts.map((script) => {
    const policy =
      typeof options.routing === "function" ? options.routing(script.client) : options.routing;
    return net.add(new Client(script, net, history, policy, replicas, partitionOf));
  });
  // Every operation ends within its attempts, so the run has a bound; past it is a bug.
  const opsMax = Math.max(0, ...options.scripts.map((s) => s.operations.length));
  const limitMs =
    durationMs + (opsMax + 1) * (MAX_ATTEMPTS + 1) * (TIMEOUT_MS + LATENCY_MS_MAX) + 1_000;
  const finished = sim.runUntil(() => clients.every((c) => c.done), limitMs);
  assert(
    finished,
    `the lag store's clients did not finish by ${limitMs} ms (seed ${options.seed})`,
  );
  return {
    history,
    reads: clients.flatMap((c) => c.reads),
    writes: clients.flatMap((c) => c.writes),
    replicas,
    lagMs,
    faults,
    endMs: sim.now,
  };
}
