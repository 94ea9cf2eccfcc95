import { describe, expect, it } from "vitest";
import {
  answeredIn,
  latencies,
  lostWrites,
  staleReads,
  staleSiblingReads,
  unaccountedWrites,
} from "../../eventual-consistency/cap/measures.js";
import {
  type QuorumStoreOptions,
  runApStore,
  runMvStore,
  runQuorumStore,
  type StoreRun,
  type StoreScript,
} from "../../eventual-consistency/cap/run.js";
import { figure96, lateWrite } from "../../eventual-consistency/cap/scripted.js";
import { cap } from "../../eventual-consistency/scenarios/cap.js";
import { planRegisterWorkload } from "../../eventual-consistency/workload.js";
import {
  type CheckedOp,
  checkLinearizable,
  registerModel,
} from "../../shared/check/linearizability.js";
import type { CommonOptions } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { AbdMessage } from "../../shared/quorum/abd-messages.js";
import { AbdReplica } from "../../shared/quorum/abd-replica.js";
import { Random } from "../../shared/random.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";

const SEEDS = 300;

/** One seed's configuration: sizes, loss and the partition, all drawn from the seed. */
function configuration(seed: number) {
  const random = new Random(seed).fork("cap-test");
  const replicas = random.pick([3, 5]);
  const scripts = planRegisterWorkload(random.fork("workload"), {
    clients: random.int(2, 6),
    operations: 6,
    keys: random.int(1, 2),
    writeRatio: 0.5,
    thinkMsMax: 20,
  });
  const options: QuorumStoreOptions = {
    seed,
    replicas,
    latencyMs: 5,
    loss: random.pick([0, 0, 0.1]),
    partition: {
      startMs: random.uniform(0, 60),
      durationMs: random.pick([0, 1, 1, 1]) * random.uniform(5, 150),
    },
  };
  return { scripts, options };
}

const replay = (seed: number) => `(seed ${seed}: configuration(${seed}) in this file replays it)`;

/** Operations the minority side invoked while the partition stood. */
function minorityDuringPartition(run: StoreRun): CheckedOp[] {
  const p = run.partition;
  if (p === undefined) return [];
  return run.history.filter(
    (op) =>
      run.sideOf.get(op.process) === "minority" &&
      op.callTime >= p.startMs &&
      op.callTime < p.endMs,
  );
}

/** The refusal the CP store owes: none of them answered before the heal. */
const answeredBeforeHeal = (run: StoreRun) =>
  minorityDuringPartition(run).filter(
    (op) => op.outcome === "ok" && op.returnTime < (run.partition?.endMs ?? 0),
  );

const linearizable = (run: StoreRun) => checkLinearizable(registerModel, run.history).linearizable;

describe(`CAP over ${SEEDS} seeds with random partitions`, () => {
  const cpFailures: string[] = [];
  const apFailures: string[] = [];
  let refusalsJudged = 0;
  let apNotLinearizable = 0;
  const mvFailures: string[] = [];
  let mvSiblingSeeds = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { scripts, options } = configuration(seed);
    const cp = runQuorumStore(scripts, options);
    if (!linearizable(cp)) cpFailures.push(`CP not linearizable ${replay(seed)}`);
    if (minorityDuringPartition(cp).length > 0) refusalsJudged++;
    const early = answeredBeforeHeal(cp);
    if (early.length > 0)
      cpFailures.push(`CP minority answered ${early.length} during the partition ${replay(seed)}`);
    const ap = runApStore(scripts, options);
    const unanswered = ap.history.filter((op) => op.outcome !== "ok");
    if (unanswered.length > 0)
      apFailures.push(`AP left ${unanswered.length} unanswered ${replay(seed)}`);
    if (ap.divergentKeysAtEnd > 0) apFailures.push(`AP did not converge ${replay(seed)}`);
    if (!linearizable(ap)) apNotLinearizable++;
    const mv = runMvStore(scripts, options);
    if (mv.history.some((op) => op.outcome !== "ok"))
      mvFailures.push(`MV left requests unanswered ${replay(seed)}`);
    if (mv.divergentKeysAtEnd > 0) mvFailures.push(`MV did not converge ${replay(seed)}`);
    const unaccounted = unaccountedWrites(mv.history, mv.finalSiblings, mv.superseded);
    if (unaccounted.length > 0)
      mvFailures.push(`MV lost ${unaccounted.length} acknowledged writes ${replay(seed)}`);
    if ([...mv.siblingsRead.values()].some((v) => v.length > 1)) mvSiblingSeeds++;
  }

  it("the CP store's histories are linearizable, and its minority side answers nothing while the partition stands", () => {
    expect(cpFailures).toEqual([]);
    // Not vacuous: most seeds put a minority client's operation inside the partition.
    expect(refusalsJudged).toBeGreaterThan(SEEDS / 3);
  });

  it("the AP store answers every request and converges once the partition heals", () => {
    expect(apFailures).toEqual([]);
  });

  it("the AP store fails linearizability on some seeds", () => {
    expect(apNotLinearizable).toBeGreaterThan(0);
  });

  it("the AP store with multi-value registers answers every request, loses no acknowledged write and converges", () => {
    expect(mvFailures).toEqual([]);
    // Not vacuous: on some seeds concurrent writes were kept and a read returned them together.
    expect(mvSiblingSeeds).toBeGreaterThan(0);
  });
});

