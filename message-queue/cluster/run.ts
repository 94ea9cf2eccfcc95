/**
 * Wiring for the log-based broker on the simulator: a controller, brokers, one producer and one
 * consumer, a fault plan, a safety phase with faults and a liveness phase without, then checks
 * from the producer's history and the consumer's reads (DDIA ch. 11, "Partitioned Logs";
 * Kafka's replication design).
 */

import { type Fault, type FaultFlags, injectFaults } from "../../shared/faults.js";
import { History } from "../../shared/history.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { percentile } from "../../shared/stats.js";
import type { Trace } from "../../shared/trace.js";
import type { PartitionLog } from "../log.js";
import { Broker } from "./broker.js";
import { Consumer, Producer } from "./clients.js";
import { Controller } from "./controller.js";
import type { Acks, ClusterMessage, WireRecord } from "./messages.js";
import { narratedTrace } from "./narrator.js";

export interface ClusterOptions extends FaultFlags {
  seed: number;
  brokers: number;
  partitions: number;
  replicationFactor: number;
  acks: Acks;
  minInsync: number;
  unclean: boolean;
  idempotence: boolean;
  messages: number;
  /** A scripted fault plan instead of one drawn from the seed. */
  plan?: Fault[];
  /** The followers' truncation rule: KIP-279 unless a test asks for the broken KIP-101 one. */
  truncation?: "kip-279" | "kip-101";
  /** A value whose way from producer to consumer the trace narrates, step by step. */
  follow?: string;
}

export const CLUSTER_TIMING = {
  latencyMsMin: 1,
  latencyMsMax: 5,
  tickMs: 5,
  // Kafka's replica.fetch.wait.max.ms is 500 ms against a replica.lag.time.max.ms of 30 s and a
  // broker session timeout of 9 s. Time is compressed here but the order is kept: the wait is far
  // below the lag limit, so that a follower whose fetch waited at an idle leader, or was lost and
  // sent again after fetchTimeoutMs, is still in sync when the next record comes; and the lag
  // limit is above the session timeout.
  fetchWaitMaxMs: 20,
  fetchTimeoutMs: 35,
  alterPartitionTimeoutMs: 35,
  sessionTimeoutMs: 40,
  replicaLagMaxMs: 100,
  broadcastMs: 50,
  requestTimeoutMs: 60,
  retryBackoffMs: 10,
  maxAttempts: 40,
  pollMs: 10,
  livenessMs: 3_000,
} as const;

export interface ClusterResult {
  /** Every value the producer sent. */
  sent: string[];
  /** Sent values not in the final log, acknowledged or not (what acks=0 loses silently). */
  missing: string[];
  acknowledged: string[];
  lost: string[];
  /** Values the consumer read that are not in the final log. */
  readThenLost: string[];
  /** Records the consumer read, and the partitions from which it read two or more (order is judged there). */
  consumed: number;
  partitionsReadTwice: number;
  /** Live followers whose log was compared with their leader's at the end. */
  followersCompared: number;
  outOfOrder: number;
  duplicates: number;
  leaderless: number[];
  latenciesMs: number[];
  retries: number;
  uncleanElections: number;
  cleanElections: number;
  /** Simulated milliseconds during which some partition had no leader. */
  offlineMs: number;
  /**
   * Replicas whose log differs from their leader's once the faults have stopped and the cluster
   * has drained, one line each: liveness says there are none.
   */
  diverged: string[];
  finalLog: Map<number, WireRecord[]>;
}

