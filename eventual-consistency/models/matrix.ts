/**
 * The consistency-models matrix: one row per history (or per store that produced it), one column
 * per model the checker decides (shared/check/consistency.ts), each cell "yes", "no" or
 * "undecided" (the checker's search ran out of steps), or "–" when the history gives the model
 * nothing to judge (`emptySubject`: no read completed, or none of the pattern a session guarantee
 * looks at), where "yes" would say nothing. What a cell claims is only what the checker found in
 * that one history: "no" has a witness; "yes" for a memory model means an order exists that
 * explains this history, and for a session guarantee only that no witness was found within one
 * session. One history proves violations, never guarantees.
 */

import {
  type Classification,
  type ConsistencyModel,
  MODEL_NAMES,
  type Violation,
} from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import type { Cell } from "../../shared/trace.js";

/** Short column headings, so that eight models fit in 100 columns; the caption spells them out. */
export const MODEL_COLUMNS: Readonly<Record<ConsistencyModel, string>> = {
  linearizable: "linear.",
  sequential: "seq.",
  causal: "causal",
  pram: "PRAM",
  "read-your-writes": "RYW",
  "monotonic-reads": "MR",
  "monotonic-writes": "MW",
  "writes-follow-reads": "WFR",
};

/** Each model's name in a sentence. */
export const MODEL_TITLES: Readonly<Record<ConsistencyModel, string>> = {
  linearizable: "linearizability",
  sequential: "sequential consistency",
  causal: "causal memory",
  pram: "PRAM",
  "read-your-writes": "read-your-writes",
  "monotonic-reads": "monotonic reads",
  "monotonic-writes": "monotonic writes",
  "writes-follow-reads": "writes-follow-reads",
};

export const MATRIX_CAPTION =
  "linear. = linearizable, seq. = sequential, causal = causal memory, PRAM; the session guarantees: RYW = read-your-writes, MR = monotonic reads, MW = monotonic writes, WFR = writes-follow-reads. For a memory model, yes: an order explains this history; for a session guarantee, yes only means no witness within one session; no: the checker found a violation; undecided: the search ran out of steps; –: the history gives the model nothing to judge (no read completed, or none after what the guarantee is about: the process's own write or read of the key, or another's write that followed a write or read of the key). One history shows violations, never guarantees.";

export type Verdict = "yes" | "no" | "undecided";
/** A cell of the matrix: a verdict, or "–" when the history gives the model nothing to judge. */
export type MatrixCell = Verdict | "–";

export function verdict(held: boolean | null): Verdict {
  return held === true ? "yes" : held === false ? "no" : "undecided";
}

export function matrixColumns(first: string): string[] {
  return [first, ...MODEL_NAMES.map((m) => MODEL_COLUMNS[m])];
}

/**
 * A row of the matrix. With the history, a model it gives nothing to judge shows "–" unless the
 * checker found it violated (which it cannot be: a violation is something judged).
 */
export function matrixRow(name: string, c: Classification, history?: readonly CheckedOp[]): Cell[] {
  return [
    name,
    ...MODEL_NAMES.map((m): MatrixCell => {
      const v = verdict(c.models[m]);
      return v !== "no" && history !== undefined && emptySubject(history, m) !== undefined
        ? "–"
        : v;
    }),
  ];
}

/**
 * The first violation the checker reported for each model it found violated, in the checker's
 * model order (strongest first). A memory model violated only because a weaker one is (the checker
 * says "it is not causal, and every sequential history is causal") is kept: its sentence is the
 * reason.
 */
export function firstViolations(c: Classification): Violation[] {
  const seen = new Set<ConsistencyModel>();
  const out: Violation[] = [];
  for (const v of c.violations) {
    if (seen.has(v.model)) continue;
    seen.add(v.model);
    out.push(v);
  }
  return out;
}

