/**
 * Wiring for leaderless quorums on the simulator: n replicas, clients coordinating their own
 * reads and writes with w and r, faults, and the recency check of shared/check/register.ts over
 * the recorded history (DDIA ch. 5, "Quorums for reading and writing" and "Limitations of Quorum
 * Consistency").
 */

import {
  type CheckedOp,
  checkLinearizable,
  checkLinearizableOrUndecided,
  kvModel,
  type Verdict,
} from "../../shared/check/linearizability.js";
import { type BadRead, badReads, type Versioned } from "../../shared/check/register.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { History, type Operation } from "../../shared/history.js";
import { Network } from "../../shared/network.js";
import { type Answer, QuorumClient } from "../../shared/quorum/client.js";
import type { LeaderlessMessage } from "../../shared/quorum/messages.js";
import { LeaderlessReplica } from "../../shared/quorum/replica.js";
import { historyOperations, witnessOps } from "../../shared/render/diagram/model.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";

export interface QuorumOptions extends FaultFlags {
  seed: number;
  n: number;
  w: number;
  r: number;
  readRepair: boolean;
  clients: number;
  operations: number;
  /** The linearizability checker's step budget (its own default when not given). */
  linearizabilitySteps?: number;
}

export interface QuorumResult {
  reads: number;
  /**
   * Reads the recency check can find stale: completed reads that began after some write of their
   * key was acknowledged. With none, "every read returns the latest acknowledged write" holds
   * whatever the replicas do, and proves nothing.
   */
  readsAfterAcknowledgedWrite: number;
  acknowledgedWrites: number;
  stale: BadRead[];
  /** Reads that returned a version whose write had been reported as failed. */
  readsOfFailedWrites: number;
  readRepairs: number;
  /**
   * Reads that overlapped an acknowledged write of their key (the book's first edge case): how
   * many returned that write's version or a newer one, and how many an older one. Either is allowed.
   */
  readsDuringWrite: { newer: number; older: number };
  /** The client history in the checker's terms (kv model: put and get of "key@version" strings). */
  history: CheckedOp[];
  /**
   * The linearizability checker's verdict on it (DDIA ch. 9, "Linearizability and quorums"), or
   * undefined when the search ran out of steps (long histories with many timed-out writes).
   */
  linearizability: Verdict | undefined;
}

/**
 * The history as the kv model reads it: a write puts "x@3", a read gets the version it returned
 * (nil when the key was absent). A write short of w acknowledgements stays :info, since it may
 * have reached some replicas; a read that timed out is :fail and constrains nothing.
 */
export function toCheckedOps(ops: readonly Operation<Versioned>[]): CheckedOp[] {
  const show = (key: string, v: Versioned | undefined) =>
    v === undefined || v.version === 0 ? null : `${key}@${v.version}`;
  return ops.map((op) => {
    const done = op.outcome === "ok" || op.outcome === "fail";
    return {
      id: op.op,
      process: op.process,
      f: op.f === "write" ? "put" : "get",
      key: op.key,
      input: op.f === "write" ? show(op.key, op.input) : null,
      output: op.f === "read" ? show(op.key, op.output) : null,
      outcome: op.outcome === "pending" ? "info" : op.outcome,
      callTime: op.invokeTime,
      returnTime: done ? (op.completeTime as number) : Number.POSITIVE_INFINITY,
    };
  });
}

/** Completed reads that began after a write of their key had been acknowledged. */
export function readsAfterAcknowledgedWrite(ops: readonly Operation<Versioned>[]): number {
  const firstAcknowledgedMs = new Map<string, number>();
  for (const op of ops)
    if (op.f === "write" && op.outcome === "ok" && op.completeTime !== undefined)
      firstAcknowledgedMs.set(
        op.key,
        Math.min(op.completeTime, firstAcknowledgedMs.get(op.key) ?? Number.POSITIVE_INFINITY),
      );
  return ops.filter(
    (op) =>
      op.f === "read" &&
      op.outcome === "ok" &&
      op.invokeTime > (firstAcknowledgedMs.get(op.key) ?? Number.POSITIVE_INFINITY),
  ).length;
}

/**
 * Classify each read that overlapped an acknowledged write of its key by whether it saw that write.
 * Each key's acknowledged writes are sorted by invocation, with the running maximum of their
 * completion times, so a read looks only at the writes that could overlap it: those invoked before
 * it completed, back to where every earlier write had completed before it began.
 */
