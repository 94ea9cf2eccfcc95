/**
 * The consistency-models scenario. Part 1: the classic histories' matrix, worked out by hand
 * (reasoning beside each row), and the scenario's checks shown to catch a checker that ignores
 * real time or causality. Part 2: the store matrix over many seeds.
 */
import { describe, expect, it } from "vitest";
import { CLASSIC_HISTORIES } from "../../eventual-consistency/models/classic.js";
import { matrixRow } from "../../eventual-consistency/models/matrix.js";
import { classicHistories } from "../../eventual-consistency/scenarios/consistency-models.js";
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
    expect(tableRows(trace, "The classic histories")).toEqual([
      // Alice [2,6] and Bob [4,8] both overlap the write [0,10]: Bob's read at 4.5, the write
      // at 5, Alice's read at 5.5 is inside every interval. Linearizable, so everything holds.
      ["concurrent-reads", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"],
      // Bob's read [7,9] starts after Alice's returned (6): real time puts it after the write
      // she saw, yet it reads nil. Without real time: Bob, write, Alice. One operation per
      // process, so no session pattern can appear.
      ["figure-9-1", "no", "yes", "yes", "yes", "yes", "yes", "yes", "yes"],
      // c: x=1 then y=nil; d: y=1 then x=nil. One total order would need x=1 before y=1 and
      // y=1 before x=1. Each reader's view can order the concurrent writes its own way: causal.
      // Causal memory leaves no session witness (the checker's header).
      ["iriw", "no", "no", "yes", "yes", "yes", "yes", "yes", "yes"],
      // cake read the question before answering: question → answer causally. The observer
      // reads the answer, then nil for the question: not causal; PRAM does not order writes of
      // different processes, so it holds, and RYW, MR, MW (implied by PRAM per the header)
      // have no witness. WFR is exactly this pattern.
      ["question-and-answer", "no", "no", "no", "yes", "yes", "yes", "yes", "no"],
      // The user writes, then reads nil: its own view has the write first. Not PRAM; only RYW
      // among the sessions (nothing read before, nobody else wrote).
      ["figure-5-3", "no", "no", "no", "no", "no", "yes", "yes", "yes"],
      // user-2345 reads "hi", then nil: its first read puts the write before the second. Not
      // PRAM; only MR (it wrote nothing; one writer wrote one value; no read-then-write).
      ["figure-5-4", "no", "no", "no", "no", "yes", "no", "yes", "yes"],
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
