/**
 * Each Hermitage run as an Elle rw-register history (`[:w k v]`, `[:r k v]`), judged by the
 * isolation checker (shared/check/isolation.ts), as every isolation scenario's run is: a second
 * opinion beside each case's own judge, from nothing but what the clients saw.
 *
 * How a run becomes a history, in the order its steps finished:
 * - Hermitage's setup insert is the first transaction, committed: `[:w 1 10] [:w 2 20]`.
 * - `begin` opens a transaction on its connection (one process per connection, setup is process
 *   0); `commit` ends it `:ok` if it committed, `:fail` if it rolled back (an `abort`, or a commit
 *   of a transaction a failed statement had aborted). A transaction the run leaves open has no
 *   completion, which the checker reads as `:info`. A statement outside `begin` is a transaction of
 *   its own, committed, as PostgreSQL's autocommit runs it.
 * - A SELECT records `[:r k v]` for each row it returned. A row it did not return is recorded
 *   absent (`[:r k nil]`) only when that is sound: every value ever written to the row in the run
 *   matches the SELECT's WHERE clause, and no DELETE removed a row, so had the row existed the
 *   SELECT would have returned it. Otherwise the predicate read's miss is left out.
 * - An UPDATE records `[:w k v]` for each row it changed, with the value it wrote (as `returning`
 *   would show it); an INSERT records its row.
 * - A DELETE is left out: the rw-register form has no deletion (a write of nil is not allowed).
 * - Elle needs each value written to a key once. When two transactions write the same value to
 *   one row (both of P4's updates set row 1 to 11), each of those writes is recorded as a string
 *   naming its connection, `"11 by T1"`, and a read of that value, which cannot say whose it was,
 *   is left out.
 */

import {
  checkIsolation,
  type IsolationResult,
  type ModelName,
  parseIsolationHistory,
} from "../../shared/check/isolation.js";
import { type IsolationLevel, matches } from "../store/statements.js";
import { SETUP_ROWS } from "./cases.js";
import type { StepRecord, VariantOutcome } from "./runner.js";

/** The model the checker judges each level by: Adya's mapping, as `models` names them. */
export const LEVEL_MODEL: Record<IsolationLevel, ModelName> = {
  "read committed": "read-committed",
  "snapshot isolation": "snapshot-isolation",
  "serializable snapshot isolation": "serializable",
  "two-phase locking": "serializable",
};

type Value = number | null;
interface Mop {
  readonly f: "r" | "w";
  readonly key: number;
  readonly value: Value;
  /** For a write: who wrote it, to tell apart equal values. */
  readonly by?: string;
}

interface Txn {
  readonly process: number;
  readonly who: string;
  readonly mops: Mop[];
  /** A statement run outside begin ... commit. */
  autocommit?: boolean;
}

export interface VariantHistory {
  /** One EDN map per line, Jepsen's history.edn. */
  readonly edn: string;
  readonly result: IsolationResult;
  /** What the history leaves out, each as a phrase ("step 4's DELETE"). */
  readonly omitted: readonly string[];
  /** Transactions that read or wrote something and did not commit, by connection. */
  readonly uncommitted: readonly string[];
  /**
   * Who ran each transaction the checker names T1, T2... (in the order of completion): "setup",
   * or the connection, which is also named T1, T2, T3 in Hermitage.
   */
  readonly legend: readonly string[];
}

const PROCESS: Record<string, number> = { setup: 0, T1: 1, T2: 2, T3: 3 };

/**
 * The history of one run of a variant. `readsUncommitted`: the store lets a SELECT read versions
 * not yet committed, which breaks the checker's assumption that a transaction's write of a key
 * follows the version it read, so it is judged without it (as session.ts does).
 */