describe("each check is shown to catch its broken variant", () => {
  it("linearizability catches ABD without the reader's write-back (and ABD with it passes the same seeds)", () => {
    // Three replicas and a lossy network: a write's Update that reaches one replica and is lost
    // to the others leaves a window in which one read sees it and a later one does not.
    let caught = 0;
    const wrong: number[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
        clients: 6,
        operations: 8,
        keys: 1,
        writeRatio: 0.5,
        thinkMsMax: 2,
      });
      const options = { seed, replicas: 3, latencyMs: 5, loss: 0.3 };
      if (!linearizable(runQuorumStore(scripts, { ...options, writeBack: false }))) caught++;
      if (!linearizable(runQuorumStore(scripts, options))) wrong.push(seed);
    }
    expect(caught).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it("the refusal check and linearizability catch ABD with a quorum below a majority", () => {
    let answeredEarly = 0;
    let notLinearizable = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { scripts, options } = configuration(seed);
      const run = runQuorumStore(scripts, { ...options, quorum: Math.floor(options.replicas / 2) });
      if (answeredBeforeHeal(run).length > 0) answeredEarly++;
      if (!linearizable(run)) notLinearizable++;
    }
    expect(answeredEarly).toBeGreaterThan(0);
    expect(notLinearizable).toBeGreaterThan(0);
  });

  it("the every-request-answered check catches a store that refuses: the CP store under the same partitions", () => {
    let refused = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { scripts, options } = configuration(seed);
      const run = runQuorumStore(scripts, options);
      if (run.history.some((op) => op.outcome !== "ok")) refused++;
    }
    expect(refused).toBeGreaterThan(0);
  });

  it("the lost-write check catches a multi-value store whose merge keeps one side of concurrent writes", () => {
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { scripts, options } = configuration(seed);
      const mv = runMvStore(scripts, { ...options, mergeKeepsOne: true });
      if (unaccountedWrites(mv.history, mv.finalSiblings, mv.superseded).length > 0) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });

  it("the convergence check, scripted: a write in the partition that nothing follows reaches the majority only by anti-entropy", () => {
    // Worked by hand in cap/scripted.ts: "b" is written on replica-3 during the partition, its
    // Replicate messages are lost, and no later write carries it.
    expect(lateWrite(0, "lww").divergentKeysAtEnd).toBe(1);
    expect(lateWrite(0, "mv").divergentKeysAtEnd).toBe(1);
    expect([...lateWrite(40, "lww").finalValues]).toEqual([["x", "b"]]);
    expect(lateWrite(40, "lww").divergentKeysAtEnd).toBe(0);
    expect(lateWrite(40, "mv").divergentKeysAtEnd).toBe(0);
  });

  it("the convergence check catches an AP store without anti-entropy", () => {
    let diverged = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { scripts, options } = configuration(seed);
      if (runApStore(scripts, { ...options, antiEntropyMs: 0 }).divergentKeysAtEnd > 0) diverged++;
      if (runMvStore(scripts, { ...options, antiEntropyMs: 0 }).divergentKeysAtEnd > 0) diverged++;
    }
    expect(diverged).toBeGreaterThan(0);
  });
});

