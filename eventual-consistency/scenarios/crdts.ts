/**
 * CRDTs (DDIA ch. 5, "Custom conflict resolution logic", the sidebar "Automatic Conflict
 * Resolution", and "Merging concurrently written values"): five conflict-free replicated data
 * types, each first merged by hand in a short story, then replicated state-based (gossip of whole
 * payloads) and operation-based (operations retransmitted until acknowledged, deduplicated, and
 * held for causal order where the type needs it) over a network that loses, duplicates and
 * reorders messages; then a counter whose merge adds instead of taking the maximum, which the
 * convergence check catches.
 */

import { integer, networkFaultOptions, option, type Scenario } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import { addingMerge, brokenCounter } from "../crdts/broken-counter.js";
import type { AnyCrdt, Stamp } from "../crdts/crdt.js";
import {
  counterSum,
  type GCounterState,
  gCounter,
  gCounterMerge,
  showVector,
} from "../crdts/g-counter.js";
import { lwwAssign, lwwInitial, lwwMerge, lwwRegister } from "../crdts/lww-register.js";
import { mvAssign, mvInitial, mvMerge, mvRegister, showMVRegister } from "../crdts/mv-register.js";
import {
  type ORSetPayload,
  orSet,
  orSetMerge,
  type SetOp,
  showORSetPayload,
  showORSetState,
} from "../crdts/or-set.js";
import { pnCounter, pnCounterMerge, showPNCounter } from "../crdts/pn-counter.js";
import {
  type CrdtRun,
  GOSSIP_MS,
  LIMIT_MS,
  type MergeEvent,
  type Mode,
  RETRY_MS_MAX,
  RETRY_MS_MIN,
  runCrdt,
  STABLE_MS,
  UPDATES_WINDOW_MS,
  WATCH_MS,
} from "../crdts/run.js";
import { REF } from "../refs.js";

export interface CrdtsOptions {
  replicas: number;
  updates: number;
  loss: number;
  duplicate: number;
}

export const CRDTS: readonly AnyCrdt[] = [gCounter, pnCounter, lwwRegister, mvRegister, orSet];
const MODES: readonly Mode[] = ["state-based", "op-based"];

const SHAPIRO =
  "Shapiro, Preguiça, Baquero and Zawirski, A comprehensive study of Convergent and Commutative Replicated Data Types, 2011";

const stamp = (replica: string, seq: number, clockMs = 0): Stamp => ({ replica, seq, clockMs });

function storyCounters(trace: Trace): void {
  trace.section(
    "G-Counter and PN-Counter: one count per replica, merged by maximum",
    REF.automaticResolution,
  );
  const g = gCounter.stateBased;
  let a = g.update(
    g.update(g.initial(), { kind: "increment" }, stamp("A", 1)),
    { kind: "increment" },
    stamp("A", 2),
  );
  let b = g.update(g.initial(), { kind: "increment" }, stamp("B", 1));
  trace.note(
    `A increments twice and B once, concurrently: A holds ${showVector(a)}, B holds ${showVector(b)}. Each replica counts only its own increments, in its own entry.`,
  );
  const once = gCounterMerge(b, a);
  const twice = gCounterMerge(once, a);
  trace.note(
    `A's payload reaches B, and a duplicate of the message reaches it again: B merges to ${showVector(once)}, then to ${showVector(twice)}. The maximum of 2 and 2 is 2, so the copy counts nothing twice; value ${counterSum(twice)}.`,
  );
  a = gCounterMerge(a, b);
  b = twice;
  trace.note(
    `B's payload reaches A: A holds ${showVector(a)} too. Both show ${counterSum(a)}, the number of increments (A's two and B's one), whatever order and however often the payloads arrive.`,
    { level: "summary" },
  );
  const p = pnCounter.stateBased;
  const pa = p.update(
    p.update(p.initial(), { kind: "increment" }, stamp("A", 1)),
    { kind: "increment" },
    stamp("A", 2),
  );
  const pb = p.update(p.initial(), { kind: "decrement" }, stamp("B", 1));
  const merged = pnCounterMerge(pa, pb);
  trace.note(
    `A PN-Counter keeps two such vectors, P for increments and N for decrements. A increments twice, B decrements once: A holds ${showPNCounter(pa)}, B holds ${showPNCounter(pb)}; merged, ${showPNCounter(merged)}, value ${p.value(merged)}.`,
  );
}