export function variantHistory(variant: VariantOutcome, readsUncommitted = false): VariantHistory {
  const steps = variant.steps
    .filter((s) => s.finishedAt >= 0)
    .sort((a, b) => a.finishedAt - b.finishedAt);
  const omitted: string[] = [];
  const stepName = (s: StepRecord) => `step ${s.index + 1}`;

  // Every value written to each row in the run, with its writer: the setup, then each write.
  const writes = new Map<number, { value: number; by: string }[]>();
  const wrote = (key: number, value: number, by: string) => {
    const list = writes.get(key) ?? [];
    list.push({ value, by });
    writes.set(key, list);
  };
  for (const row of SETUP_ROWS) wrote(row.id, row.value, "setup");
  for (const s of steps) {
    if (s.result.status !== "ok") continue;
    if (s.statement.kind === "insert") wrote(s.statement.row.id, s.statement.row.value, s.conn);
    for (const row of s.written ?? []) wrote(row.id, row.value, s.conn);
  }
  const deleted = steps.some(
    (s) => s.statement.kind === "delete" && s.result.status === "ok" && (s.result.count ?? 0) > 0,
  );
  const ambiguous = (key: number, value: number) =>
    (writes.get(key) ?? []).filter((w) => w.value === value).length > 1;

  const events: { type: "invoke" | "ok" | "fail"; txn: Txn }[] = [];
  const open = new Map<string, Txn>();
  const start = (who: string): Txn => {
    const txn: Txn = { process: PROCESS[who] ?? 9, who, mops: [] };
    events.push({ type: "invoke", txn });
    return txn;
  };
  const setup = start("setup");
  for (const row of SETUP_ROWS)
    setup.mops.push({ f: "w", key: row.id, value: row.value, by: "setup" });
  events.push({ type: "ok", txn: setup });

  for (const s of steps) {
    const { statement, result } = s;
    if (statement.kind === "begin") {
      if (result.status === "ok") open.set(s.conn, start(s.conn));
      continue;
    }
    if (statement.kind === "commit" || statement.kind === "abort") {
      const txn = open.get(s.conn);
      if (txn === undefined) continue;
      open.delete(s.conn);
      const committed = result.status === "ok" && result.tag === "COMMIT";
      events.push({ type: committed ? "ok" : "fail", txn });
      continue;
    }
    const inTxn = open.get(s.conn);
    // A failed statement wrote nothing that stays; its transaction ends `:fail` at its commit.
    if (result.status !== "ok") continue;
    const mops: Mop[] = [];
    if (statement.kind === "select") {
      const returned = new Set<number>();
      for (const row of result.rows ?? []) {
        returned.add(row.id);
        if (ambiguous(row.id, row.value)) {
          omitted.push(
            `${stepName(s)}'s read of row ${row.id} = ${row.value}, a value more than one transaction wrote`,
          );
          continue;
        }
        mops.push({ f: "r", key: row.id, value: row.value });
      }
      const missed: number[] = [];
      for (const [key, values] of [...writes].sort(([a], [b]) => a - b)) {
        if (returned.has(key)) continue;
        const always = values.every((w) => matches(statement.where, { id: key, value: w.value }));
        if (always && !deleted) mops.push({ f: "r", key, value: null });
        else if (values.some((w) => matches(statement.where, { id: key, value: w.value })))
          missed.push(key);
      }
      if (missed.length > 0)
        omitted.push(
          `${stepName(s)}'s miss of row${missed.length === 1 ? "" : "s"} ${missed.join(", ")}, which ${missed.length === 1 ? "it" : "they"} may have skipped for a value that did not match`,
        );
    } else if (statement.kind === "insert") {
      mops.push({ f: "w", key: statement.row.id, value: statement.row.value, by: s.conn });
    } else if (statement.kind === "update") {
      for (const row of s.written ?? [])
        mops.push({ f: "w", key: row.id, value: row.value, by: s.conn });
    } else if (statement.kind === "delete") {
      omitted.push(`${stepName(s)}'s DELETE (${s.conn})`);
    }
    if (inTxn) inTxn.mops.push(...mops);
    else {
      // Autocommit: a transaction of its own, committed.
      const txn = start(s.conn);
      txn.autocommit = true;
      txn.mops.push(...mops);
      events.push({ type: "ok", txn });
    }
  }

  const text = (m: Mop, invoke: boolean): string => {
    if (m.f === "r") return `[:r ${m.key} ${invoke || m.value === null ? "nil" : m.value}]`;
    const v = m.value as number;
    return `[:w ${m.key} ${ambiguous(m.key, v) ? `"${v} by ${m.by}"` : v}]`;
  };
  const edn = events
    .map(
      (e, index) =>
        `{:type :${e.type}, :f :txn, :value [${e.txn.mops.map((m) => text(m, e.type === "invoke")).join(" ")}], :process ${e.txn.process}, :index ${index}}`,
    )
    .join("\n")
    .concat("\n");
  const result = checkIsolation(parseIsolationHistory(edn), undefined, {
    writesFollowReads: !readsUncommitted,
  });
  const uncommitted = [
    ...events.filter((e) => e.type === "fail" && e.txn.mops.length > 0).map((e) => e.txn.who),
    ...[...open.values()].filter((t) => t.mops.length > 0).map((t) => t.who),
  ];
  const legend = events
    .filter((e) => e.type !== "invoke")
    .map((e, i) => {
      const who =
        e.txn.who === "setup"
          ? "the setup"
          : `connection ${e.txn.who}'s ${e.txn.autocommit ? "statement outside a transaction" : "transaction"}`;
      return `T${i + 1} = ${who}${e.type === "fail" ? " (:fail)" : ""}`;
    });
  return { edn, result, omitted, uncommitted, legend };
}

/** The checker's finding in a table cell: the anomalies' names, or `none found`. */
export function checkerCell(history: VariantHistory): string {
  return history.result.anomalies.length === 0 ? "none found" : history.result.anomalies.join(", ");
}

/** The anomalies the checker found that the level's model proscribes. */
export function proscribedFound(history: VariantHistory, level: IsolationLevel): boolean {
  return !history.result.models[LEVEL_MODEL[level]];
}
