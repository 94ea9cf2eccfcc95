/**
 * CRDTs: strong eventual consistency, by property (fast-check) and on the simulated network.
 *
 * Every property is shown to fail on a broken variant: the counter whose merge adds (state-based
 * laws and convergence), counter and OR-Set operations delivered twice (op-based exactly-once),
 * OR-Set operations delivered out of causal order, the replicated OR-Set with its causal layer
 * off, an MV-Register writing from a stale context, and convergence judged by payloads alone.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addingMerge, brokenCounter } from "../../eventual-consistency/crdts/broken-counter.js";
import type { AnyCrdt, Recorded, Stamp } from "../../eventual-consistency/crdts/crdt.js";
import { gCounter } from "../../eventual-consistency/crdts/g-counter.js";
import {
  lwwAssign,
  lwwInitial,
  lwwMerge,
  lwwRegister,
  lwwValue,
} from "../../eventual-consistency/crdts/lww-register.js";
import type { CrdtMessage } from "../../eventual-consistency/crdts/messages.js";
import {
  mvApply,
  mvAssign,
  mvInitial,
  mvMerge,
  mvRegister,
  mvValues,
} from "../../eventual-consistency/crdts/mv-register.js";
import { OpReplica } from "../../eventual-consistency/crdts/op-replica.js";
import { orSet } from "../../eventual-consistency/crdts/or-set.js";
import { reachablePayloads } from "../../eventual-consistency/crdts/payloads.js";
import { pnCounter } from "../../eventual-consistency/crdts/pn-counter.js";
import { runCrdt } from "../../eventual-consistency/crdts/run.js";
import { crdts as crdtsScenario } from "../../eventual-consistency/scenarios/crdts.js";
import { type VectorClock, vcMerge } from "../../shared/clocks.js";
import { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { Random } from "../../shared/random.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";

const ALL: AnyCrdt[] = [gCounter, pnCounter, lwwRegister, mvRegister, orSet];
const REPLICAS = ["A", "B", "C"];

/** A step of an execution on three replicas: an update at one, or one syncing from another. */
type Step =
  | { kind: "update"; at: number; seed: number }
  | { kind: "sync"; from: number; to: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("update" as const),
    at: fc.integer({ min: 0, max: 2 }),
    seed: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("sync" as const),
    from: fc.integer({ min: 0, max: 2 }),
    to: fc.integer({ min: 0, max: 2 }),
  }),
);
const scriptArb = fc.array(stepArb, { minLength: 1, maxLength: 25 });

/**
 * Run a script state-based: every payload any replica held (after each update or sync), the
 * three final payloads, and the recorded updates with their causal pasts.
 */
function stateExecution(crdt: AnyCrdt, script: Step[]) {
  const t = crdt.stateBased;
  const states: unknown[] = REPLICAS.map(() => t.initial());
  const contexts: VectorClock[] = REPLICAS.map(() => ({}));
  const seqs = REPLICAS.map(() => 0);
  const produced: unknown[] = [];
  const history: Recorded<unknown>[] = [];
  let clockMs = 0;
  for (const step of script) {
    if (step.kind === "update") {
      const i = step.at;
      const update = crdt.randomUpdate(
        new Random(step.seed),
        history.length + 1,
        t.value(states[i]),
      );
      seqs[i] = (seqs[i] ?? 0) + 1;
      // Clocks that may tie across replicas (ties are broken by replica id, then update count).
      const stamp: Stamp = {
        replica: REPLICAS[i] as string,
        seq: seqs[i] as number,
        clockMs: Math.floor(clockMs++ / 3),
      };
      history.push({ update, stamp, context: contexts[i] as VectorClock });
      states[i] = t.update(states[i], update, stamp);
      contexts[i] = { ...contexts[i], [stamp.replica]: stamp.seq };
      produced.push(states[i]);
    } else {
      states[step.to] = t.merge(states[step.to], states[step.from]);
      contexts[step.to] = vcMerge(
        contexts[step.to] as VectorClock,
        contexts[step.from] as VectorClock,
      );
      produced.push(states[step.to]);
    }
  }
  return { states, produced, history };
}