function storyRegisters(trace: Trace): void {
  trace.section("LWW-Register: the write with the bigger timestamp wins", REF.lastWriteWins);
  const red = lwwAssign(lwwInitial(), "red", stamp("A", 1, 10));
  const blue = lwwAssign(lwwInitial(), "blue", stamp("B", 1, 12));
  const both = lwwMerge(red, blue);
  trace.note(
    `A assigns "red" at its clock's 10 ms, and B, not having seen it, assigns "blue" at 12 ms. Merged in either order (${JSON.stringify(lwwMerge(red, blue).value)}, ${JSON.stringify(lwwMerge(blue, red).value)}), both replicas show ${JSON.stringify(both.value)}: "red" is discarded, though it was concurrent with "blue", not overwritten by it. Convergence, at the cost of durability.`,
    { ref: REF.lastWriteWins, level: "summary" },
  );

  trace.section("MV-Register: concurrent values kept side by side", REF.merging);
  const mA = mvAssign(mvInitial(), "A", "red");
  const mB = mvAssign(mvInitial(), "B", "blue");
  const siblings = mvMerge(mA, mB);
  trace.note(
    `The same two writes on an MV-Register: A holds ${showMVRegister(mA)}, B holds ${showMVRegister(mB)}. Neither version vector dominates the other, so the merge keeps both: ${showMVRegister(siblings)}, siblings a reader must resolve.`,
    { ref: REF.merging, level: "summary" },
  );
  const mC = mvAssign(mvMerge(mvInitial(), siblings), "C", "purple");
  const after = mvMerge(siblings, mC);
  trace.note(
    `C, having merged both, assigns "purple": ${showMVRegister(mC)}. Its vector dominates both siblings', so merging it anywhere leaves ${showMVRegister(after)}: a write that saw the siblings replaces them.`,
    { ref: REF.versionVectors },
  );
}

function storyORSet(trace: Trace): void {
  trace.section("OR-Set: an add concurrent with a remove wins", REF.merging);
  const s = orSet.stateBased;
  const a1 = s.update(s.initial(), { kind: "add", element: "milk" }, stamp("A", 1));
  let b = orSetMerge(s.initial(), a1);
  trace.note(`A adds milk, tagged A.1; B receives A's payload: B holds ${showORSetState(b)}.`);
  b = s.update(b, { kind: "remove", element: "milk" }, stamp("B", 1));
  const a = s.update(a1, { kind: "add", element: "milk" }, stamp("A", 2));
  trace.note(
    `Then, concurrently, B removes milk (a tombstone for A.1, the one tag it observed) and A adds milk again (A.2). A holds ${showORSetState(a)}; B holds ${showORSetState(b)}, whose value is ${orSet.showValue(s.value(b))}.`,
  );
  const merged = orSetMerge(a, b);
  trace.note(
    `Merged (the union of both sets): ${showORSetState(merged)}. A.2 is in no tombstone, so the set is ${orSet.showValue(s.value(merged))} at both: the add wins, because the remove removed only what it had seen.`,
    { ref: REF.merging, level: "summary" },
  );
  const o = orSet.opBased;
  const add: SetOp = { kind: "add", element: "milk", tag: "A.1" };
  const remove: SetOp = { kind: "remove", element: "milk", tags: ["A.1"] };
  const inOrder: ORSetPayload = o.effect(o.effect(o.initial(), add), remove);
  const outOfOrder: ORSetPayload = o.effect(o.effect(o.initial(), remove), add);
  trace.note(
    `Operation-based, the set ships operations instead. Leave A.2 aside: A's add(milk, A.1), then B's remove(milk, {A.1}). A replica C that applied the remove first (it removes nothing there) and the add after it would hold ${showORSetPayload(outOfOrder)} for good, while A and B hold ${showORSetPayload(inOrder)}. So C must hold the remove back until A.1 has arrived: the OR-Set needs causal delivery.`,
    { level: "summary" },
  );
}

function storyBroken(trace: Trace): void {
  const g = gCounter.stateBased;
  const a = g.update(
    g.update(g.initial(), { kind: "increment" }, stamp("A", 1)),
    { kind: "increment" },
    stamp("A", 2),
  );
  const b = g.update(g.initial(), { kind: "increment" }, stamp("B", 1));
  const once = addingMerge(b, a);
  const twice = addingMerge(once, a);
  const back = addingMerge(a, twice);
  trace.note(
    `The story of the G-Counter again, with a merge that adds: A holds ${showVector(a)}, B holds ${showVector(b)}. A's payload reaches B: ${showVector(once)}, value ${counterSum(once)}, right. Its duplicate reaches B too: ${showVector(twice)}, value ${counterSum(twice)}, though only 3 increments were made. B's payload goes back to A: A holds ${showVector(back)}, value ${counterSum(back)}. merge(s, s) = 2s: the merge is not idempotent, so a duplicate, or a payload that returns to where it came from, counts again; and gossip sends payloads back and forth round after round.`,
    { ref: REF.automaticResolution, level: "summary" },
  );
}

