/**
 * The consistency-models scenario. Part 1: the classic histories' matrix, worked out by hand
 * (reasoning beside each row), and the scenario's checks shown to catch a checker that ignores
 * real time or causality. Part 2: the store matrix over many seeds.
 */
import { describe, expect, it } from "vitest";
import { runQuorumStore } from "../../eventual-consistency/cap/run.js";
import { CLASSIC_HISTORIES } from "../../eventual-consistency/models/classic.js";
import { emptySubject, matrixRow } from "../../eventual-consistency/models/matrix.js";
import {
  REPLICAS,
  SITE_LATENCY_MS,
  STORES,
  type StoreUnderTest,
} from "../../eventual-consistency/models/stores.js";
import {
  classicHistories,
  runStores,
  storeHistories,
} from "../../eventual-consistency/scenarios/consistency-models.js";
import {
  type Classification,
  type ClassifyOptions,
  classify,
} from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import { Trace } from "../../shared/trace.js";

type Row = (string | number)[];

function tableRows(trace: Trace, title: string): Row[] {
  const table = trace.events.find((e) => e.kind === "table" && e.title.startsWith(title));
  if (table?.kind !== "table") throw new Error(`no table ${title}`);
  return table.rows;
}

describe("part 1: the classic histories", () => {
  it("the matrix of the classic histories is the one worked out by hand", () => {
    const trace = new Trace({ messages: false });
    classicHistories(trace);
    // Columns: linearizable, sequential, causal, PRAM, read-your-writes, monotonic reads,
    // monotonic writes, writes-follow-reads.
    // A cell is "–" where the history gives the model nothing to judge: read-your-writes needs a
    // read after its process's own write of the key, monotonic reads a read after its process's
    // read of a value of the key, monotonic writes and writes-follow-reads a read of a value whose
    // writer had written (or read a value of) a key before, followed by a read of that key.
    expect(tableRows(trace, "The classic histories")).toEqual([
      // Alice [2,6] and Bob [4,8] both overlap the write [0,10]: Bob's read at 4.5, the write
      // at 5, Alice's read at 5.5 is inside every interval. Linearizable. One operation per
      // process: no session pattern can appear.
      ["concurrent-reads", "yes", "yes", "yes", "yes", "–", "–", "–", "–"],
      // Bob's read [7,9] starts after Alice's returned (6): real time puts it after the write
      // she saw, yet it reads nil. Without real time: Bob, write, Alice. One operation per
      // process again.
      ["figure-9-1", "no", "yes", "yes", "yes", "–", "–", "–", "–"],
      // c: x=1 then y=nil; d: y=1 then x=nil. One total order would need x=1 before y=1 and
      // y=1 before x=1. Each reader's view can order the concurrent writes its own way: causal.
      // The readers write nothing and read each key once; each writer writes once.
      ["iriw", "no", "no", "yes", "yes", "–", "–", "–", "–"],
      // cake read the question before answering: question → answer causally. The observer
      // reads the answer, then nil for the question: not causal; PRAM does not order writes of
      // different processes, so it holds. WFR is exactly this pattern; the observer wrote
      // nothing and read each key once, and cake wrote nothing before the answer.
      ["question-and-answer", "no", "no", "no", "yes", "–", "–", "–", "no"],
      // The user writes, then reads nil: its own view has the write first. Not PRAM; RYW is the
      // pattern, and nothing was read before.
      ["figure-5-3", "no", "no", "no", "no", "no", "–", "–", "–"],
      // user-2345 reads "hi", then nil: its first read puts the write before the second. Not
      // PRAM; MR is the pattern: 2345 wrote nothing, 1234 wrote once and read nothing.
      ["figure-5-4", "no", "no", "no", "no", "–", "no", "–", "–"],
    ]);
    const checks = trace.checks();
    expect(checks).toHaveLength(CLASSIC_HISTORIES.length);
    expect(checks.every((c) => c.held === true)).toBe(true);
  });

  it("the scenario's checks catch a checker that ignores real time, or causality", () => {
    // A broken checker that calls a history linearizable whenever it is sequential (real time
    // forgotten): figure-9-1 and nothing else changes.
    const noRealTime = (ops: readonly CheckedOp[], options: ClassifyOptions): Classification => {
      const c = classify(ops, options);
      return { ...c, models: { ...c.models, linearizable: c.models.sequential } };
    };
    const trace = new Trace({ messages: false });
    classicHistories(trace, noRealTime);
    const failed = trace.checks().filter((c) => c.held === false);
    expect(failed.map((c) => c.name)).toEqual([
      "the checker's verdicts on figure-9-1 match the ones worked out by hand",
    ]);
    expect(failed[0]?.detail).toBe("linearizable: yes, by hand no");
    // One that takes PRAM for causal memory: question-and-answer, the only history that is
    // PRAM and not causal, is caught.
    const noCausality = (ops: readonly CheckedOp[], options: ClassifyOptions): Classification => {
      const c = classify(ops, options);
      return { ...c, models: { ...c.models, causal: c.models.pram } };
    };
    const again = new Trace({ messages: false });
    classicHistories(again, noCausality);
    expect(
      again
        .checks()
        .filter((c) => c.held === false)
        .map((c) => c.name),
    ).toEqual(["the checker's verdicts on question-and-answer match the ones worked out by hand"]);
  });

  it("each classic history's row is what its own hand-worked list says", () => {
    // The scenario's `holds` lists and the table above were written apart; they must agree.
    for (const h of CLASSIC_HISTORIES) {
      const row = matrixRow(h.name, classify(h.ops, { shortcuts: false }));
      const yes = row.slice(1).flatMap((v, i) => (v === "yes" ? [i] : []));
      const models = [
        "linearizable",
        "sequential",
        "causal",
        "pram",
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
      ];
      expect(
        yes.map((i) => models[i]),
        h.name,
      ).toEqual(models.filter((m) => h.holds.includes(m as never)));
    }
  });
});