describe("the latency of linearizability without a partition (DDIA ch. 9, Linearizability and network delays)", () => {
  // Bounds worked by hand from the topology: another site is at least latencyMs / 2 away each
  // way, so a round trip to it takes at least latencyMs; each ABD phase needs a majority (at
  // least 2 of 3 replicas), so at least one remote answer, and an operation has two phases: at
  // least 2 × latencyMs. The AP client's own replica is at most 1 ms away each way: at most 2 ms
  // without loss (the 5 ms resend never fires).
  const latencyMs = 10;
  const runs = (quorum?: number) => {
    const cp: number[] = [];
    const ap: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const scripts = planRegisterWorkload(new Random(seed).fork("workload"), {
        clients: 3,
        operations: 5,
        keys: 2,
        writeRatio: 0.5,
        thinkMsMax: 20,
      });
      const options = { seed, replicas: 3, latencyMs, ...(quorum === undefined ? {} : { quorum }) };
      cp.push(...latencies(runQuorumStore(scripts, options).history));
      ap.push(...latencies(runApStore(scripts, options).history));
    }
    return { cp, ap };
  };

  it("every CP operation takes at least two cross-site round trips; every AP one under 2 ms", () => {
    const { cp, ap } = runs();
    expect(cp.length).toBeGreaterThan(0);
    expect(Math.min(...cp)).toBeGreaterThanOrEqual(2 * latencyMs);
    expect(Math.max(...ap)).toBeLessThanOrEqual(2);
  });

  it("the bound comes from the majority: with a quorum of 1 (broken) some CP operation is faster", () => {
    const { cp } = runs(1);
    expect(Math.min(...cp)).toBeLessThan(2 * latencyMs);
  });
});

describe("what the scenario counts, on hand-worked histories", () => {
  const op = (
    id: number,
    process: string,
    f: "read" | "write",
    value: string | null,
    callTime: number,
    returnTime: number,
    outcome: "ok" | "info" = "ok",
  ): CheckedOp => ({
    id,
    process,
    f,
    key: "x",
    input: f === "write" ? value : null,
    output: f === "read" ? value : null,
    outcome,
    callTime,
    returnTime: outcome === "info" ? Number.POSITIVE_INFINITY : returnTime,
  });

  it("a stale read returned a value overwritten before it began", () => {
    const history = [
      op(0, "w", "write", "a", 0, 2),
      op(1, "w", "write", "b", 3, 5), // began after a was acknowledged: it overwrites a
      op(2, "r1", "read", "a", 6, 7), // b was acknowledged at 5, before 6: stale
      op(3, "r2", "read", "a", 4, 8), // began at 4, before b was acknowledged: not stale
      op(4, "r3", "read", null, 6, 7), // nil after acknowledged writes: stale
      op(5, "r4", "read", "b", 6, 7), // the latest: not stale
      op(6, "w", "write", "c", 10, 20),
      op(7, "v", "write", "d", 12, 22), // overlaps c: either may come last
      op(8, "r5", "read", "c", 25, 26), // d began before c was acknowledged: not stale
    ];
    expect(staleReads(history).map((o) => o.id)).toEqual([2, 4]);
  });

  it("a lost write is an acknowledged write that nothing later replaced, yet is gone", () => {
    const history = [
      op(0, "p", "write", "a", 0, 2),
      op(1, "q", "write", "b", 3, 5), // begins after a: a is replaced, not lost
      op(2, "p", "write", "c", 10, 20),
      op(3, "q", "write", "d", 12, 22), // overlaps c
      op(4, "s", "write", "e", 30, 31),
      op(5, "t", "write", "f", 40, 41), // begins after e was acknowledged
    ];
    // Key x ends holding e: f (acknowledged at 41, nothing after it) is lost, and it began after
    // e, the survivor, was acknowledged (at 31): a later write discarded. a, b, c and d were
    // each followed by a write that began after they were acknowledged.
    expect(lostWrites(history, new Map([["x", "e"]]))).toEqual({
      lost: [history[5]],
      laterThanSurvivor: [history[5]],
    });
    // Only c and d, overlapping, with d surviving: c is lost, but not to a later write.
    const overlapping = history.slice(2, 4);
    expect(lostWrites(overlapping, new Map([["x", "d"]]))).toEqual({
      lost: [history[2]],
      laterThanSurvivor: [],
    });
    // A write of unknown outcome that began after c was acknowledged replaces it if it survived.
    const info = [history[2] as CheckedOp, op(9, "u", "write", "g", 25, 0, "info")];
    expect(lostWrites(info, new Map([["x", "g"]])).lost).toEqual([]);
  });

  it("multi-value reads: stale when they missed a write begun after every sibling they returned was acknowledged", () => {
    const history = [
      op(0, "p", "write", "a", 0, 2),
      op(1, "q", "write", "b", 1, 3), // overlaps a: concurrent
      op(2, "p", "write", "c", 5, 6), // begun after a and b were acknowledged
      op(3, "r1", "read", "a | b", 4, 5), // c not acknowledged before 4: not stale
      op(4, "r2", "read", "a | b", 7, 8), // c (5 → 6) began after a (2) and b (3): stale
      op(5, "r3", "read", "b | c", 7, 8), // returned c: not stale
      op(6, "r4", "read", null, 7, 8), // nothing, after acknowledged writes: stale
    ];
    const siblings = new Map<number, readonly string[]>([
      [3, ["a", "b"]],
      [4, ["a", "b"]],
      [5, ["b", "c"]],
      [6, []],
    ]);
    expect(staleSiblingReads(history, siblings).map((o) => o.id)).toEqual([4, 6]);
  });

  it("a multi-value write is lost when it is neither a final sibling nor superseded by a write that saw it", () => {
    const history = [
      op(0, "p", "write", "a", 0, 2),
      op(1, "q", "write", "b", 1, 3),
      op(2, "p", "write", "c", 5, 6),
      op(3, "s", "write", "d", 7, 8, "info"),
    ];
    // c's replica held a when it took c; the end holds {b, c}: nothing lost.
    const superseded = new Map<string, readonly string[]>([
      ["x\0c", ["a"]],
      ["x\0b", []],
    ]);
    expect(unaccountedWrites(history, new Map([["x", ["b", "c"]]]), superseded)).toEqual([]);
    // The end holds {c} only: b, acknowledged and superseded by no write, is lost; d, of
    // unknown outcome, is not counted.
    expect(unaccountedWrites(history, new Map([["x", ["c"]]]), superseded)).toEqual([history[1]]);
  });

  it("counts answered operations by side and window", () => {
    const history = [
      op(0, "a", "write", "a", 5, 6),
      op(1, "b", "read", null, 7, 0, "info"),
      op(2, "a", "read", "a", 20, 21),
    ];
    const sides = new Map([
      ["a", "majority" as const],
      ["b", "minority" as const],
    ]);
    expect(answeredIn(history, sides, "majority", 0, 10)).toEqual({ invoked: 1, answered: 1 });
    expect(answeredIn(history, sides, "minority", 0, 10)).toEqual({ invoked: 1, answered: 0 });
    expect(answeredIn(history, sides, "any", 0, 100)).toEqual({ invoked: 3, answered: 2 });
  });
});