interface RecordedOp {
  key: string;
  origin: string;
  seq: number;
  deps: VectorClock;
  op: unknown;
}

/** Run a script op-based: every operation prepared (with its causal past) and the history. */
function opExecution(crdt: AnyCrdt, script: Step[]) {
  const t = crdt.opBased;
  const payloads: unknown[] = REPLICAS.map(() => t.initial());
  const applied: RecordedOp[][] = REPLICAS.map(() => []);
  const contexts: VectorClock[] = REPLICAS.map(() => ({}));
  const seqs = REPLICAS.map(() => 0);
  const ops: RecordedOp[] = [];
  const history: Recorded<unknown>[] = [];
  const apply = (i: number, r: RecordedOp) => {
    payloads[i] = t.effect(payloads[i], r.op);
    applied[i]?.push(r);
    contexts[i] = vcMerge(vcMerge(contexts[i] as VectorClock, r.deps), { [r.origin]: r.seq });
  };
  let clockMs = 0;
  for (const step of script) {
    if (step.kind === "update") {
      const i = step.at;
      const update = crdt.randomUpdate(
        new Random(step.seed),
        history.length + 1,
        t.value(payloads[i]),
      );
      seqs[i] = (seqs[i] ?? 0) + 1;
      const stamp: Stamp = {
        replica: REPLICAS[i] as string,
        seq: seqs[i] as number,
        clockMs: Math.floor(clockMs++ / 3),
      };
      const deps = contexts[i] as VectorClock;
      history.push({ update, stamp, context: deps });
      const r: RecordedOp = {
        key: `${stamp.replica}.${stamp.seq}`,
        origin: stamp.replica,
        seq: stamp.seq,
        deps,
        op: t.prepare(payloads[i], update, stamp),
      };
      ops.push(r);
      apply(i, r);
    } else {
      // The receiver applies what the sender applied, in the sender's order: a causal order.
      const have = new Set(applied[step.to]?.map((r) => r.key));
      for (const r of applied[step.from] ?? []) if (!have.has(r.key)) apply(step.to, r);
    }
  }
  return { ops, history };
}

/** A delivery order of `ops` from random priorities: causal (each after its deps) or arbitrary. */
function deliveryOrder(ops: RecordedOp[], priorities: number[], causal: boolean): RecordedOp[] {
  const indexed = ops.map((r, i) => ({ r, p: priorities[i % priorities.length] ?? 0 }));
  if (!causal) return [...indexed].sort((a, b) => a.p - b.p).map((x) => x.r);
  const out: RecordedOp[] = [];
  const done: Record<string, number> = {};
  let left = indexed;
  while (left.length > 0) {
    const ready = left.filter(({ r }) =>
      Object.entries(r.deps).every(([k, n]) => (done[k] ?? 0) >= n),
    );
    const next = ready.reduce((a, b) => (b.p < a.p ? b : a));
    out.push(next.r);
    done[next.r.origin] = Math.max(done[next.r.origin] ?? 0, next.r.seq);
    left = left.filter((x) => x !== next);
  }
  return out;
}

/**
 * Apply `ops` to a fresh payload; `repeat` lists positions whose operation is applied a second
 * time, late: after all the others (as a retransmitted copy can arrive), in the order listed.
 */
function applyAll(crdt: AnyCrdt, ops: RecordedOp[], repeat: number[] = []): unknown {
  const t = crdt.opBased;
  let p = t.initial();
  for (const r of ops) p = t.effect(p, r.op);
  for (const i of repeat) {
    const r = ops[i];
    if (r !== undefined) p = t.effect(p, r.op);
  }
  return p;
}

/** The state-based laws on payloads reachable by updates and merges. */
function mergeLaws(crdt: AnyCrdt) {
  const t = crdt.stateBased;
  const c = t.canonical;
  return fc.property(scriptArb, (script) => {
    const { states } = stateExecution(crdt, script);
    const [a, b, d] = states;
    return (
      c(t.merge(a, b)) === c(t.merge(b, a)) &&
      c(t.merge(t.merge(a, b), d)) === c(t.merge(a, t.merge(b, d))) &&
      c(t.merge(a, a)) === c(a)
    );
  });
}