/** The models whose verdict differs from a hand-worked list of those that hold. */
export function disagreements(
  c: Classification,
  holds: readonly ConsistencyModel[],
): { model: ConsistencyModel; expected: Verdict; got: Verdict }[] {
  return MODEL_NAMES.flatMap((m) => {
    const expected: Verdict = holds.includes(m) ? "yes" : "no";
    const got = verdict(c.models[m]);
    return got === expected ? [] : [{ model: m, expected, got }];
  });
}

/** Where an operation is, in the checker's sentences about a simulated history. */
export const atTime = (op: CheckedOp): string =>
  `at ${Number.isInteger(op.callTime) ? op.callTime : op.callTime.toFixed(1)} ms`;

/**
 * Whether a history gives a model something to judge, and if not, why not. A model whose subject
 * is empty holds trivially, and a check of it is not exercised. Only ok reads are judged (the
 * checker drops failed and timed-out reads), and only ok writes precede a process's later
 * operations (an `info` write precedes none).
 */
export function emptySubject(
  history: readonly CheckedOp[],
  model: ConsistencyModel,
): string | undefined {
  const byProcess = new Map<string, CheckedOp[]>();
  for (const op of history) {
    const list = byProcess.get(op.process) ?? [];
    list.push(op);
    byProcess.set(op.process, list);
  }
  for (const list of byProcess.values())
    list.sort((a, b) => a.callTime - b.callTime || a.id - b.id);
  const okRead = (op: CheckedOp) => op.f === "read" && op.outcome === "ok";
  /** Some process reads key x after an earlier operation of its own on x that `counts`. */
  const readAfter = (counts: (op: CheckedOp) => boolean) =>
    [...byProcess.values()].some((list) =>
      list.some(
        (op, i) => okRead(op) && list.slice(0, i).some((e) => e.key === op.key && counts(e)),
      ),
    );
  /** The write a read returned the value of (values are unique per key), if any. */
  const text = (v: unknown) => JSON.stringify(v) ?? "undefined";
  const writer = new Map<string, CheckedOp>();
  for (const op of history)
    if (op.f === "write" && op.outcome !== "fail")
      writer.set(`${op.key}\u0000${text(op.input)}`, op);
  /**
   * Some process p reads a value another process q wrote, after q's own earlier operation on a
   * key x that `counts`, and p then reads x: the pattern monotonic writes and writes-follow-reads
   * look at (shared/check/consistency.ts's header).
   */
  const readThroughOther = (counts: (op: CheckedOp) => boolean) =>
    [...byProcess.values()].some((list) =>
      list.some((r1, i) => {
        if (!okRead(r1) || r1.output === null) return false;
        const w2 = writer.get(`${r1.key}\u0000${text(r1.output)}`);
        if (w2 === undefined || w2.process === r1.process) return false;
        const before = (byProcess.get(w2.process) ?? []).filter(
          (e) =>
            e !== w2 && (e.callTime < w2.callTime || (e.callTime === w2.callTime && e.id < w2.id)),
        );
        return list
          .slice(i + 1)
          .some((r) => okRead(r) && before.some((e) => e.key === r.key && counts(e)));
      }),
    );
  switch (model) {
    case "read-your-writes":
      return readAfter((e) => e.f === "write" && e.outcome === "ok")
        ? undefined
        : "no read completed after a write of its own process to its key";
    case "monotonic-reads":
      return readAfter((e) => okRead(e) && e.output !== null)
        ? undefined
        : "no read completed after a read of its own process that returned a value of its key";
    case "monotonic-writes":
      return readThroughOther((e) => e.f === "write" && e.outcome === "ok")
        ? undefined
        : "no process read a value whose writer had written its key before, and then read that key";
    case "writes-follow-reads":
      return readThroughOther((e) => okRead(e) && e.output !== null)
        ? undefined
        : "no process read a value whose writer had read a value of its key before, and then read that key";
    default:
      return history.some(okRead)
        ? undefined
        : "no read completed, and a history of writes alone, each value written once, satisfies every model";
  }
}