export function readsDuringWrite(ops: readonly Operation<Versioned>[]): {
  newer: number;
  older: number;
} {
  const end = (op: Operation<Versioned>) => op.completeTime ?? Number.POSITIVE_INFINITY;
  const writesByKey = new Map<string, { writes: Operation<Versioned>[]; endMax: number[] }>();
  for (const op of ops) {
    if (op.f !== "write" || op.outcome !== "ok") continue;
    const entry = writesByKey.get(op.key) ?? { writes: [], endMax: [] };
    entry.writes.push(op);
    writesByKey.set(op.key, entry);
  }
  for (const entry of writesByKey.values()) {
    entry.writes.sort((a, b) => a.invokeTime - b.invokeTime);
    let max = Number.NEGATIVE_INFINITY;
    entry.endMax = entry.writes.map((w) => {
      max = Math.max(max, end(w));
      return max;
    });
  }
  let newer = 0;
  let older = 0;
  for (const read of ops) {
    if (read.f !== "read" || read.outcome !== "ok") continue;
    const entry = writesByKey.get(read.key);
    if (entry === undefined) continue;
    const { writes, endMax } = entry;
    // The last write invoked before the read completed (binary search), then back from there.
    let lo = 0;
    let hi = writes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((writes[mid] as Operation<Versioned>).invokeTime < end(read)) lo = mid + 1;
      else hi = mid;
    }
    let latest: number | undefined;
    for (let i = lo - 1; i >= 0 && (endMax[i] as number) > read.invokeTime; i--) {
      const w = writes[i] as Operation<Versioned>;
      if (end(w) > read.invokeTime) latest = Math.max(latest ?? 0, w.input.version);
    }
    if (latest === undefined) continue;
    if ((read.output?.version ?? 0) >= latest) newer++;
    else older++;
  }
  return { newer, older };
}

export function runQuorum(trace: Trace, options: QuorumOptions): QuorumResult {
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 2_000_000 });
  const net = new Network<LeaderlessMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 10,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const replicas = Array.from({ length: options.n }, (_, i) =>
    net.add(new LeaderlessReplica(`replica-${i + 1}`, net)),
  );
  const recorded = new History<Versioned>();
  const allKeys = ["x", "y", "z"];
  const clients = Array.from({ length: options.clients }, (_, i) =>
    net.add(
      new QuorumClient(`client-${i + 1}`, net, {
        replicas: replicas.map((r) => r.id),
        w: options.w,
        r: options.r,
        timeoutMs: 60,
        readRepair: options.readRepair,
        // One writer per key: client i writes its own key, so versions order each key's writes.
        ownKeys: [`${allKeys[i % allKeys.length]}${Math.floor(i / allKeys.length) || ""}`],
        allKeys: Array.from(
          { length: options.clients },
          (_, j) => `${allKeys[j % allKeys.length]}${Math.floor(j / allKeys.length) || ""}`,
        ),
        operations: options.operations,
        history: recorded,
      }),
    ),
  );
  injectFaults(
    net,
    replicas.map((r) => r.id),
    options,
    { startMs: 20, endMs: 20 + options.operations * 15, durationMsMin: 30, durationMsMax: 200 },
    { whenNone: "No faults this run." },
  );
  for (const c of clients) sim.at(5, () => c.begin());
  sim.runUntil(() => clients.every((c) => c.done), 60_000);

  const ops = recorded.operations();
  const history = toCheckedOps(ops);
  const failed = new Set(
    clients.flatMap((c) => c.failedWrites.map((f) => `${f.key}@${f.version}`)),
  );
  const linearizability = checkLinearizableOrUndecided(
    kvModel,
    history,
    options.linearizabilitySteps,
  );
  trace.history(
    "linearizability of the quorum store",
    historyOperations(history),
    witnessOps(linearizability),
  );
  return {
    reads: ops.filter((op) => op.f === "read" && op.outcome === "ok").length,
    readsAfterAcknowledgedWrite: readsAfterAcknowledgedWrite(ops),
    acknowledgedWrites: ops.filter((op) => op.f === "write" && op.outcome === "ok").length,
    stale: badReads(ops),
    readsOfFailedWrites: ops.filter(
      (op) =>
        op.f === "read" && op.outcome === "ok" && failed.has(`${op.key}@${op.output?.version}`),
    ).length,
    readRepairs: clients.reduce((sum, c) => sum + c.readRepairs, 0),
    readsDuringWrite: readsDuringWrite(ops),
    history,
    linearizability,
  };
}

/** One operation of the scripted figure 9-6 run, as the narration needs it. */
export interface Figure96Operation {
  process: string;
  f: "write" | "read";
  key: string;
  /** The version written, or the version the read returned (0: the key was absent). */
  version: number;
  invokeTimeMs: number;
  /** undefined: not completed by the end of the run. */
  completeTimeMs: number | undefined;
  /** The answers that completed it: w acknowledgements, or the first r answers to a read. */
  answers: Answer[];
}