/** A node that records what it is sent, to drive a replica by messages in, messages out. */
class Probe extends SimNode<AbdMessage, null, null> {
  readonly received: AbdMessage[] = [];
  constructor(id: string, net: Network<AbdMessage>) {
    super(id, net, null);
  }
  protected initialVolatile(): null {
    return null;
  }
  onMessage(_from: string, msg: AbdMessage): void {
    this.received.push(msg);
  }
}

describe("ABD replica: messages in, messages out", () => {
  it("answers a Query with what it holds, and takes an Update only with a higher timestamp", () => {
    const sim = new Simulation({ seed: 1 });
    const net = new Network<AbdMessage>(sim, { latencyMsMin: 1, latencyMsMax: 1 });
    const replica = net.add(new AbdReplica("replica-1", net));
    const probe = net.add(new Probe("client", net));
    const send = (msg: AbdMessage) => {
      probe.send("replica-1", msg);
      sim.run();
    };
    send({ type: "Query", requestId: "q1", key: "x" });
    send({
      type: "Update",
      requestId: "u1",
      key: "x",
      timestamp: { counter: 2, writer: "c1" },
      value: "a",
    });
    send({
      type: "Update",
      requestId: "u2",
      key: "x",
      timestamp: { counter: 1, writer: "c9" },
      value: "old",
    });
    send({
      type: "Update",
      requestId: "u3",
      key: "x",
      timestamp: { counter: 2, writer: "c2" },
      value: "b",
    });
    send({ type: "Query", requestId: "q2", key: "x" });
    expect(probe.received).toEqual([
      { type: "QueryReply", requestId: "q1", timestamp: { counter: 0, writer: "" }, value: null },
      { type: "UpdateAck", requestId: "u1" },
      // Acknowledged, but not taken: (1, c9) is older than (2, c1).
      { type: "UpdateAck", requestId: "u2" },
      // (2, c2) is newer than (2, c1): the writer id breaks the tie.
      { type: "UpdateAck", requestId: "u3" },
      { type: "QueryReply", requestId: "q2", timestamp: { counter: 2, writer: "c2" }, value: "b" },
    ]);
    expect(replica.stored("x").value).toBe("b");
  });
});

