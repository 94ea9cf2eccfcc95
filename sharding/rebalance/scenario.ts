/**
 * The `rebalance` scenario: a cluster under load gains a node, and whole partitions move to it
 * over an unreliable network while clients keep reading and writing (DDIA ch. 6, "Rebalancing
 * Partitions" and "Request Routing").
 *
 * Two phases, as in TigerBeetle's VOPR:
 * 1. Safety: clients run a workload; the new node joins; the fault plan crashes nodes, cuts the
 *    network, and the network loses and duplicates messages. The first crash is aimed, not drawn:
 *    it strikes the first node to get halfway through streaming a partition it is giving up, so
 *    that every run with `--crash 1` or more shows a move resuming from durable state.
 * 2. Liveness: faults stop, every node restarts, the network heals; the moves must finish, and a
 *    verifier reads every key back.
 * Then the checkers decide, from the recorded history alone, whether any acknowledged write was
 * lost, whether any read missed the latest acknowledged write (recency), and whether the whole
 * history is linearizable (shared/check/linearizability.ts, one register per key).
 */

import {
  type CheckedOp,
  checkLinearizableOrUndecided,
  registerModel,
  type Verdict,
} from "../../shared/check/linearizability.js";
import {
  type BadRead,
  badReads,
  type LostWrite,
  lostWrites,
  type Versioned,
} from "../../shared/check/register.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { History, type Operation } from "../../shared/history.js";
import { Network } from "../../shared/network.js";
import { historyOperations, witnessOps } from "../../shared/render/diagram/model.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { nodeNames } from "../measure.js";
import { FixedPartitions, partitionOf } from "../placement.js";
import { REF } from "../refs.js";
import { counted } from "../words.js";
import { Client, type ClientOp } from "./client.js";
import type { RebalanceMessage } from "./messages.js";
import { Router } from "./router.js";
import { type PartitionCopy, StorageNode, type StoredValue } from "./storage-node.js";

export interface RebalanceOptions extends FaultFlags {
  seed: number;
  nodes: number;
  partitions: number;
  keys: number;
  clients: number;
  unsafe: boolean;
}

export const REBALANCE_DEFAULTS = {
  nodes: 3,
  partitions: 8,
  keys: 200,
  clients: 6,
  loss: 0.05,
  duplicate: 0.02,
  crash: 1,
  partition: 1,
} as const;

/** Timings of the run, in simulated milliseconds. */
const TIMING = {
  latencyMsMin: 1,
  latencyMsMax: 10,
  joinAtMs: 150,
  faultsFromMs: 50,
  workloadEndMs: 1_000,
  faultMsMin: 20,
  faultMsMax: 150,
  livenessLimitMs: 5_000,
  verifiers: 4,
  resendMs: 30,
  clientTimeoutMs: 50,
  clientBackoffMs: 15,
  clientMaxAttempts: 20,
  chunkKeys: 2,
  chunkIntervalMs: 5,
  /** How long the aimed crash keeps a node giving up a partition down. */
  aimedCrashMs: 40,
  /** Search steps the linearizability checker may take before it calls the history undecided. */
  linearizabilityStepsMax: 5_000_000,
} as const;

/** The aimed crash: a node giving up a partition, struck in the middle of streaming it. */
export interface AimedCrash {
  node: string;
  partition: number;
  to: string;
  atMs: number;
  streamed: number;
  confirmed: number;
  chunkCount: number;
}

export interface RebalanceResult {
  lost: LostWrite[];
  bad: BadRead[];
  movesFinished: boolean;
  verified: boolean;
  ownershipOk: boolean;
  acknowledgedWrites: number;
  reads: number;
  history: History<Versioned>;
  /** The aimed crash, if a copy was under way for it to strike; and whether that move completed. */
  aimedCrash: AimedCrash | undefined;
  aimedMoveCompleted: boolean;
  /** The linearizability checker's verdict, or undefined if it could not decide in its step budget. */
  linearizable: Verdict | undefined;
}

