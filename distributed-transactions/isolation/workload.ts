/**
 * Random workloads for the isolation levels: small transactions on a few rows, interleaved
 * statement by statement from several connections in an order drawn from the seed, recorded as
 * an rw-register history and judged by the isolation checker (DDIA ch. 7, Weak Isolation Levels;
 * Serializability). The tests run thousands of these; the scenarios tabulate a few per level.
 *
 * Each transaction is 1 to 4 operations on rows 1 to `keys`: a read by key, a read-modify-write
 * (read a row, then write it), a blind write, or a scan of the whole table; it commits, or (one in
 * eight) rolls back. Every value written is fresh, so a read names the write it saw. With the
 * shape `increments`, every transaction is one read-modify-write, the lost-update workload.
 */

import { assert } from "../../shared/assert.js";
import type { AnomalyName, ModelName } from "../../shared/check/isolation.js";
import { Random } from "../../shared/random.js";
import type { Trace } from "../../shared/trace.js";
import type { IsolationLevel, Statement } from "../store/statements.js";
import type { StoreOptions } from "../store/store.js";
import { Session } from "./session.js";

export interface WorkloadVariant {
  readonly label: string;
  readonly level: IsolationLevel;
  readonly store?: StoreOptions;
  /** The model the checker must find satisfied, or null for a broken variant. */
  readonly model: ModelName | null;
}

export const WORKLOAD_VARIANTS: readonly WorkloadVariant[] = [
  {
    label: "read uncommitted (broken: reads see uncommitted versions)",
    level: "read committed",
    store: { readUncommitted: true },
    model: null,
  },
  { label: "read committed", level: "read committed", model: "read-committed" },
  { label: "snapshot isolation", level: "snapshot isolation", model: "snapshot-isolation" },
  {
    label: "snapshot isolation without first-updater-wins (broken)",
    level: "snapshot isolation",
    store: { firstUpdaterWins: false },
    model: null,
  },
  {
    label: "serializable snapshot isolation",
    level: "serializable snapshot isolation",
    model: "serializable",
  },
  {
    label: "SSI without rw-conflict tracking (broken)",
    level: "serializable snapshot isolation",
    store: { rwConflictTracking: false },
    model: null,
  },
  { label: "two-phase locking", level: "two-phase locking", model: "serializable" },
];

export type Shape = "mixed" | "increments";

export interface WorkloadRun {
  readonly session: Session;
  readonly committed: number;
  /** Transactions that did not commit, by SQLSTATE, or "rollback" when the client asked. */
  readonly aborted: Readonly<Record<string, number>>;
  readonly anomalies: readonly AnomalyName[];
  readonly models: Readonly<Record<ModelName, boolean>>;
}

const CONNECTIONS = ["c1", "c2", "c3", "c4"];
/** Statements a run may send: far more than 6 per transaction, so a livelock fails loudly. */
const STATEMENTS_PER_TRANSACTION_MAX = 50;

export function runWorkload(
  seed: number,
  variant: WorkloadVariant,
  transactions: number,
  shape: Shape = "mixed",
  keys = 3,
): WorkloadRun {
  const random = new Random(seed).fork("workload");
  const rows = Array.from({ length: keys }, (_, i) => ({ id: i + 1, value: (i + 1) * 10 }));
  // Silent: a random workload is judged, not narrated.
  const session = new Session(nullTrace, rows, variant.store ?? {}, (c) => c, false);
  let fresh = 1000;
  const plans = new Map<string, Statement[][]>(CONNECTIONS.map((c) => [c, []]));
  for (let t = 0; t < transactions; t++) {
    const ops: Statement[] = [];
    const count = shape === "increments" ? 1 : random.int(1, 4);
    for (let i = 0; i < count; i++) {
      const key = random.int(1, keys);
      const byKey = { kind: "id", ids: [key] } as const;
      const write: Statement = {
        kind: "update",
        where: byKey,
        set: { kind: "const", value: fresh++ },
        returning: true,
      };
      const pick = shape === "increments" ? 3 : random.int(0, 9);
      if (pick <= 2) ops.push({ kind: "select", where: byKey });
      else if (pick <= 6) ops.push({ kind: "select", where: byKey }, write);
      else if (pick <= 8) ops.push(write);
      else ops.push({ kind: "select", where: { kind: "all" } });
    }
    const end: Statement = random.chance(1 / 8) ? { kind: "abort" } : { kind: "commit" };
    const conn = CONNECTIONS[t % CONNECTIONS.length] as string;
    plans.get(conn)?.push([{ kind: "begin", level: variant.level }, ...ops, end]);
  }
  // Each connection sends its transactions' statements in order; which connection goes next is
  // drawn from the seed, among those not waiting.
  const cursor = new Map(CONNECTIONS.map((c) => [c, { txn: 0, step: 0 }]));
  let sent = 0;
  for (;;) {
    const ready = CONNECTIONS.filter((c) => {
      const at = cursor.get(c) as { txn: number };
      return at.txn < (plans.get(c) as Statement[][]).length && !session.isBlocked(c);
    });
    if (ready.length === 0) break;
    const conn = ready[random.int(0, ready.length - 1)] as string;
    const at = cursor.get(conn) as { txn: number; step: number };
    const plan = (plans.get(conn) as Statement[][])[at.txn] as Statement[];
    // A failed transaction is rolled back by its client, which skips its remaining statements.
    const failed = session.needsRollback(conn);
    const statement = failed ? ({ kind: "abort" } as const) : (plan[at.step] as Statement);
    session.exec(conn, statement);
    sent++;
    assert(
      sent <= transactions * STATEMENTS_PER_TRANSACTION_MAX + 10,
      `workload seed ${seed}: too many statements`,
    );
    if (failed || statement.kind === "commit" || statement.kind === "abort") {
      at.txn++;
      at.step = 0;
    } else at.step++;
  }
  for (const c of CONNECTIONS)
    assert(!session.isBlocked(c), `workload seed ${seed}: ${c} still waits`);
  const aborted: Record<string, number> = {};
  let committed = 0;
  for (const e of session.endings) {
    if (e.conn === "setup") continue;
    if (e.outcome === "ok") committed++;
    else aborted[e.code] = (aborted[e.code] ?? 0) + 1;
  }
  const { result } = session.judge();
  return { session, committed, aborted, anomalies: result.anomalies, models: result.models };
}