/**
 * Strong eventual consistency, state-based: two fresh replicas that receive every payload the
 * execution produced, each in its own order and with duplicates, end equal, and show the value
 * the recorded updates give.
 */
function stateConvergence(crdt: AnyCrdt) {
  const t = crdt.stateBased;
  return fc.property(
    scriptArb,
    fc.array(fc.nat(), { minLength: 1 }),
    fc.array(fc.nat(), { minLength: 1 }),
    (script, p1, p2) => {
      const { produced, history } = stateExecution(crdt, script);
      const deliver = (prio: number[]) => {
        const copies = produced.flatMap((s, i) =>
          (prio[i % prio.length] ?? 0) % 3 === 0 ? [s, s] : [s],
        );
        const order = copies
          .map((s, i) => ({ s, k: prio[(i * 7) % prio.length] ?? 0, i }))
          .sort((x, y) => x.k - y.k || x.i - y.i);
        return order.reduce((acc, { s }) => t.merge(acc, s), t.initial());
      };
      const x = deliver(p1);
      const y = deliver(p2);
      const expected = crdt.showValue(crdt.expected(history));
      return t.canonical(x) === t.canonical(y) && crdt.showValue(t.value(x)) === expected;
    },
  );
}

/**
 * Strong eventual consistency, op-based: a fresh replica applying every operation in a random
 * order (causal if the type needs it), with late duplicates if the type is idempotent (applying
 * an operation again after others leaves the payload as it was), ends equal to
 * one applying them in the order they were made, and shows the value the updates give.
 */
function opConvergence(crdt: AnyCrdt, options: { causal?: boolean; duplicates?: boolean } = {}) {
  const causal = options.causal ?? crdt.opBased.causal;
  const duplicates = options.duplicates ?? crdt.opBased.idempotent;
  const t = crdt.opBased;
  return fc.property(
    scriptArb,
    fc.array(fc.nat(), { minLength: 1 }),
    fc.array(fc.nat({ max: 30 })),
    (script, prio, repeat) => {
      const { ops, history } = opExecution(crdt, script);
      const inOrder = applyAll(crdt, ops);
      const shuffled = applyAll(crdt, deliveryOrder(ops, prio, causal), duplicates ? repeat : []);
      const expected = crdt.showValue(crdt.expected(history));
      return (
        t.canonical(inOrder) === t.canonical(shuffled) &&
        crdt.showValue(t.value(shuffled)) === expected
      );
    },
  );
}

const RUNS = { numRuns: 150, seed: 11 };

describe("state-based CRDTs: merge is commutative, associative and idempotent", () => {
  for (const crdt of ALL) {
    it(crdt.name, () => {
      fc.assert(mergeLaws(crdt), RUNS);
    });
  }
  it("fails on the broken counter, whose merge adds: fast-check finds a counterexample", () => {
    const result = fc.check(mergeLaws(brokenCounter), RUNS);
    expect(result.failed).toBe(true);
    // By hand: merge({A:1}, {A:1}) adds to {A:2}, not {A:1}: idempotence fails at once.
    expect(addingMerge({ A: 1 }, { A: 1 })).toEqual({ A: 2 });
  });
});

describe("state-based CRDTs: replicas that received the same payloads, in any order, with duplicates, are equal", () => {
  for (const crdt of ALL) {
    it(crdt.name, () => {
      fc.assert(stateConvergence(crdt), RUNS);
    });
  }
  it("fails on the broken counter: fast-check finds a counterexample", () => {
    expect(fc.check(stateConvergence(brokenCounter), RUNS).failed).toBe(true);
  });
});