// ---- Part 2: the stores -----------------------------------------------------------------------

const store = (name: string) => STORES.find((s) => s.name === name) as StoreUnderTest;
const SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);
/** Small runs, a third of them without loss, a third losing 5% of messages, a third 20%. */
const small = (seed: number) => ({
  clients: 3,
  operations: 8,
  keys: 2,
  loss: [0, 0.05, 0.2][seed % 3] as number,
  maxSteps: 200_000,
});
const replay = (seed: number) =>
  `npx tsx eventual-consistency/main.ts consistency-models --seed ${seed} --clients 3 --operations 8 --keys 2 --loss ${small(seed).loss}`;

/** The checks storeHistories records for `stores` at `seed`. */
function storeChecks(seed: number, stores: readonly StoreUnderTest[], loss?: number) {
  const trace = new Trace({ messages: false });
  storeHistories(trace, seed, { ...small(seed), ...(loss === undefined ? {} : { loss }) }, stores);
  return trace.checks();
}

/** The quorum store with a quorum of 1: two quorums need not meet (broken on purpose). */
const minorityQuorum: StoreUnderTest = {
  ...store("quorum"),
  run: (scripts, o) =>
    runQuorumStore(scripts, {
      seed: o.seed,
      replicas: REPLICAS,
      latencyMs: SITE_LATENCY_MS,
      loss: o.loss,
      quorum: 1,
    }).history,
};
/** The sticky-session store's claims on the async-followers store's routing (stickiness removed). */
const unstuck: StoreUnderTest = { ...store("sticky-sessions"), run: store("async-followers").run };