export interface Figure96Result {
  n: number;
  w: number;
  r: number;
  /** The writer's write, then reader A's read, then reader B's. */
  writer: Figure96Operation;
  readerA: Figure96Operation;
  readerB: Figure96Operation;
  /** The replicas reader A sent the newest version to (read repair), at its completion. */
  repairedByA: string[];
  stale: BadRead[];
  /** Reads that began after the write was acknowledged (see QuorumResult). */
  readsAfterAcknowledgedWrite: number;
  history: CheckedOp[];
  linearizability: Verdict;
}

/**
 * The book's figure 9-6 (DDIA ch. 9, "Linearizability and quorums"), scripted: n = 3, w = 3,
 * r = 2. The writer's Store reaches replica-3 at once but replica-1 and replica-2 only after
 * 150 ms. Reader A, starting at 5 ms, hears first from replica-3 (new value) and replica-1 (old),
 * and returns the new value; reader B, starting after A has finished, hears first from replica-1
 * and replica-2 and returns the old value, while the write is still waiting for its third
 * acknowledgement. The links' latencies are fixed, so the interleaving is the same at every
 * seed; nothing is lost.
 */
export function runFigure96(trace: Trace, options: { seed: number; readRepair: boolean }) {
  const n = 3;
  const w = 3;
  const r = 2;
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 10_000 });
  const net = new Network<LeaderlessMessage>(sim, { latencyMsMin: 1, latencyMsMax: 1 });
  const replicas = ["replica-1", "replica-2", "replica-3"].map((id) =>
    net.add(new LeaderlessReplica(id, net)),
  );
  const writer = "writer";
  const readerA = "reader-A";
  const readerB = "reader-B";
  const link = (from: string, to: string, ms: number) =>
    net.setLink(from, to, { latencyMsMin: ms, latencyMsMax: ms });
  // The write is slow to reach replica-1 and replica-2.
  link(writer, "replica-1", 150);
  link(writer, "replica-2", 150);
  // Reader A: replica-3 near, replica-1 a little farther, replica-2 far.
  link(readerA, "replica-1", 5);
  link("replica-1", readerA, 5);
  link(readerA, "replica-2", 50);
  link("replica-2", readerA, 50);
  // Reader B: replica-1 and replica-2 near, replica-3 far.
  link(readerB, "replica-3", 50);
  link("replica-3", readerB, 50);
  const recorded = new History<Versioned>();
  const client = (id: string, f: "write" | "read", atMs: number) =>
    net.add(
      new QuorumClient(id, net, {
        replicas: replicas.map((rep) => rep.id),
        w,
        r,
        timeoutMs: 1_000,
        readRepair: options.readRepair,
        ownKeys: ["x"],
        allKeys: ["x"],
        operations: 1,
        history: recorded,
        script: [{ f, key: "x", atMs }],
        keepAnswers: true,
      }),
    );
  const clients = [
    client(writer, "write", 0),
    client(readerA, "read", 5),
    // A completes at 15 ms (replica-1's answer); B starts after it.
    client(readerB, "read", 16),
  ];
  for (const c of clients) sim.at(0, () => c.begin());
  sim.runUntil(() => clients.every((c) => c.done), 2_000);
  sim.run(sim.now + 200);

  const ops = recorded.operations();
  const describe = (c: QuorumClient): Figure96Operation => {
    const op = ops.find((o) => o.process === c.id) as Operation<Versioned>;
    return {
      process: c.id,
      f: op.f === "write" ? "write" : "read",
      key: op.key,
      version: op.f === "write" ? op.input.version : (op.output?.version ?? 0),
      invokeTimeMs: op.invokeTime,
      completeTimeMs: op.outcome === "ok" ? op.completeTime : undefined,
      answers: c.answered.find((a) => a.historyOp === op.op)?.answers ?? [],
    };
  };
  const a = describe(clients[1] as QuorumClient);
  const history = toCheckedOps(ops);
  return {
    n,
    w,
    r,
    writer: describe(clients[0] as QuorumClient),
    readerA: a,
    readerB: describe(clients[2] as QuorumClient),
    repairedByA: options.readRepair
      ? a.answers.filter((x) => x.version < a.version).map((x) => x.replica)
      : [],
    stale: badReads(ops),
    readsAfterAcknowledgedWrite: readsAfterAcknowledgedWrite(ops),
    history,
    linearizability: checkLinearizable(kvModel, history),
  } satisfies Figure96Result;
}