describe("op-based CRDTs: the same operations in any (causal, where needed) order give equal payloads", () => {
  for (const crdt of ALL) {
    it(crdt.name, () => {
      fc.assert(opConvergence(crdt), RUNS);
    });
  }
  it("fails when counter operations are delivered twice (they need exactly once)", () => {
    expect(fc.check(opConvergence(gCounter, { duplicates: true }), RUNS).failed).toBe(true);
    expect(fc.check(opConvergence(pnCounter, { duplicates: true }), RUNS).failed).toBe(true);
  });
  it("fails when OR-Set operations are delivered twice (a late copy of an add undoes a remove)", () => {
    expect(fc.check(opConvergence(orSet, { duplicates: true }), RUNS).failed).toBe(true);
    // By hand: add(milk, A.1), remove(milk, {A.1}), then the add's copy again: milk is back.
    const o = orSet.opBased;
    const add = { kind: "add", element: "milk", tag: "A.1" } as const;
    const remove = { kind: "remove", element: "milk", tags: ["A.1"] } as const;
    const once = o.effect(o.effect(o.initial(), add), remove);
    expect(o.value(once)).toEqual([]);
    expect(o.value(o.effect(once, add))).toEqual(["milk"]);
  });
  it("fails when OR-Set operations are delivered out of causal order", () => {
    expect(fc.check(opConvergence(orSet, { causal: false }), RUNS).failed).toBe(true);
  });
});

describe("the examples of the scenario's stories, worked by hand", () => {
  const s = (replica: string, seq: number, clockMs = 0): Stamp => ({ replica, seq, clockMs });
  it("G-Counter: {A:2} and {B:1} merge to {A:2, B:1}, value 3, however often", () => {
    const g = gCounter.stateBased;
    const a = g.update(
      g.update(g.initial(), { kind: "increment" }, s("A", 1)),
      { kind: "increment" },
      s("A", 2),
    );
    const b = g.update(g.initial(), { kind: "increment" }, s("B", 1));
    expect(a).toEqual({ A: 2 });
    const m = g.merge(g.merge(b, a), a);
    expect(m).toEqual({ A: 2, B: 1 });
    expect(g.value(m)).toBe(3);
    // The adding merge: {B:1} + {A:2} = {A:2, B:1}, + {A:2} again = {A:4, B:1}: 5 for 3 increments.
    expect(brokenCounter.stateBased.value(addingMerge(addingMerge(b, a), a))).toBe(5);
  });
  it("LWW-Register: the later timestamp wins in either order; the other write is lost", () => {
    const red = lwwAssign(lwwInitial(), "red", s("A", 1, 10));
    const blue = lwwAssign(lwwInitial(), "blue", s("B", 1, 12));
    expect(lwwValue(lwwMerge(red, blue))).toBe("blue");
    expect(lwwValue(lwwMerge(blue, red))).toBe("blue");
    // Equal clocks: the bigger replica id wins (B > A), so the order is total.
    const tie = lwwAssign(lwwInitial(), "green", s("A", 1, 12));
    expect(lwwValue(lwwMerge(tie, blue))).toBe("blue");
  });
  it("MV-Register: concurrent writes become siblings; a write that saw both replaces them", () => {
    const a = mvAssign(mvInitial(), "A", "red");
    const b = mvAssign(mvInitial(), "B", "blue");
    const both = mvMerge(a, b);
    expect(mvValues(both).sort()).toEqual(["blue", "red"]);
    const c = mvAssign(both, "C", "purple");
    expect(c.entries[0]?.vector).toEqual({ A: 1, B: 1, C: 1 });
    expect(mvValues(mvMerge(both, c))).toEqual(["purple"]);
    expect(mvValues(mvMerge(c, a))).toEqual(["purple"]);
  });
  it("MV-Register: one replica writing twice from the same payload gets two vectors, the second replacing the first", () => {
    // The case shared/versions.ts got wrong before dotted version vectors: two writes through one
    // replica from the same context got equal vectors. Here a write's context is always the
    // replica's whole payload, which holds its own last write (or one that dominates it), so the
    // replica's own entry grows by one each time. By hand: {} -> red {A:1} -> blue {A:2}.
    const first = mvAssign(mvInitial(), "A", "red");
    const second = mvAssign(first, "A", "blue");
    expect(first.entries[0]?.vector).toEqual({ A: 1 });
    expect(second.entries[0]?.vector).toEqual({ A: 2 });
    expect(mvValues(mvMerge(first, second))).toEqual(["blue"]);
    // After A's write was overwritten elsewhere ({A:1, B:1} dominates {A:1}), A's next write
    // still counts A's first: {A:2, B:1}, not a second {A:1}.
    const atB = mvAssign(mvMerge(mvInitial(), first), "B", "green");
    const backAtA = mvAssign(mvMerge(first, atB), "A", "gold");
    expect(backAtA.entries[0]?.vector).toEqual({ A: 2, B: 1 });
    // The broken variant: a write made from a context other than the replica's payload (a client
    // that read nothing, writing through A). Both writes get {A:1}: the second did follow the first
    // at A, yet the merge keeps the first as a sibling, so convergence to what the recorded
    // updates give fails (fast-check finds it).
    const blind: AnyCrdt = {
      ...mvRegister,
      stateBased: {
        ...mvRegister.stateBased,
        update: (state: unknown, update: { value: string }, stamp: Stamp) =>
          mvMerge(
            state as ReturnType<typeof mvInitial>,
            mvAssign(mvInitial(), stamp.replica, update.value),
          ),
      },
    };
    expect(fc.check(stateConvergence(blind), RUNS).failed).toBe(true);
    expect(fc.check(stateConvergence(mvRegister), RUNS).failed).toBe(false);
  });
  it("MV-Register: applying one assignment (the op-based effect) is merging it in", () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        const { states } = stateExecution(mvRegister, script);
        const [a, b] = states as ReturnType<typeof mvInitial>[];
        if (a === undefined || b === undefined) return true;
        const c = mvRegister.stateBased.canonical;
        return [...b.entries, ...a.entries].every(
          (e) => c(mvApply(a, e)) === c(mvMerge(a, { entries: [e] })),
        );
      }),
      RUNS,
    );
  });
  it("OR-Set: an add concurrent with a remove wins; a remove after the add it saw removes it", () => {
    const t = orSet.stateBased;
    const a1 = t.update(t.initial(), { kind: "add", element: "milk" }, s("A", 1));
    const b = t.update(t.merge(t.initial(), a1), { kind: "remove", element: "milk" }, s("B", 1));
    expect(t.value(b)).toEqual([]);
    const a = t.update(a1, { kind: "add", element: "milk" }, s("A", 2));
    expect(t.value(t.merge(a, b))).toEqual(["milk"]);
    expect(t.value(t.merge(a1, b))).toEqual([]);
    // Op-based: remove before the add it observed leaves milk behind; after it, nothing.
    const o = orSet.opBased;
    const add = { kind: "add", element: "milk", tag: "A.1" } as const;
    const remove = { kind: "remove", element: "milk", tags: ["A.1"] } as const;
    expect(o.value(o.effect(o.effect(o.initial(), add), remove))).toEqual([]);
    expect(o.value(o.effect(o.effect(o.initial(), remove), add))).toEqual(["milk"]);
  });
});

