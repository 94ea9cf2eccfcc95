/**
 * `--export-history FILE`: write a scenario's client history as Jepsen EDN, so that it can be
 * checked by this project's checker, or by Knossos or Porcupine.
 */

import { writeFileSync } from "node:fs";
import { toJepsenHistory } from "../shared/check/jepsen.js";
import type { CheckedOp, Witness } from "../shared/check/linearizability.js";
import { option, text } from "../shared/cli.js";
import type { Trace } from "../shared/trace.js";

export const exportHistoryOption = option(
  "--export-history <file>",
  "write the client history to FILE as Jepsen EDN (kv model)",
  text,
  "",
);

export function exportHistory(trace: Trace, path: string, ops: readonly CheckedOp[]): void {
  if (path === "") return;
  writeFileSync(path, toJepsenHistory(ops));
  trace.note(
    `History written to ${path} (${ops.length} operations). Check it with: npx tsx shared/check/main.ts linearizability --model kv ${path}`,
    {
      level: "summary",
    },
  );
}

/** The checker's witness in a sentence: the read no order explains, and where the search got stuck. */
export function describeWitness(w: Witness): string {
  const last = w.longestPrefix.at(-1);
  const returned = Number.isFinite(w.op.returnTime) ? w.op.returnTime.toFixed(1) : "?";
  return `The checker's witness: ${w.op.process} read ${w.key} and got ${JSON.stringify(w.op.output)} at ${w.op.callTime.toFixed(1)}-${returned} ms, but no order of the operations explains it: by then the key held ${w.states.map((s) => JSON.stringify(s)).join(" or ")}${last ? ` (the last operation placed: ${last.process} ${last.f} ${JSON.stringify(last.input ?? last.output)})` : ""}.`;
}
