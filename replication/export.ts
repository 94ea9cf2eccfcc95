/**
 * `--export-history FILE`: write a scenario's client history as Jepsen EDN, so that it can be
 * checked by this project's checker, or by Knossos or Porcupine.
 */

import { writeFileSync } from "node:fs";
import { toJepsenHistory } from "../shared/check/jepsen.js";
import type { CheckedOp } from "../shared/check/linearizability.js";
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
