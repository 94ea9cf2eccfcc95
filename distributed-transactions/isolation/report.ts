/**
 * The isolation checker's verdict in the trace, and `--export-history FILE`: the history the
 * checker read, written out so that `npx tsx shared/check/main.ts isolation FILE` (or Elle) can
 * read it again.
 */

import { writeFileSync } from "node:fs";
import type { AnomalyName, IsolationResult } from "../../shared/check/isolation.js";
import { option, UsageError, writableFile } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import type { Judgement, Session } from "./session.js";

export const exportHistoryOption = option(
  "--export-history <file>",
  "write the history the isolation checker read to FILE (Elle's rw-register form, EDN)",
  writableFile,
  "",
);

/** The anomalies found, or "none found", with the checker's sentences (at most `max`). */
export function reportJudgement(trace: Trace, what: string, judgement: Judgement, max = 2): void {
  const { result, legend } = judgement;
  const found = result.anomalies.length === 0 ? "none found" : result.anomalies.join(", ");
  const ruledOut = Object.entries(result.models)
    .filter(([, ok]) => !ok)
    .map(([m]) => m);
  trace.note(
    `The isolation checker on ${what} (${legend.join(", ")}): anomalies: ${found}${
      ruledOut.length > 0 ? `; ruled out: ${ruledOut.join(", ")}` : ""
    }.`,
    { level: "summary" },
  );
  for (const c of result.cases.slice(0, max)) trace.note(`  ${c.name}: ${c.explanation}`);
  if (result.cases.length > max) trace.note(`  (and ${result.cases.length - max} more)`);
}

/**
 * Whether some transaction read a key and later wrote one: in the rw-register form that read is
 * what orders a row's versions (writes follow reads), so without one the checker has no order
 * between two writes to find a write cycle (G0) or a lost update in.
 */
export function readBeforeWrite(result: IsolationResult): boolean {
  return result.transactions.some((t) => {
    const firstRead = t.ops.findIndex((o) => o.f === "r");
    return firstRead >= 0 && t.ops.slice(firstRead).some((o) => o.f === "w");
  });
}

export function has(result: IsolationResult, ...names: AnomalyName[]): boolean {
  return names.some((n) => result.anomalies.includes(n));
}

export function exportHistory(trace: Trace, path: string, session: Session, what: string): void {
  if (path === "") return;
  try {
    writeFileSync(path, session.historyEdn());
  } catch (error) {
    throw new UsageError(`--export-history: cannot write ${path} (${(error as Error).message})`);
  }
  trace.note(
    `The history of ${what} written to ${path}. Check it with: npx tsx shared/check/main.ts isolation ${path}`,
    { level: "summary" },
  );
}