export function runCluster(trace: Trace, options: ClusterOptions): ClusterResult {
  // About 55 events per message were measured with one partition on three replicas (fetches,
  // heartbeats, acknowledgements), and idle fetches grow with the partition-replicas each broker
  // follows; the limit leaves room for twice that, plus the liveness phase, so only a stuck run
  // reaches it.
  const replicaLoad = Math.max(1, (options.partitions * options.replicationFactor) / 3);
  const brokers: Broker[] = [];
  const narrated = narratedTrace(
    trace,
    () => sim,
    options.follow === undefined
      ? undefined
      : { value: options.follow, acks: options.acks, brokers },
  );
  const sim = new Simulation({
    seed: options.seed,
    trace: narrated.trace,
    maxEvents: (2_000_000 + 120 * options.messages) * replicaLoad,
  });
  const net = new Network<ClusterMessage>(sim, {
    latencyMsMin: CLUSTER_TIMING.latencyMsMin,
    latencyMsMax: CLUSTER_TIMING.latencyMsMax,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const brokerIds = Array.from({ length: options.brokers }, (_, i) => `broker-${i + 1}`);
  const controller = net.add(
    new Controller(
      "controller",
      net,
      {
        sessionTimeoutMs: CLUSTER_TIMING.sessionTimeoutMs,
        broadcastMs: CLUSTER_TIMING.broadcastMs,
        uncleanLeaderElection: options.unclean,
      },
      brokerIds,
      options.partitions,
      options.replicationFactor,
    ),
  );
  for (const id of brokerIds)
    brokers.push(
      net.add(
        new Broker(id, net, {
          controller: "controller",
          minInsyncReplicas: options.minInsync,
          replicaLagMaxMs: CLUSTER_TIMING.replicaLagMaxMs,
          tickMs: CLUSTER_TIMING.tickMs,
          fetchWaitMaxMs: CLUSTER_TIMING.fetchWaitMaxMs,
          fetchTimeoutMs: CLUSTER_TIMING.fetchTimeoutMs,
          alterPartitionTimeoutMs: CLUSTER_TIMING.alterPartitionTimeoutMs,
          idempotence: options.idempotence,
          ...(options.truncation === undefined ? {} : { truncation: options.truncation }),
        }),
      ),
    );
  const history = new History<{ value: string; offset?: number }>();
  const producer = net.add(
    new Producer("producer", net, {
      controller: "controller",
      partitions: options.partitions,
      acks: options.acks,
      requestTimeoutMs: CLUSTER_TIMING.requestTimeoutMs,
      retryBackoffMs: CLUSTER_TIMING.retryBackoffMs,
      maxAttempts: CLUSTER_TIMING.maxAttempts,
      idempotence: options.idempotence,
      producerId: 1,
      history,
    }),
  );
  const consumer = net.add(
    new Consumer("consumer", net, "controller", options.partitions, CLUSTER_TIMING.pollMs),
  );

  injectFaults(
    net,
    brokerIds,
    options,
    { startMs: 50, endMs: 50 + options.messages * 8, durationMsMin: 50, durationMsMax: 300 },
    {
      ...(options.plan === undefined ? {} : { plan: options.plan }),
      whenNone: "No faults this run.",
    },
  );

  producer.refreshMetadata();
  sim.at(20, () =>
    producer.sendAll(
      Array.from({ length: options.messages }, (_, i) => ({
        key: `key-${i % 16}`,
        value: `m${i + 1}`,
      })),
    ),
  );

  // Safety phase: until the producer is done (bounded).
  sim.runUntil(() => producer.idle && sim.now > 50, 50 + options.messages * 200);

  // Liveness phase: faults stop; brokers still down restart; the network heals.
  const down = brokers.filter((b) => b.crashed).map((b) => b.id);
  const restarts =
    down.length === 0
      ? "every broker is up"
      : `${down.join(", ")} restart${down.length === 1 ? "s" : ""}`;
  trace.section(
    `Faults stop: ${restarts},${net.partitioned ? " the network heals," : ""} and replicas catch up`,
  );
  net.loss = 0;
  net.duplicate = 0;
  if (net.partitioned) net.heal();
  for (const broker of brokers) broker.recover();
  const leaderOf = (p: number) =>
    brokers.find((b) => b.id === controller.state(p).leader && !b.crashed);
  const replicasOf = (p: number) =>
    controller
      .state(p)
      .replicas.map((id) => brokers.find((b) => b.id === id) as Broker)
      .filter((b) => !b.crashed);
  // Cheap enough to ask after every event: ends and last epochs; the logs are compared in full below.
  const lastEpoch = (b: Broker, p: number) => b.log(p).at(b.log(p).endOffset - 1)?.epoch ?? -1;
  const settled = () =>
    Array.from({ length: options.partitions }, (_, p) => p).every((p) => {
      const leader = leaderOf(p);
      if (leader === undefined) return false;
      const end = leader.log(p).endOffset;
      const consumed = consumer.seen.get(p)?.at(-1)?.offset ?? -1;
      const replicated = replicasOf(p).every(
        (b) => b.log(p).endOffset === end && lastEpoch(b, p) === lastEpoch(leader, p),
      );
      return replicated && (end === 0 || (leader.highWatermark(p) === end && consumed === end - 1));
    });
  sim.runUntil(settled, sim.now + CLUSTER_TIMING.livenessMs);
  narrated.finish();

  // Checks from the outside: the producer's history, the consumer's reads, the final logs.
  const finalLog = new Map<number, WireRecord[]>();
  const leaderless: number[] = [];
  const diverged: string[] = [];
  let followersCompared = 0;
  for (let p = 0; p < options.partitions; p++) {
    const leader = leaderOf(p);
    if (leader === undefined) leaderless.push(p);
    finalLog.set(p, leader?.committed(p) ?? []);
    if (leader !== undefined)
      for (const b of replicasOf(p)) {
        if (b !== leader) followersCompared++;
        const difference = firstDifference(b.log(p), leader.log(p));
        if (difference !== undefined)
          diverged.push(
            `${b.id}, partition ${p}: log end ${b.log(p).endOffset}, the leader's ${leader.log(p).endOffset}; they differ from offset ${difference}`,
          );
      }
  }
  const inLog = new Set([...finalLog.values()].flat().map((r) => r.value));
  const acknowledged = history
    .operations()
    .filter((op) => op.outcome === "ok")
    .map((op) => op.input.value);
  const lost = acknowledged.filter((v) => !inLog.has(v));
  const sent = history.operations().map((op) => op.input.value);
  const missing = sent.filter((v) => !inLog.has(v));
  const readValues = [...consumer.seen.values()].flat().map((r) => r.value ?? "");
  const readThenLost = [...new Set(readValues.filter((v) => !inLog.has(v)))];
  let outOfOrder = 0;
  for (const records of consumer.seen.values()) {
    records.forEach((r, i) => {
      if (i > 0 && r.offset <= (records[i - 1] as WireRecord).offset) outOfOrder++;
    });
  }
  const values = [...finalLog.values()].flat().map((r) => r.value);
  const duplicates = values.length - new Set(values).size;
  return {
    sent,
    missing,
    acknowledged,
    lost,
    readThenLost,
    consumed: readValues.length,
    partitionsReadTwice: [...consumer.seen.values()].filter((records) => records.length >= 2)
      .length,
    followersCompared,
    outOfOrder,
    duplicates,
    leaderless,
    diverged,
    latenciesMs: producer.latenciesMs,
    retries: producer.retries,
    uncleanElections: controller.elections.filter((e) => !e.clean).length,
    offlineMs: offlineTime(controller.elections, sim.now),
    cleanElections: controller.elections.filter((e) => e.clean && e.leader !== null).length,
    finalLog,
  };
}

/** The first offset at which two logs hold different records (by epoch, key and value), if any. */
function firstDifference(a: PartitionLog, b: PartitionLog): number | undefined {
  const end = Math.max(a.endOffset, b.endOffset);
  const batch = 1_000;
  for (let from = 0; from < end; from += batch) {
    const left = a.read(from, batch);
    const right = b.read(from, batch);
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const x = left[i];
      const y = right[i];
      if (
        x === undefined ||
        y === undefined ||
        x.offset !== y.offset ||
        x.epoch !== y.epoch ||
        x.key !== y.key ||
        x.value !== y.value
      )
        return Math.min(x?.offset ?? end, y?.offset ?? end);
    }
  }
  return undefined;
}

export function latencySummary(latenciesMs: readonly number[]): string {
  if (latenciesMs.length === 0) return "none acknowledged";
  return `p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms`;
}

/** Time spent with no leader, per partition, summed: from each "offline" event to the next election. */
function offlineTime(
  elections: readonly { timeMs: number; partition: number; leader: string | null }[],
  endMs: number,
): number {
  let total = 0;
  const offlineSince = new Map<number, number>();
  for (const e of elections) {
    const since = offlineSince.get(e.partition);
    if (e.leader === null && since === undefined) offlineSince.set(e.partition, e.timeMs);
    if (e.leader !== null && since !== undefined) {
      total += e.timeMs - since;
      offlineSince.delete(e.partition);
    }
  }
  for (const since of offlineSince.values()) total += endMs - since;
  return total;
}