function deliveryTable(trace: Trace): void {
  trace.section("What each CRDT needs from the network", REF.automaticResolution);
  trace.note(
    `State-based: every ${GOSSIP_MS} ms, until the run stops it, each replica sends its whole payload to one peer picked at random, and the receiver merges it into its own. A lost payload is made good by a later round, since each round sends all the sender holds; a duplicate, or a payload overtaken by a newer one from the same sender, merges to what the receiver already has (merge is idempotent, and the older payload is below the newer). No acknowledgements, no ids, no order.`,
  );
  trace.note(
    `Operation-based: the source applies its operation and sends it to every other replica, again and again (after ${RETRY_MS_MIN} ms, doubling to at most ${RETRY_MS_MAX} ms) until each acknowledges it; a receiver acknowledges every copy, ignores an operation whose id (source, number) it has seen, and, for a type that needs causal order, holds an operation back until everything in its causal past has been applied.`,
  );
  trace.table(
    "Operation-based delivery each type needs",
    ["CRDT", "an operation applied twice", "order needed"],
    CRDTS.map((c) => [
      c.name,
      c.opBased.idempotent
        ? c.opBased.appliedTwice
        : `${c.opBased.appliedTwice}: exactly once needed`,
      c.opBased.causal
        ? "causal: a remove after the adds it observed"
        : "none: concurrent operations commute",
    ]),
    `After ${SHAPIRO}. The layer here gives every type all three (retransmission, deduplication, and causal order where the type needs it).`,
  );
}

const formatMs = (run: CrdtRun): string =>
  run.history.length === 0
    ? "no update made"
    : run.convergedAfterMs === undefined
      ? `not within ${LIMIT_MS / 1000} s of the heal`
      : `${run.convergedAfterMs.toFixed(0)} ms`;

const VALUE_CHARS_MAX = 60;
const clip = (text: string): string =>
  text.length <= VALUE_CHARS_MAX ? text : `${text.slice(0, VALUE_CHARS_MAX - 1)}…`;

/** One value when every replica agrees, else the first few replicas' values. */
function formatValues(run: CrdtRun, ids: number): string {
  if (run.values.every((v) => v === run.values[0])) return clip(run.values[0] ?? "");
  const shown = run.values
    .slice(0, 3)
    .map((v, i) => `${String.fromCharCode(65 + i)} ${clip(v)}`)
    .join("; ");
  return ids > 3 ? `${shown}; …` : shown;
}

function row(run: CrdtRun, replicas: number): (string | number)[] {
  return [
    run.crdt,
    run.mode,
    run.history.length,
    run.sent,
    run.dropped,
    run.duplicated,
    run.equal ? "yes" : "no",
    formatMs(run),
    formatValues(run, replicas),
  ];
}

const COLUMNS = [
  "CRDT",
  "mode",
  "updates",
  "messages sent",
  "dropped",
  "duplicated",
  "converged",
  "time to converge",
  "value",
];

function convergenceCheck(trace: Trace, crdt: AnyCrdt, run: CrdtRun, expected = true): void {
  const name = `${run.crdt} (${run.mode}): every replica ends with the same payload, showing ${crdt.expectedText}`;
  if (run.history.length === 0) {
    trace.notExercised(name, "no update was made: the replicas start equal and stay so", {
      ref: REF.automaticResolution,
    });
    return;
  }
  const detail =
    run.equal && run.correct
      ? `${run.values.length === 2 ? "both replicas show" : `all ${run.values.length} replicas show`} ${run.expected}`
      : `${run.equal ? `all replicas equal, showing ${run.values[0]}` : `replicas differ: ${formatValues(run, run.values.length)}`}; ${run.history.length === 1 ? "the one update gives" : `the ${run.history.length} updates give`} ${run.expected}`;
  trace.check(name, run.equal && run.correct, { ref: REF.automaticResolution, detail, expected });
}