describe("replicated on the simulated network with loss, duplication and reordering", () => {
  const faults = (seed: number) => ({
    seed,
    replicas: 2 + (seed % 3),
    updates: 12,
    loss: [0, 0.3, 0.9][seed % 3] as number,
    duplicate: [0.5, 0.2, 0][seed % 3] as number,
  });
  it("every CRDT converges, state-based and op-based, to the value its updates give, over 8 seeds", () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      for (const crdt of ALL) {
        for (const mode of ["state-based", "op-based"] as const) {
          const run = runCrdt(crdt, mode, faults(seed), Trace.silent());
          if (!run.equal || !run.correct || run.convergedAfterMs === undefined)
            failures.push(
              `${crdt.name} ${mode} seed ${seed}: ${run.values.join(" | ")} vs ${run.expected} (replay: npx tsx eventual-consistency/main.ts crdts --seed ${seed})`,
            );
        }
      }
    }
    expect(failures).toEqual([]);
  });
  it("every CRDT converges under arbitrary flags (fast-check over seed, replicas, updates, loss, duplication)", () => {
    const flags = fc.record({
      seed: fc.nat(),
      replicas: fc.integer({ min: 2, max: 5 }),
      updates: fc.integer({ min: 0, max: 15 }),
      loss: fc.double({ min: 0, max: 1, noNaN: true }),
      duplicate: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    const converges = (crdt: AnyCrdt) =>
      fc.property(flags, (o) =>
        (["state-based", "op-based"] as const).every((mode) => {
          const run = runCrdt(crdt, mode, o, Trace.silent());
          return run.equal && run.correct && run.convergedAfterMs !== undefined;
        }),
      );
    for (const crdt of ALL) fc.assert(converges(crdt), { numRuns: 15, seed: 5 });
    // The same property on the broken counter: found false (one update made is enough).
    expect(fc.check(converges(brokenCounter), { numRuns: 15, seed: 5 }).failed).toBe(true);
  });
  it("the broken counter ends wrong on every seed (updates were made and gossip sent them back)", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const run = runCrdt(brokenCounter, "state-based", faults(seed), Trace.silent());
      expect(run.equal && run.correct, `seed ${seed}`).toBe(false);
    }
    // The smallest case: one increment, two replicas, no faults. {A:1} reaches B, the payloads are
    // equal at the right value for a moment, and the next round adds {A:1} to {A:1}: caught,
    // because converged means equal and still equal two gossip rounds later.
    const smallest = runCrdt(
      brokenCounter,
      "state-based",
      { seed: 1, replicas: 2, updates: 1, loss: 0, duplicate: 0 },
      Trace.silent(),
    );
    expect(smallest.equal && smallest.correct).toBe(false);
    expect(smallest.expected).toBe("1");
  });
  it("op-based, time to converge is not before the last operation was applied everywhere", () => {
    // Equal payloads are not convergence for an op-based counter: its payload is one integer, and
    // a replica that applied {+1, -1} holds what one that applied neither holds. The run must
    // wait until every replica has applied every operation. Shown to fail on the criterion the
    // run once used (payloads equal, to stay so for two gossip rounds): on some seed it reports
    // convergence while an operation is still to be applied (seed 134 here: at 0 ms after the
    // last update, while the last operation was applied some 170 ms later; found by a probe that
    // logged every application, then checked by replaying that seed).
    const early = (payloadsOnly: boolean): number[] => {
      const seeds: number[] = [];
      for (let seed = 121; seed <= 140; seed++) {
        const options = { seed, replicas: 3, updates: 24, loss: 0.5, duplicate: 0.2, payloadsOnly };
        const run = runCrdt(pnCounter, "op-based", options, Trace.silent());
        const converged = run.convergedAfterMs ?? Number.POSITIVE_INFINITY;
        if (converged < (run.deliveredAfterMs ?? 0)) seeds.push(seed);
      }
      return seeds;
    };
    expect(early(false)).toEqual([]);
    expect(early(true)).toContain(134);
  });
  it("the OR-Set without causal delivery diverges or ends wrong on some seed", () => {
    const noCausal: AnyCrdt = { ...orSet, opBased: { ...orSet.opBased, causal: false } };
    let caught = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const run = runCrdt(
        noCausal,
        "op-based",
        { seed, replicas: 3, updates: 40, loss: 0.3, duplicate: 0 },
        Trace.silent(),
      );
      if (!run.equal || !run.correct) caught++;
    }
    expect(caught).toBeGreaterThan(0);
  });
});