export function runRebalance(trace: Trace, options: RebalanceOptions): RebalanceResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 2_000_000 });
  const net = new Network<RebalanceMessage>(sim, {
    latencyMsMin: TIMING.latencyMsMin,
    latencyMsMax: TIMING.latencyMsMax,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const history = new History<Versioned>();
  const workload = sim.random.fork("workload");

  const nodes = nodeNames(options.nodes);
  const newNode = `node-${options.nodes + 1}`;
  const initial = FixedPartitions.create(nodes, options.partitions);
  const keys = Array.from({ length: options.keys }, (_, i) => `k${String(i).padStart(3, "0")}`);
  const storageConfig = {
    partitions: options.partitions,
    router: "router",
    chunkKeys: TIMING.chunkKeys,
    resendMs: TIMING.resendMs,
    chunkIntervalMs: TIMING.chunkIntervalMs,
    unsafe: options.unsafe,
  };

  trace.section(
    `A routing tier, ${counted(options.nodes, "storage node")} and ${counted(options.partitions, "fixed partition")}; ${newNode} joins under load`,
    REF.fixed,
  );
  trace.note(
    `Each key belongs to partition hash(key) mod ${options.partitions}; the router holds the partition map and forwards every request to the partition's owner.`,
    { ref: REF.routing },
  );

  // The data set exists before the run: every key at version 1, recorded in the history as
  // acknowledged writes of a loader, so the checkers hold the system to them too.
  const initialVersion: StoredValue = { value: "", version: 1 };
  const router = net.add(
    new Router("router", net, { resendMs: TIMING.resendMs }, [...nodes], [...initial.partitionMap]),
  );
  const storage = [...nodes, newNode].map((id) => {
    const copies: Record<number, PartitionCopy> = {};
    for (const p of initial.partitionsOf(id)) copies[p] = { role: "active", entries: {} };
    for (const key of keys) {
      const copy = copies[partitionOf(key, options.partitions)];
      if (copy !== undefined) copy.entries[key] = { ...initialVersion, value: `${key}=v1` };
    }
    return net.add(new StorageNode(id, net, storageConfig, copies));
  });

  for (const key of keys) {
    const op = history.invoke("loader", "write", key, { version: 1 }, 0);
    history.complete(op, "ok", { version: 1 }, 0);
  }

  // Each client writes its own keys (one writer per key, versions 1, 2, 3, ...) and reads any key.
  const nextVersion = new Map<string, number>();
  const clients: Client[] = [];
  for (let c = 0; c < options.clients; c++) {
    const ownKeys = keys.filter((_, i) => i % options.clients === c);
    const client = new Client(`client-${c + 1}`, net, {
      router: "router",
      timeoutMs: TIMING.clientTimeoutMs,
      retryBackoffMs: TIMING.clientBackoffMs,
      maxAttempts: TIMING.clientMaxAttempts,
      pauseMsMax: 4,
      history,
      nextOp: (): ClientOp | undefined => {
        if (sim.now >= TIMING.workloadEndMs) return undefined;
        if (ownKeys.length === 0 || workload.chance(0.5))
          return { f: "read", key: workload.pick(keys) };
        const key = workload.pick(ownKeys);
        const version = (nextVersion.get(key) ?? 1) + 1;
        nextVersion.set(key, version);
        return { f: "write", key, version, value: `${key}=v${version}` };
      },
    });
    clients.push(net.add(client));
    client.begin(workload.uniform(0, 5));
  }
  trace.note(
    `${counted(options.keys, "key")} ${options.keys === 1 ? "is" : "are"} stored at version 1; ${counted(options.clients, "client")} ${options.clients === 1 ? "reads and writes" : "read and write"} ${options.keys === 1 ? "it" : "them"} until ${TIMING.workloadEndMs} ms; every write carries a version, so a retried or duplicated write is harmless.`,
  );

  // The first crash is aimed at a node giving up a partition (below); the plan draws the rest.
  const aimed = options.crash > 0;
  const faultsEndMs = TIMING.workloadEndMs - 50;
  injectFaults(
    net,
    ["router", ...nodes, newNode],
    { ...options, crash: options.crash - (aimed ? 1 : 0) },
    {
      startMs: TIMING.faultsFromMs,
      endMs: faultsEndMs,
      durationMsMin: TIMING.faultMsMin,
      durationMsMax: TIMING.faultMsMax,
    },
    aimed ? {} : { whenNone: "No faults this run." },
  );
  if (aimed) {
    trace.note(
      `${options.crash === 1 ? "The crash is" : "The first crash is"} aimed: the first node to stream half of a partition it is giving up crashes right there, and restarts ${TIMING.aimedCrashMs} ms later.`,
      { level: "summary" },
    );
  }
  if (options.unsafe) {
    trace.note(
      "UNSAFE variant: an old owner reports a move complete as soon as it has sent its data, keeps acknowledging writes until the router switches, then drops its copy without any confirmation from the new owner.",
      { level: "summary" },
    );
  }

  sim.at(TIMING.joinAtMs, () => (net.node(newNode) as StorageNode).requestJoin());

  // Safety phase, with the aimed crash: run until some node giving up a partition has streamed
  // half of its snapshot, and crash it there.
  let aimedCrash: AimedCrash | undefined;
  if (aimed) {
    const halfway = () => {
      for (const node of storage) {
        if (node.crashed) continue;
        for (const [p, copy] of Object.entries(node.durable.copies)) {
          const move = copy.move;
          if (move?.phase === "copy" && move.nextChunk >= Math.ceil(move.chunkCount / 2))
            return { node, partition: Number(p), move };
        }
      }
      return undefined;
    };
    if (sim.runUntil(() => halfway() !== undefined, faultsEndMs)) {
      const { node, partition, move } = halfway() as NonNullable<ReturnType<typeof halfway>>;
      aimedCrash = {
        node: node.id,
        partition,
        to: move.to,
        atMs: sim.now,
        streamed: move.nextChunk,
        confirmed: move.confirmed.filter((c) => c < move.chunkCount).length,
        chunkCount: move.chunkCount,
      };
      trace.note(
        `The aimed crash: ${node.id} has streamed ${move.nextChunk} of the ${move.chunkCount} snapshot chunk${move.chunkCount === 1 ? "" : "s"} of partition ${partition} to ${move.to} (${aimedCrash.confirmed} confirmed) when it crashes. Its copy and the move's progress are on disk; what was in memory is gone.`,
        { level: "summary", ref: REF.fixed },
      );
      node.crash();
      sim.at(sim.now + TIMING.aimedCrashMs, () => node.recover());
    } else {
      trace.note(
        "No node was giving up a partition before faults stopped, so the aimed crash did not happen.",
        { level: "summary" },
      );
    }
  }
  sim.run(TIMING.workloadEndMs);

  // Liveness phase: faults stop; everything restarts and the network heals. The heading says only
  // what is true of this run: which nodes are down, whether the network is cut, what is left to move.
  const down = [...net.nodes.values()].filter((n) => n.crashed).map((n) => n.id);
  const stopped = [
    net.loss > 0 || net.duplicate > 0 ? "message loss and duplication stop" : undefined,
    net.partitioned ? "the network heals" : undefined,
    down.length > 0
      ? `${down.join(", ")} ${down.length === 1 ? "restarts" : "restart"}`
      : undefined,
  ].filter((x) => x !== undefined);
  const moving = !(router.settled && !storage.some((s) => s.durable.joining));
  trace.section(
    `${stopped.length === 0 ? "No fault is in force" : `Faults stop: ${stopped.join(", ")}`}; ${moving ? "the moves must now finish" : "every move has finished"}, and every key is read back`,
  );
  net.loss = 0;
  net.duplicate = 0;
  if (net.partitioned) net.heal();
  for (const node of net.nodes.values()) node.recover();
  // Time limits grow with the data: a partition streams one chunk of keys every chunkIntervalMs.
  const limitMs = TIMING.livenessLimitMs + options.keys * TIMING.chunkIntervalMs;
  const movesFinished = sim.runUntil(
    () => router.settled && clients.every((c) => c.done) && !storage.some((s) => s.durable.joining),
    sim.now + limitMs,
  );

  // Verifiers read every key back through the router, several at a time.
  const pending = [...keys];
  const verifiers = Array.from({ length: TIMING.verifiers }, (_, i) =>
    net.add(
      new Client(`verifier-${i + 1}`, net, {
        router: "router",
        timeoutMs: TIMING.clientTimeoutMs,
        retryBackoffMs: TIMING.clientBackoffMs,
        maxAttempts: 100,
        pauseMsMax: 0,
        history,
        nextOp: () => {
          const key = pending.shift();
          return key === undefined ? undefined : { f: "read", key };
        },
      }),
    ),
  );
  for (const verifier of verifiers) verifier.begin();
  sim.runUntil(() => verifiers.every((v) => v.done), sim.now + limitMs);

  const ops = history.operations();
  const isVerifier = (process: string) => process.startsWith("verifier-");
  const finalVersion = new Map<string, number>();
  for (const op of ops) {
    if (isVerifier(op.process) && op.outcome === "ok" && op.output !== undefined) {
      finalVersion.set(op.key, op.output.version);
    }
  }
  const verified = finalVersion.size === keys.length;

  const workloadOps = ops.filter((op) => !isVerifier(op.process));
  // A key the verifiers could not read is reported by the check above, not counted as lost.
  const lost = lostWrites(workloadOps, (key) => finalVersion.get(key));
  const bad = badReads(ops);

  // Ownership, from the nodes' own storage: every partition active on exactly one node, the one
  // the router's map names.
  let ownershipOk = true;
  for (let p = 0; p < options.partitions; p++) {
    const holders = storage.filter((s) => s.durable.copies[p]?.role === "active").map((s) => s.id);
    if (holders.length !== 1 || holders[0] !== router.durable.partitionMap[p]) ownershipOk = false;
  }

  narrateOutcome(trace, {
    storage,
    newNode,
    partitions: options.partitions,
    keys,
    clients,
    net,
    clientOps: workloadOps.filter((op) => op.process.startsWith("client-")).length,
  });

  const expected = !options.unsafe;
  trace.section("Checks");
  // The new node's fair share, as the router plans it: with fewer partitions than nodes, none.
  const planned = initial
    .withNode(newNode)
    .partitionMap.filter((owner, p) => owner !== initial.partitionMap[p]).length;
  if (planned === 0) {
    trace.notExercised(
      "rebalancing finished once faults stopped",
      `no partition had to move: ${counted(options.partitions, "partition")} over ${options.nodes + 1} nodes come${options.partitions === 1 ? "s" : ""} to less than one each`,
    );
  } else {
    trace.check("rebalancing finished once faults stopped", movesFinished, {
      detail: movesFinished
        ? `partition map at epoch ${router.durable.epoch}`
        : "moves still pending",
    });
  }
  trace.check("every partition has exactly one owner, the one the router's map names", ownershipOk);
  trace.check("the verifiers read every key back", verified, {
    detail: verified
      ? counted(keys.length, "key")
      : `${keys.length - finalVersion.size} of ${counted(keys.length, "key")} unread`,
  });
  const acknowledgedWrites = workloadOps.filter(
    (op) => op.f === "write" && op.outcome === "ok",
  ).length;
  trace.check("no acknowledged write is lost", lost.length === 0, {
    expected,
    detail:
      lost.length === 0
        ? `all ${acknowledgedWrites} acknowledged writes survive (${options.keys} loaded before the run, ${acknowledgedWrites - options.keys} by clients)`
        : `${lost.length} key(s) lost their latest acknowledged write: ${lost
            .slice(0, 4)
            .map(
              (l) =>
                `${l.key} v${l.version} (acked at ${l.ackedAtMs.toFixed(1)} ms; now v${l.finalVersion})`,
            )
            .join(", ")}${lost.length > 4 ? ", ..." : ""}`,
  });
  const reads = ops.filter((op) => op.f === "read" && op.outcome === "ok").length;
  const recency =
    "recency: every read returns at least the last write acknowledged before it began, and no write not yet begun";
  if (reads === 0) {
    trace.notExercised(recency, "no read completed");
  } else {
    trace.check(recency, bad.length === 0, {
      expected,
      detail:
        bad.length === 0
          ? `${reads} reads checked`
          : `${bad.length} stale read(s): ${bad
              .slice(0, 3)
              .map(
                (b) =>
                  `${b.process} read ${b.key} at ${b.invokeTimeMs.toFixed(1)} ms and got v${b.got}, expected at least v${b.atLeast}`,
              )
              .join("; ")}${bad.length > 3 ? "; ..." : ""}`,
    });
  }
  // Recency is half of linearizability; the checker judges the whole: one order of every
  // operation, consistent with real time, in which each read returns the latest write.
  const linearizable = checkLinearizableOrUndecided(
    registerModel,
    checkedOps(ops),
    TIMING.linearizabilityStepsMax,
  );
  trace.history(
    "linearizability, each key a register",
    historyOperations(checkedOps(ops)),
    witnessOps(linearizable),
  );
  const linearizability = "the history is linearizable (each key a register)";
  const keysTouched = new Set(ops.map((op) => op.key)).size;
  if (linearizable === undefined) {
    trace.notExercised(
      linearizability,
      `the checker could not decide within ${TIMING.linearizabilityStepsMax.toLocaleString("en")} search steps`,
      { ref: REF.linearizability },
    );
  } else {
    const w = linearizable.witness;
    trace.check(linearizability, linearizable.linearizable, {
      expected,
      ref: REF.linearizability,
      detail:
        w === undefined
          ? `${counted(ops.length, "operation")} on ${counted(keysTouched, "key")}, judged by the Wing & Gong search of shared/check/linearizability.ts`
          : `no order consistent with real time explains ${w.op.process}'s ${w.op.f} of ${w.key} at ${w.op.callTime.toFixed(1)} ms ${w.op.f === "read" ? `returning v${w.op.output ?? 0}` : `of v${w.op.input}`}; the key could only hold ${w.states.map((v) => `v${v === "nil" ? 0 : v}`).join(" or ")} there`,
    });
  }
  const interrupted = "the move whose old owner crashed mid-copy completes after the restart";
  const aimedMoveCompleted =
    aimedCrash !== undefined &&
    movesFinished &&
    router.durable.partitionMap[aimedCrash.partition] === aimedCrash.to;
  if (aimedCrash === undefined) {
    trace.notExercised(
      interrupted,
      aimed ? "no copy was under way for the aimed crash to strike" : "--crash 0: no crash",
    );
  } else {
    trace.check(interrupted, aimedMoveCompleted, {
      ref: REF.fixed,
      detail: `${aimedCrash.node} crashed at ${aimedCrash.atMs.toFixed(1)} ms with ${aimedCrash.streamed} of ${counted(aimedCrash.chunkCount, "chunk")} of partition ${aimedCrash.partition} streamed; ${aimedMoveCompleted ? `partition ${aimedCrash.partition} now belongs to ${aimedCrash.to}` : "the move did not finish"}`,
    });
  }
  if (options.unsafe && lost.length === 0 && bad.length === 0) {
    trace.note(
      "This seed got lucky: no write happened to land in the unsafe window and no chunk was lost. Try another --seed, or raise --loss.",
      { level: "summary" },
    );
  }
  return {
    lost,
    bad,
    movesFinished,
    verified,
    ownershipOk,
    acknowledgedWrites,
    reads,
    history,
    aimedCrash,
    aimedMoveCompleted,
    linearizable,
  };
}

/**
 * The history as the linearizability checker reads it: a write writes its version, a read returns
 * the version it saw, and version 0 (the key absent) is nil, the value of a key never written.
 * An operation still pending at the end is of unknown outcome (info).
 */
function checkedOps(ops: readonly Operation<Versioned>[]): CheckedOp[] {
  return ops.map((op, id) => {
    const returned = op.outcome === "ok" || op.outcome === "fail";
    const read = op.f === "read" && op.outcome === "ok" ? (op.output?.version ?? 0) : 0;
    return {
      id,
      process: op.process,
      f: op.f,
      key: op.key,
      input: op.f === "write" ? op.input.version : null,
      output: read === 0 ? null : read,
      outcome: returned ? (op.outcome as "ok" | "fail") : "info",
      callTime: op.invokeTime,
      returnTime: returned ? (op.completeTime ?? op.invokeTime) : Number.POSITIVE_INFINITY,
    };
  });
}

function narrateOutcome(
  trace: Trace,
  run: {
    storage: StorageNode[];
    newNode: string;
    partitions: number;
    keys: string[];
    clients: Client[];
    net: Network<RebalanceMessage>;
    clientOps: number;
  },
): void {
  const { storage, keys, partitions, net, clients } = run;
  const keysHeld = storage.map((s) => ({
    label: s.id,
    value: keys.filter((k) => s.durable.copies[partitionOf(k, partitions)]?.role === "active")
      .length,
  }));
  trace.bars("Keys per node after the rebalance", keysHeld, "keys");
  const retries = clients.reduce((sum, c) => sum + c.stats.retries, 0);
  const dropped = net.stats.dropped;
  trace.table(
    "What the network and the clients went through",
    ["measure", "count"],
    [
      ["client operations", run.clientOps],
      ["client retries (timeouts and Retry replies)", retries],
      ["messages sent", net.stats.sent],
      ["messages duplicated", net.stats.duplicated],
      ["dropped: lost", dropped.loss],
      ["dropped: partition", dropped.partition],
      ["dropped: receiver crashed", dropped.crashed],
    ],
  );
}