describe("part 2: the stores on one workload", () => {
  it("the quorum store's history is linearizable at every seed; with a quorum of 1 the check fails", () => {
    for (const seed of SEEDS) {
      const [r] = runStores(seed, small(seed), [store("quorum")]).results;
      expect(r?.classification.models.linearizable, replay(seed)).toBe(true);
    }
    // The broken variant: some seed's history is not linearizable, and the scenario's check
    // (expected to hold) reports it violated.
    const caught = SEEDS.filter((seed) =>
      storeChecks(seed, [minorityQuorum]).some(
        (c) =>
          c.name === "the quorum store's history is linearizable" && c.held === false && c.expected,
      ),
    );
    expect(caught.length).toBeGreaterThan(0);
  });

  it("the sticky-session store's history has no monotonic-reads witness at any seed; reading from any follower has one", () => {
    for (const seed of SEEDS) {
      const [r] = runStores(seed, small(seed), [store("sticky-sessions")]).results;
      expect(r?.classification.models["monotonic-reads"], replay(seed)).toBe(true);
    }
    const caught = SEEDS.filter((seed) =>
      storeChecks(seed, [unstuck]).some(
        (c) =>
          c.name === "the sticky-sessions store's history has no monotonic reads witness" &&
          c.held === false &&
          c.expected,
      ),
    );
    expect(caught.length).toBeGreaterThan(0);
  });

  it("the LWW store whose clients stay on their own replica has no read-your-writes or monotonic-reads witness at any seed; sent anywhere, it has", () => {
    for (const seed of SEEDS) {
      const [r] = runStores(seed, small(seed), [store("lww-own-replica")]).results;
      expect(r?.classification.models["read-your-writes"], replay(seed)).toBe(true);
      expect(r?.classification.models["monotonic-reads"], replay(seed)).toBe(true);
    }
    // The broken variant: the same claims on the same replicas, each operation to any replica.
    const roaming: StoreUnderTest = {
      ...store("lww-own-replica"),
      run: store("lww-any-replica").run,
    };
    const caught = SEEDS.filter((seed) =>
      storeChecks(seed, [roaming]).some(
        (c) =>
          c.name === "the lww-own-replica store's history has no read-your-writes witness" &&
          c.held === false &&
          c.expected,
      ),
    );
    expect(caught.length).toBeGreaterThan(0);
  });

  it("async followers break read-your-writes and monotonic reads, and LWW sent anywhere linearizability and read-your-writes, on some seeds (the quorum store on none)", () => {
    const broken = (name: string, model: "read-your-writes" | "monotonic-reads" | "linearizable") =>
      SEEDS.filter((seed) => {
        const [r] = runStores(seed, small(seed), [store(name)]).results;
        return r?.classification.models[model] === false;
      }).length;
    expect(broken("async-followers", "read-your-writes")).toBeGreaterThan(0);
    expect(broken("async-followers", "monotonic-reads")).toBeGreaterThan(0);
    expect(broken("lww-any-replica", "linearizable")).toBeGreaterThan(0);
    expect(broken("lww-any-replica", "read-your-writes")).toBeGreaterThan(0);
    // The same count on the store built to be linearizable is zero: "some seeds" is not a
    // property every store has.
    expect(broken("quorum", "linearizable")).toBe(0);
  });

  it("a check of a model the store may break is violated only where the history breaks it, and the run is still as expected", () => {
    let heldSomewhere = false;
    for (const seed of SEEDS.slice(0, 12)) {
      const trace = new Trace({ messages: false });
      storeHistories(trace, seed, small(seed));
      const { results } = runStores(seed, small(seed));
      for (const check of trace.checks()) {
        const r = results.find((x) => check.name.startsWith(`the ${x.store.name} store's`));
        const claim = r?.store.claims.find(
          (c) => check.name.includes(c.model) || check.name.includes(c.model.replace("-", " ")),
        );
        expect(claim, check.name).toBeDefined();
        if (check.held === null) continue;
        // The check says what the history says, whatever the store was built for.
        expect(check.held, `${check.name} at ${replay(seed)}`).toBe(
          r?.classification.models[claim?.model as never],
        );
        if (check.held && !check.expected) heldSomewhere = true;
      }
      expect(trace.summarize().ok, replay(seed)).toBe(true);
    }
    // Some run shows a model a store may break unbroken: it is reported held, not violated.
    expect(heldSomewhere).toBe(true);
  });

  it("with every message lost no read completes, and every store check is not exercised", () => {
    const checks = storeChecks(1, STORES, 1);
    expect(checks.length).toBe(STORES.reduce((n, s) => n + s.claims.length, 0));
    for (const c of checks) {
      expect(c.held, c.name).toBe(null);
      expect(c.detail).toMatch(/^no read completed/);
    }
  });

  it("the subject of each check, by hand", () => {
    const op = (
      process: string,
      f: "read" | "write",
      key: string,
      value: string | null,
      call: number,
      outcome: "ok" | "info" | "fail" = "ok",
    ): CheckedOp => ({
      id: call,
      process,
      f,
      key,
      input: f === "write" ? value : null,
      output: f === "read" ? value : null,
      outcome,
      callTime: call,
      returnTime: outcome === "info" ? Number.POSITIVE_INFINITY : call + 1,
    });
    // Writes alone: nothing to judge for any model.
    const writes = [op("a", "write", "x", "1", 0), op("b", "write", "x", "2", 2)];
    expect(emptySubject(writes, "linearizable")).toMatch(/^no read completed/);
    // A read of another key after a's write, a read by another process, a read after an
    // :info write (which precedes nothing): no read-your-writes subject. a's read of x after
    // its ok write of x is one.
    const noRyw = [
      op("a", "write", "x", "1", 0),
      op("a", "read", "y", null, 2),
      op("b", "read", "x", "1", 4),
      op("b", "write", "x", "2", 6, "info"),
      op("b", "read", "x", null, 8),
    ];
    expect(emptySubject(noRyw, "read-your-writes")).toBeDefined();
    expect(emptySubject(noRyw, "linearizable")).toBeUndefined();
    expect(
      emptySubject([...noRyw, op("a", "read", "x", "1", 10)], "read-your-writes"),
    ).toBeUndefined();
    // b read x = 1 then read x again: a monotonic-reads subject. A first read of nil is not
    // (nothing can be older than nil), nor a failed second read.
    expect(emptySubject(noRyw, "monotonic-reads")).toBeUndefined();
    const noMr = [
      op("c", "read", "x", null, 0),
      op("c", "read", "x", "1", 2),
      op("c", "read", "y", null, 4),
    ];
    expect(emptySubject(noMr, "monotonic-reads")).toBeDefined();
    expect(
      emptySubject([...noMr, op("c", "read", "x", null, 6, "fail")], "monotonic-reads"),
    ).toBeDefined();
  });

  it("the subjects of monotonic writes and writes-follow-reads, by hand; a matrix cell is never – where the checker found a violation", () => {
    const op = (
      id: number,
      process: string,
      f: "read" | "write",
      key: string,
      value: string | null,
    ): CheckedOp => ({
      id,
      process,
      f,
      key,
      input: f === "write" ? value : null,
      output: f === "read" ? value : null,
      outcome: "ok",
      callTime: 2 * id,
      returnTime: 2 * id + 1,
    });
    // q writes x=1 then y=1; p reads y=1 then x: the monotonic-writes pattern (p must see x=1).
    // Without p's read of x, or with p reading y=1 only, there is nothing to judge.
    const mw = [
      op(0, "q", "write", "x", "1"),
      op(1, "q", "write", "y", "1"),
      op(2, "p", "read", "y", "1"),
    ];
    expect(emptySubject(mw, "monotonic-writes")).toBeDefined();
    expect(
      emptySubject([...mw, op(3, "p", "read", "x", null)], "monotonic-writes"),
    ).toBeUndefined();
    // Its writes-follow-reads subject: q reads x=1 (written by r) before writing y=1.
    expect(
      emptySubject([...mw, op(3, "p", "read", "x", null)], "writes-follow-reads"),
    ).toBeDefined();
    const wfr = [
      op(0, "r", "write", "x", "1"),
      op(1, "q", "read", "x", "1"),
      op(2, "q", "write", "y", "1"),
      op(3, "p", "read", "y", "1"),
      op(4, "p", "read", "x", null),
    ];
    expect(emptySubject(wfr, "writes-follow-reads")).toBeUndefined();
    expect(emptySubject(wfr, "monotonic-writes")).toBeDefined();
    // The checker finds that one violated, and the row says no, not –.
    const row = matrixRow("wfr", classify(wfr, {}), wfr);
    expect(row[8]).toBe("no");
    // A broken classification calling the other session guarantees violated: "no" shows even
    // where the subject is empty (a "–" never hides a violation).
    const c = classify(wfr, {});
    const broken = { ...c, models: { ...c.models, "monotonic-writes": false } };
    expect(matrixRow("wfr", broken, wfr)[7]).toBe("no");
    expect(matrixRow("wfr", c, wfr)[7]).toBe("–");
  });

  it("with one client the own-replica LWW store is linearizable at every seed, so its check is not exercised; a store that can break it is still reported", () => {
    const one = (seed: number) => ({ ...small(seed), clients: 1 });
    for (const seed of SEEDS) {
      const [r] = runStores(seed, one(seed), [store("lww-own-replica")]).results;
      expect(r?.classification.models.linearizable, `${replay(seed)} --clients 1`).toBe(true);
      const trace = new Trace({ messages: false });
      storeHistories(trace, seed, one(seed), [store("lww-own-replica")]);
      const check = trace
        .checks()
        .find((c) => c.name === "the lww-own-replica store's history is linearizable");
      expect(check?.held, `${replay(seed)} --clients 1`).toBe(null);
    }
    // With two clients, on two replicas, it is broken on some seed: the rule is about one client.
    expect(
      SEEDS.some(
        (seed) =>
          runStores(seed, { ...small(seed), clients: 2 }, [store("lww-own-replica")]).results[0]
            ?.classification.models.linearizable === false,
      ),
    ).toBe(true);
    // The same claims on a store that sends each operation anywhere: broken with one client,
    // and reported violated, not "not exercised".
    const roaming: StoreUnderTest = {
      ...store("lww-own-replica"),
      run: store("lww-any-replica").run,
    };
    const caught = SEEDS.filter((seed) => {
      const trace = new Trace({ messages: false });
      storeHistories(trace, seed, one(seed), [roaming]);
      return trace
        .checks()
        .some(
          (c) =>
            c.name === "the lww-own-replica store's history is linearizable" && c.held === false,
        );
    });
    expect(caught.length).toBeGreaterThan(0);
  });

  it("a memory model the checker left undecided is reported violated when a weaker one is", () => {
    // A checker that gives up on linearizability: the sequential violation it finds implies it.
    const givesUp = (ops: readonly CheckedOp[], options: ClassifyOptions): Classification => {
      const c = classify(ops, options);
      return { ...c, models: { ...c.models, linearizable: null } };
    };
    const seed = SEEDS.find(
      (s) =>
        runStores(s, small(s), [store("lww-any-replica")]).results[0]?.classification.models
          .sequential === false,
    ) as number;
    expect(seed).toBeDefined();
    const trace = new Trace({ messages: false });
    storeHistories(trace, seed, small(seed), [store("lww-any-replica")], givesUp);
    const check = trace
      .checks()
      .find((c) => c.name === "the lww-any-replica store's history is linearizable");
    expect(check?.held).toBe(false);
    expect(check?.detail).toMatch(/but not sequential consistency, which it implies/);
  });

  it("is deterministic: one seed, one set of histories", () => {
    const a = runStores(7, small(7));
    const b = runStores(7, small(7));
    expect(JSON.stringify(b.results.map((r) => r.history))).toBe(
      JSON.stringify(a.results.map((r) => r.history)),
    );
  });
});