export const crdts: Scenario<CrdtsOptions> = {
  name: "crdts",
  networked: true,
  summary:
    "G-Counter, PN-Counter, LWW-Register, MV-Register and OR-Set converge over a lossy, duplicating network, state-based and op-based; a counter whose merge adds is caught",
  options: [
    option("--replicas <count>", "replicas of each CRDT", integer(2, 16), 3),
    option(
      "--updates <count>",
      `updates per run (each CRDT, each mode), at random replicas during the first ${UPDATES_WINDOW_MS} ms`,
      integer(0, 1_000),
      24,
    ),
    ...networkFaultOptions({ loss: 0.2, duplicate: 0.2 }).map((o) => ({
      ...o,
      description: `${o.description} while the updates arrive (the network heals at ${UPDATES_WINDOW_MS} ms)`,
    })),
  ],
  run: ({ trace, seed }, options) => {
    trace.section(
      "CRDTs: replicated data types that resolve conflicts by themselves",
      REF.automaticResolution,
    );
    trace.note(
      "A conflict-free replicated datatype can be updated at any replica without coordination, and replicas that received the same updates, in any order, hold the same value (strong eventual consistency). State-based: the payload forms a join-semilattice, and replicas merge whole payloads by their least upper bound, a merge that is commutative, associative and idempotent. Operation-based: operations are prepared at their source and applied at every replica exactly once, in causal order where the type needs it, and concurrent operations commute.",
      { ref: REF.automaticResolution, level: "summary" },
    );
    storyCounters(trace);
    storyRegisters(trace);
    storyORSet(trace);
    deliveryTable(trace);

    trace.section(
      `Each CRDT on ${options.replicas} replicas, over a network that loses, duplicates and reorders`,
      REF.automaticResolution,
    );
    trace.note(
      `Each run makes ${options.updates} updates at random replicas during the first ${UPDATES_WINDOW_MS} ms, while each message is lost with probability ${options.loss} and one that is not lost is delivered twice with probability ${options.duplicate}, with latencies from 1 to 10 ms (so a message can overtake an earlier one). At ${UPDATES_WINDOW_MS} ms the network heals. The replicas replicate until, after the last update, every replica reflects every update and still does ${STABLE_MS} ms later (giving up ${LIMIT_MS / 1000} s after the heal): state-based, their payloads are all equal; op-based, every replica has applied every operation (equal payloads alone would not do: a counter's payload is one number, and {+1, -1} and {} both give 0). Then gossip stops, operations not yet acknowledged are sent until they are, and the network drains. Each result is checked against the value the recorded updates give, not against any replica.`,
      { level: "summary" },
    );
    const runs = CRDTS.flatMap((crdt) =>
      MODES.map((mode) => ({ crdt, run: runCrdt(crdt, mode, { ...options, seed }, trace) })),
    );
    trace.table(
      "One run per CRDT and mode, at the same seed",
      COLUMNS,
      runs.map(({ run }) => row(run, options.replicas)),
      `time to converge: from the last update until every replica reflected every update, for good (state-based: every payload equal; op-based: every operation applied everywhere), looked at every ${WATCH_MS} ms. messages: payloads for state-based; operations, copies sent again and acknowledgements for op-based.`,
    );
    const opRuns = runs.filter(({ run }) => run.mode === "op-based");
    trace.table(
      "What the operation-based delivery layer did",
      ["CRDT", "copies sent again", "copies ignored as seen", "held back for causal order"],
      opRuns.map(({ crdt, run }) => [
        run.crdt,
        run.delivery.resent,
        run.delivery.duplicatesIgnored,
        crdt.opBased.causal ? run.delivery.heldBack : "not needed",
      ]),
    );
    for (const { crdt, run } of runs) convergenceCheck(trace, crdt, run);

    trace.section(
      "A broken counter: its merge adds instead of taking the maximum",
      REF.automaticResolution,
    );
    storyBroken(trace);
    // The first merge in the run after which some replica's entry counts more increments than
    // that replica has made. Every payload before it was right, so both sides held some of those
    // increments, and the sum counted what they shared twice.
    let inflated: { merge: MergeEvent; replica: string } | undefined;
    const broken = runCrdt(brokenCounter, "state-based", { ...options, seed }, trace, (m) => {
      if (inflated !== undefined) return;
      const after = m.after as GCounterState;
      const replica = Object.keys(after)
        .sort()
        .find((r) => (after[r] ?? 0) > (m.madeBy[r] ?? 0));
      if (replica !== undefined) inflated = { merge: m, replica };
    });
    if (inflated !== undefined) {
      const { merge: m, replica: r } = inflated;
      const v = (x: unknown) => showVector(x as GCounterState);
      const mine = (m.before as GCounterState)[r] ?? 0;
      const theirs = (m.received as GCounterState)[r] ?? 0;
      const made = m.madeBy[r] ?? 0;
      trace.note(
        `In the run below, at ${m.atMs.toFixed(1)} ms, ${m.replica} merges ${m.from}'s payload ${v(m.received)} into its own ${v(m.before)} and gets ${v(m.after)}: entry ${r} says ${mine + theirs}, though ${r} has made ${made} increment${made === 1 ? "" : "s"}. Both payloads held ${r}'s increments (${mine} and ${theirs}), and the sum counts the ${Math.min(mine, theirs)} they share twice.`,
        { level: "summary" },
      );
    }
    trace.table("The broken counter, replicated state-based", COLUMNS, [
      row(broken, options.replicas),
    ]);
    convergenceCheck(trace, brokenCounter, broken, false);
  },
};
