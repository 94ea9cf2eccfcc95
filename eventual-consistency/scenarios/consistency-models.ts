/**
 * Consistency models (DDIA ch. 9, "Linearizability" and "Ordering Guarantees"; ch. 5, "Problems
 * with Replication Lag"). First the classic small histories, scripted and drawn as timelines, each
 * classified by the checker (shared/check/consistency.ts) and compared with the verdict worked out
 * by hand: a read concurrent with a write (linearizable), Bob's reload after Alice's read
 * (sequential, not linearizable), independent reads of independent writes (causal, not
 * sequential), the answer seen before the question (PRAM, not causal), and the book's two
 * replication-lag anomalies (not even PRAM). Then stores run one workload and the checker
 * classifies each store's history: a matrix of which models each history satisfies, and the
 * checker's sentence for each violation.
 */

import {
  type Classification,
  type ClassifyOptions,
  classify,
} from "../../shared/check/consistency.js";
import type { CheckedOp } from "../../shared/check/linearizability.js";
import type { Scenario } from "../../shared/cli.js";
import { renderTimeline } from "../../shared/render/timeline.js";
import type { Trace } from "../../shared/trace.js";
import { CLASSIC_HISTORIES, type ClassicHistory } from "../models/classic.js";
import {
  disagreements,
  firstViolations,
  MATRIX_CAPTION,
  MODEL_TITLES,
  matrixColumns,
  matrixRow,
} from "../models/matrix.js";
import { REF } from "../refs.js";

/** Columns a timeline may use: the note that carries it indents it by four. */
export const TIMELINE_WIDTH = 96;

type Options = Record<string, never>;

/** `at 6 ms`: where an operation of a scripted history is, in the checker's sentences. */
const at = (op: { callTime: number }) => `at ${op.callTime} ms`;

export const consistencyModels: Scenario<Options> = {
  name: "consistency-models",
  summary:
    "classic histories drawn as timelines and classified (linearizable, sequential, causal, PRAM, session guarantees); then stores compared on one workload",
  options: [],
  run: ({ trace }) => {
    classicHistories(trace);
  },
};

/** A checker as the scenario calls it; tests pass a broken one to see the checks catch it. */
export type Classifier = (ops: readonly CheckedOp[], options: ClassifyOptions) => Classification;

/** Part 1: the classic histories, drawn, classified and compared with the verdicts by hand. */
export function classicHistories(trace: Trace, checker: Classifier = classify): void {
  trace.section("The classic histories, drawn and classified", REF.linearizability);
  trace.note(
    "Each history below is scripted: one row per process, time running to the right, each operation a bar from its invocation to its completion. w(x,1) wrote 1 to x; r(x)→1 read 1 (→nil: nothing written yet). Positions keep the order of every invocation and completion, not the distances between them. Every register starts at nil and every value is written once, so a read names the write it saw.",
  );
  trace.note(
    "The models, strongest first, each implying the next: linearizable (one order of all operations that respects real time), sequential (Lamport 1979: one order that respects each process's own order, not real time), causal memory (Ahamad et al. 1995: for each process, an order of all the writes and of its own operations that respects the causal order), PRAM (Lipton and Sandberg 1988: the same, respecting only the order of each process's operations). Then the session guarantees of Terry et al. 1994, judged by the patterns one session's reads can show.",
    { ref: REF.strongerThanCausal },
  );
  const rows = [];
  for (const history of CLASSIC_HISTORIES) {
    const c = checker(history.ops, { place: at });
    classicHistory(trace, history, c);
    rows.push(matrixRow(history.name, c));
  }
  trace.table(
    "The classic histories: which models each satisfies",
    matrixColumns("history"),
    rows,
    MATRIX_CAPTION,
  );
}

function classicHistory(trace: Trace, history: ClassicHistory, c: Classification): void {
  trace.section(history.title, history.ref);
  trace.note(
    [`${history.name}:`, ...renderTimeline(history.ops, { width: TIMELINE_WIDTH })].join("\n"),
  );
  trace.note(history.why, { ref: history.ref });
  for (const v of firstViolations(c))
    trace.note(`The checker, on ${MODEL_TITLES[v.model]}: ${v.message}.`);
  const differ = disagreements(c, history.holds);
  trace.check(
    `the checker's verdicts on ${history.name} match the ones worked out by hand`,
    differ.length === 0,
    {
      detail:
        differ.length === 0
          ? `strongest memory model: ${c.strongest ?? "none of the four"}`
          : differ.map((d) => `${d.model}: ${d.got}, by hand ${d.expected}`).join("; "),
      ref: history.ref,
    },
  );
}
