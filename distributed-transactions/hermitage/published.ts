/**
 * PostgreSQL's rows of Hermitage's summary table (github.com/ept/hermitage, README.md, "Summary of
 * test results", commit 000346f), transcribed by hand: ✓ ("isolation level prevents this anomaly
 * from occurring") is `prevented`, — ("does not prevent this anomaly, so it can occur") is
 * `occurs`. Hermitage names the actual level of each: "read committed" is monotonic atomic view,
 * "repeatable read" is snapshot isolation, "serializable" is serializable.
 *
 *   "read committed"  ✓ ✓ ✓ ✓ ✓ — — — — —
 *   "repeatable read" ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ — —
 *   "serializable"    ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓ ✓
 *
 * Two-phase locking is not in the table: PostgreSQL has no such level.
 */

import type { IsolationLevel } from "../store/statements.js";
import { CASE_IDS, type CaseId } from "./cases.js";
import type { Verdict } from "./runner.js";

export const HERMITAGE_TABLE_SOURCE =
  'Hermitage\'s README, "Summary of test results", PostgreSQL rows (github.com/ept/hermitage)';

const P: Verdict = "prevented";
const O: Verdict = "occurs";

/** In the order of `CASE_IDS`: G0 G1a G1b G1c OTV PMP P4 G-single G2-item G2. */
const ROWS: Partial<Record<IsolationLevel, readonly Verdict[]>> = {
  "read committed": [P, P, P, P, P, O, O, O, O, O],
  "snapshot isolation": [P, P, P, P, P, P, P, P, O, O],
  "serializable snapshot isolation": [P, P, P, P, P, P, P, P, P, P],
};

/** Hermitage's published verdict for each case at a level PostgreSQL has; undefined for 2PL. */
export function publishedRow(level: IsolationLevel): Record<CaseId, Verdict> | undefined {
  const row = ROWS[level];
  if (row === undefined) return undefined;
  return Object.fromEntries(CASE_IDS.map((id, i) => [id, row[i]])) as Record<CaseId, Verdict>;
}
