/**
 * One step's outcome in a few words, the same way for the simulated store and for PostgreSQL, so
 * that the two can be printed side by side and compared as strings: the rows it returned (sorted
 * by key), the command tag and row count, or the error's SQLSTATE; whether it blocked, on which
 * connections, and which step released it.
 */

import type { StepRecord, VariantOutcome } from "../hermitage/runner.js";
import { rowsText } from "../store/statements.js";
import type { RealStepRecord, RealVariantOutcome } from "./runner.js";

type AnyStep = StepRecord | RealStepRecord;

/** The final result alone: `1 => 10, 2 => 20`, `UPDATE 1`, `COMMIT`, `ERROR 40001`. */
export function finalText(step: AnyStep, withMessage = false): string {
  const result = step.result;
  switch (result.status) {
    case "ok":
      if (result.rows !== undefined) return rowsText([...result.rows].sort((a, b) => a.id - b.id));
      return result.count === undefined ? result.tag : `${result.tag} ${result.count}`;
    case "blocked":
      return "never finishes";
    case "error":
      return withMessage ? `ERROR ${result.code}: ${result.message}` : `ERROR ${result.code}`;
    default:
      throw new Error("unknown result");
  }
}

/**
 * The whole outcome: `blocks on T1, step 6 releases it: UPDATE 1`, or the final result alone.
 * Step numbers count from 1, as the printed steps do.
 */
export function outcomeText(step: AnyStep, withMessage = false): string {
  const final = finalText(step, withMessage);
  const waitedFor = [...step.waitedFor].sort().join(", ");
  const released = step.releasedBy === null ? "" : `, step ${step.releasedBy + 1} releases it`;
  if (step.blocked) return `blocks on ${waitedFor}${released}: ${final}`;
  if (step.queued) return `queued behind its connection's blocked statement${released}: ${final}`;
  return final;
}

export interface StepComparison {
  readonly index: number;
  readonly conn: string;
  readonly simulatedSql: string;
  readonly realSql: string;
  readonly simulated: string;
  readonly real: string;
  readonly agree: boolean;
}

export function compareVariant(
  simulated: VariantOutcome,
  real: RealVariantOutcome,
): StepComparison[] {
  return simulated.steps.map((sim, index) => {
    const pg = real.steps[index] as RealStepRecord;
    const a = outcomeText(sim);
    const b = outcomeText(pg);
    return {
      index,
      conn: sim.conn,
      simulatedSql: sim.sql,
      realSql: pg.sql,
      simulated: a,
      real: b,
      agree: a === b,
    };
  });
}