describe("the scenario", () => {
  it("with --updates 0, every convergence check is not exercised, none shown as held", async () => {
    const trace = new Trace({ messages: false });
    await crdtsScenario.run({ trace, seed: 1 }, {
      replicas: 3,
      updates: 0,
      loss: 0.2,
      duplicate: 0.2,
    } as never);
    const checks = trace.checks();
    expect(checks).toHaveLength(11);
    expect(checks.every((c) => c.held === null)).toBe(true);
  });
  it("at the defaults, ten checks hold and the broken counter's is violated, as expected", async () => {
    const trace = new Trace({ messages: false });
    await crdtsScenario.run({ trace, seed: 1 }, {
      replicas: 3,
      updates: 24,
      loss: 0.2,
      duplicate: 0.2,
    } as never);
    const checks = trace.checks();
    expect(checks.filter((c) => c.held === true)).toHaveLength(10);
    const broken = checks.filter((c) => c.held === false);
    expect(broken).toHaveLength(1);
    expect(broken[0]?.expected).toBe(false);
    expect(broken[0]?.name).toContain("broken counter");
  });
});

describe("payloads for a benchmark of merges", () => {
  it("merging every payload built by reachablePayloads gives the value the updates give", () => {
    for (const crdt of ALL) {
      const { payloads, history } = reachablePayloads(crdt, { seed: 3, replicas: 4, updates: 60 });
      const t = crdt.stateBased;
      const all = payloads.reduce((acc, p) => t.merge(acc, p), t.initial());
      expect(crdt.showValue(t.value(all)), crdt.name).toBe(crdt.showValue(crdt.expected(history)));
    }
    // The G-Counter's value is the number of increments: 60, counted by hand from the options.
    const g = reachablePayloads(gCounter, { seed: 3, replicas: 4, updates: 60 });
    const merged = g.payloads.reduce<Record<string, number>>(
      (acc, p) => gCounter.stateBased.merge(acc, p as Record<string, number>),
      {},
    );
    expect(Object.values(merged).reduce((a, b) => a + b, 0)).toBe(60);
  });
});

