/**
 * `--export-history FILE`: write a scenario's client history as a Jepsen history (EDN, Jepsen's
 * multi-key register form), so that it can be checked by this project's checker, or by Knossos
 * through Jepsen's `independent` checker.
 */

import { writeFileSync } from "node:fs";
import { ednString } from "../shared/check/edn.js";
import { checkCommandFor, toJepsenHistory } from "../shared/check/jepsen.js";
import type { CheckedOp, Witness } from "../shared/check/linearizability.js";
import { option, UsageError, writableFile } from "../shared/cli.js";
import type { Trace } from "../shared/trace.js";

export const exportHistoryOption = option(
  "--export-history <file>",
  "write the client history to FILE as a Jepsen history (EDN: :read and :write of [key value])",
  writableFile,
  "",
);

export function exportHistory(trace: Trace, path: string, ops: readonly CheckedOp[]): void {
  if (path === "") return;
  try {
    writeFileSync(path, toJepsenHistory(ops));
  } catch (error) {
    throw new UsageError(`--export-history: cannot write ${path} (${(error as Error).message})`);
  }
  trace.note(
    `History written to ${path} (${ops.length} operations). Check it with: ${checkCommandFor(ops, path)}`,
    { level: "summary" },
  );
}

/** The checker's witness in a sentence: the read no order explains, and where the search got stuck. */
export function describeWitness(w: Witness): string {
  const last = w.longestPrefix.at(-1);
  const returned = Number.isFinite(w.op.returnTime) ? w.op.returnTime.toFixed(1) : "?";
  return `The checker's witness: ${w.op.process} read ${w.key} and got ${ednString(w.op.output)} at ${w.op.callTime.toFixed(1)}-${returned} ms, but no order of the operations explains it: by then the key held ${w.states.join(" or ")}${last ? ` (the last operation placed: ${last.process} ${last.f} ${ednString(last.f === "get" ? last.output : last.input)})` : ""}.`;
}