describe("ABD client, scripted (the book's figure 9-6, with and without the write-back)", () => {
  // The run is cap/scripted.ts's figure96: three replicas; a write in progress has reached
  // replica-1 only. Reader A hears first from replica-1 and replica-2; reader B, starting after A
  // has finished, hears first from replica-2 and replica-3. Latencies are fixed (1 ms, 50 ms on
  // A–replica-3 and B–replica-1), so the order of events is the same at every seed.
  const figure = figure96;

  it("with the write-back, reader B returns what reader A returned, and the history is linearizable", () => {
    const history = figure(true);
    expect(history.slice(1).map((o) => [o.process, o.output, o.returnTime < 10])).toEqual([
      ["reader-A", "new", true],
      ["reader-B", "new", false],
    ]);
    expect(checkLinearizable(registerModel, history).linearizable).toBe(true);
  });

  it("without it (broken), reader B returns the old value after A returned the new one: not linearizable", () => {
    const history = figure(false);
    expect(history.slice(1).map((o) => [o.process, o.output])).toEqual([
      ["reader-A", "new"],
      ["reader-B", null],
    ]);
    expect(checkLinearizable(registerModel, history).linearizable).toBe(false);
  });
});

describe("the scenario", () => {
  const common: CommonOptions = {
    seed: 1,
    json: false,
    quiet: false,
    verbose: false,
    color: false,
  };
  const defaults = {
    replicas: 5,
    clients: 5,
    operations: 20,
    keys: 2,
    partitionMs: 300,
    latencyMs: 10,
    loss: 0,
    duplicate: 0,
    break: "none" as const,
  };
  const run = (overrides: Partial<typeof defaults> | { break: string }) => {
    const trace = new Trace({ messages: false });
    cap.run({ trace, seed: 1 }, { ...common, ...defaults, ...overrides } as never);
    return { checks: trace.checks(), summary: trace.summarize() };
  };

  it("holds every check at the default flags", () => {
    const { checks, summary } = run({});
    expect(checks.map((c) => c.held)).toEqual([true, true, true, true, true, true, true]);
    expect(summary.ok).toBe(true);
  });

  it("--break minority-quorum: the minority answers during the partition, violated as expected", () => {
    const { checks, summary } = run({ break: "minority-quorum" });
    const refusal = checks.find((c) => c.name.startsWith("CP: no operation the minority side"));
    expect(refusal).toMatchObject({ held: false, expected: false });
    expect(summary.ok).toBe(true);
  });

  it("--break write-back and --break anti-entropy: the scripted run shows the fault at the default flags", () => {
    for (const [broken, name] of [
      ["write-back", "CP, figure 9-6 scripted: the history is linearizable"],
      ["anti-entropy", "AP, scripted late write: the replicas converged"],
      ["anti-entropy", "AP (CRDT), scripted late write: the replicas converged"],
    ] as const) {
      const { checks, summary } = run({ break: broken });
      expect(checks.find((c) => c.name === name)).toMatchObject({ held: false, expected: false });
      expect(summary.ok).toBe(true);
    }
  });

  it("--partition-ms 0: the refusal check is not exercised, never a ✔", () => {
    const { checks } = run({ partitionMs: 0 });
    expect(
      checks.find((c) => c.name.startsWith("CP: no operation the minority side"))?.held,
    ).toBeNull();
  });

  it("refuses an even --replicas", () => {
    expect(cap.validate?.({ ...defaults, replicas: 4 })).toMatch(/--replicas 4 must be odd/);
  });

  it("is deterministic: the same seed gives the same histories", () => {
    const { scripts, options } = configuration(7);
    const once = (s: readonly StoreScript[]) =>
      JSON.stringify([
        runQuorumStore(s, options).history,
        runApStore(s, options).history,
        runMvStore(s, options).history,
        [...runMvStore(s, options).siblingsRead],
      ]);
    expect(once(scripts)).toBe(once(scripts));
  });
});