/** A trace nobody reads, for silent sessions. */
const nullTrace = { note: () => {} } as unknown as Trace;

export function abortedText(aborted: Readonly<Record<string, number>>): string {
  const parts = Object.entries(aborted)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${n} ${code}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

/**
 * Run the random workload at each variant and tabulate it; check that every variant that is not
 * broken shows none of the anomalies its model proscribes. A broken variant is only tabulated:
 * a few transactions may or may not show its anomaly (the tests run many seeds to catch it).
 */
export function reportWorkloads(
  trace: Trace,
  seed: number,
  transactions: number,
  /** What one transaction of the workload is, singular and plural ("read-modify-write(s)"). */
  noun: readonly [string, string],
  variants: readonly WorkloadVariant[],
  shape: Shape = "increments",
  /** A sentence on what each transaction does, printed under the heading. */
  about = "",
): void {
  const name = `random ${noun[1]}: each level that is not broken shows none of the anomalies it proscribes`;
  if (transactions === 0) {
    trace.notExercised(name, "--transactions 0: no random transactions were run");
    return;
  }
  // Transaction t runs on connection t mod 4: fewer than 4 transactions use fewer connections.
  const connections = Math.min(transactions, CONNECTIONS.length);
  trace.section(
    `${transactions} random ${transactions === 1 ? noun[0] : noun[1]} on ${connections} connection${connections === 1 ? "" : "s"}, at each level`,
  );
  if (about !== "") trace.note(about);
  const rows: (string | number)[][] = [];
  const failures: string[] = [];
  let judged = 0;
  for (const variant of variants) {
    const run = runWorkload(seed, variant, transactions, shape);
    rows.push([
      variant.label,
      run.committed,
      abortedText(run.aborted),
      run.anomalies.length === 0 ? "none found" : run.anomalies.join(", "),
    ]);
    if (variant.model === null || run.committed === 0) continue;
    judged++;
    if (!run.models[variant.model]) failures.push(`${variant.label}: ${run.anomalies.join(", ")}`);
  }
  trace.table(
    "what the isolation checker found",
    ["variant", "committed", "not committed (SQLSTATE or rollback)", "anomalies"],
    rows,
    "Anomalies by Elle's names (shared/check/README.md): G0 a cycle of ww edges only (write cycle), G1a aborted read, G1b intermediate read, G1c a cycle of ww and wr edges with a wr edge (circular information flow), G-single a cycle with exactly one rw edge (read skew is one), G-nonadjacent a cycle with two or more rw edges, no two in a row, G2-item a cycle with two or more rw edges, two of them in a row (write skew is one), internal a read that disagrees with its own transaction's earlier reads and writes, lost-update two committed transactions that read one version of a key and both wrote it. The broken variants are tabulated, not judged: a few transactions may not show their anomaly.",
  );
  if (transactions === 1)
    trace.notExercised(
      name,
      "--transactions 1: the one transaction runs alone, with no other to conflict with, so no level's guarantee is put to the test",
    );
  else if (judged === 0) trace.notExercised(name, "no transaction committed at any level judged");
  else
    trace.check(
      name,
      failures.length === 0,
      failures.length > 0 ? { detail: failures.join("; ") } : {},
    );
}