describe("the op-based delivery layer, by messages in and out", () => {
  /** Records what it receives; sends what the test tells it to. */
  class Probe extends SimNode<CrdtMessage, null, null> {
    received: CrdtMessage[] = [];
    protected initialVolatile(): null {
      return null;
    }
    onMessage(_from: string, msg: CrdtMessage): void {
      this.received.push(msg);
    }
  }
  const setUp = (crdt: AnyCrdt) => {
    const sim = new Simulation({ seed: 1, trace: Trace.silent() });
    const net = new Network<CrdtMessage>(sim, { latencyMsMin: 1, latencyMsMax: 1 });
    const probe = net.add(new Probe("P", net, null));
    const replica = net.add(
      new OpReplica("B", net, crdt.opBased, { peers: ["P"], retryMsMin: 30, retryMsMax: 240 }),
    );
    return { sim, probe, replica };
  };

  it("acknowledges every copy of an operation and applies it once", () => {
    const { sim, probe, replica } = setUp(gCounter);
    const op: CrdtMessage = {
      type: "Op",
      id: { origin: "P", seq: 1 },
      deps: {},
      op: { kind: "increment" },
    };
    probe.send("B", op);
    probe.send("B", op);
    sim.run(10);
    expect(replica.state).toBe(1);
    expect(replica.stats.duplicatesIgnored).toBe(1);
    expect(probe.received).toEqual([
      { type: "Ack", id: { origin: "P", seq: 1 } },
      { type: "Ack", id: { origin: "P", seq: 1 } },
    ]);
  });

  it("holds an OR-Set remove back until the add it observed has been applied", () => {
    const { sim, probe, replica } = setUp(orSet);
    const add: CrdtMessage = {
      type: "Op",
      id: { origin: "P", seq: 1 },
      deps: {},
      op: { kind: "add", element: "milk", tag: "P.1" },
    };
    const remove: CrdtMessage = {
      type: "Op",
      id: { origin: "P", seq: 2 },
      deps: { P: 1 },
      op: { kind: "remove", element: "milk", tags: ["P.1"] },
    };
    probe.send("B", remove);
    sim.run(5);
    expect(replica.pending.held).toBe(1);
    expect(replica.state).toEqual([]);
    probe.send("B", add);
    sim.run(10);
    // Without the hold, the add would have come last and left milk at B for good.
    expect(replica.pending.held).toBe(0);
    expect(replica.state).toEqual([]);
    expect(replica.context).toEqual({ P: 2 });
  });

  it("sends its own operation again until the peer acknowledges it, backing off", () => {
    const { sim, probe, replica } = setUp(gCounter);
    sim.at(0, () => replica.update({ kind: "increment" }));
    // No acknowledgement: copies at 0, 30, 90 (30 + 60) and 210 (90 + 120) ms.
    sim.run(250);
    expect(probe.received.filter((m) => m.type === "Op")).toHaveLength(4);
    probe.send("B", { type: "Ack", id: { origin: "B", seq: 1 } });
    sim.run(2_000);
    expect(probe.received.filter((m) => m.type === "Op")).toHaveLength(4);
    expect(replica.pending.unacknowledged).toBe(0);
  });
});
