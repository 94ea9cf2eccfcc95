/**
 * What the isolation scenarios share (DDIA ch. 7, Weak Isolation Levels): a store driven
 * statement by statement on named connections, each step narrated (which connection, its SQL, its
 * result, or that it blocked and, later, what released it), and every transaction recorded as an
 * Elle rw-register history (`[:r k v]`, `[:w k v]`) for the isolation checker
 * (shared/check/isolation.ts), which then judges the run: the scenario never decides an anomaly
 * from its own belief about what the store did.
 *
 * How statements become micro-operations: a SELECT records `[:r k v]` for each row it returned
 * (and `[:r k nil]` for keys the caller says are absent when not returned, which is how a
 * predicate read that found no row is written in a form without predicates); an UPDATE records
 * `[:w k v]` only with RETURNING, from the rows it returned; an INSERT records `[:w k v]`. Only
 * statements that succeeded are recorded. A transaction that commits is `:ok`, one that rolls back
 * or fails is `:fail` (its writes were made, then undone: a read of one is an aborted read, G1a).
 */

import {
  checkIsolation,
  type IsolationResult,
  parseIsolationHistory,
} from "../../shared/check/isolation.js";
import type { Trace } from "../../shared/trace.js";
import {
  type IsolationLevel,
  POSTGRES_LEVEL,
  type Result,
  type Row,
  resultText,
  type Statement,
  sqlOf,
} from "../store/statements.js";
import { type Finished, Store, type StoreOptions } from "../store/store.js";

/** One micro-operation as Elle's rw-register writes it. */
export interface Mop {
  readonly f: "r" | "w";
  readonly key: number;
  readonly value: number | null;
}

interface OpenTxn {
  readonly conn: string;
  readonly level: IsolationLevel;
  readonly mops: Mop[];
  /** Index of its invocation in `events`. */
  readonly invokeAt: number;
}

interface HistoryEvent {
  type: "invoke" | "ok" | "fail";
  process: number;
  mops: Mop[];
  /** Who ran it, for the legend: a connection name, or "setup". */
  who: string;
}

/** A statement's options: keys a predicate read should record as absent when it misses them. */
export interface StepOptions {
  readonly absent?: readonly number[];
}

/** One step as it went: queued behind a waiting statement, blocked when sent, its final result. */
export interface StepRecord {
  readonly step: number;
  readonly conn: string;
  readonly statement: Statement;
  queued: boolean;
  blocked: boolean;
  /** null while it waits (or if it never finished). */
  result: Result | null;
}

/** A statement queued behind a waiting one on its connection: its result comes later. */
export interface Queued {
  readonly status: "queued";
}
const QUEUED: Queued = { status: "queued" };

/** How the scenario names a connection in sentences ("alice" → "Alice"). */
export type Namer = (conn: string) => string;

export class Session {
  readonly store: Store;
  /** The rows the run started from (a replay elsewhere loads them first). */
  readonly initialRows: readonly Row[];
  private readonly events: HistoryEvent[] = [];
  private readonly open = new Map<string, OpenTxn>();
  private readonly processes = new Map<string, number>();
  /** The statement a blocked connection is waiting on, with its step number and options. */
  private readonly waiting = new Map<string, { step: number; options: StepOptions }>();
  /** Every step in the order it was sent, with how it went: for replaying it elsewhere. */
  private readonly log: StepRecord[] = [];
  private stepCount = 0;
  private readonly queues = new Map<
    string,
    { statement: Statement; options: StepOptions; step: number }[]
  >();
  /** Each connection's latest finished result (a released statement's, once it returns). */
  private readonly last = new Map<string, Result>();
  /** The SQLSTATE of the statement that failed each connection's transaction, until it ends. */
  private readonly failures = new Map<string, string>();
  /** Transactions ended, by outcome and, for failures, SQLSTATE ("rollback" when asked for). */
  readonly endings: {
    conn: string;
    level: IsolationLevel;
    outcome: "ok" | "fail";
    code: string;
  }[] = [];

  private readonly readsUncommitted: boolean;

  constructor(
    private readonly trace: Trace,
    rows: readonly Row[],
    storeOptions: StoreOptions = {},
    private readonly name: Namer = (c) => c,
    /** Narrate each step (scenarios) or run silently (random workloads, tests). */
    private readonly narrate = true,
  ) {
    this.store = new Store(rows, storeOptions);
    this.readsUncommitted = storeOptions.readUncommitted === true;
    this.initialRows = rows;
    // The rows are loaded by one committed transaction: the history's first, which writes them.
    const setup = rows.map((r) => ({ f: "w" as const, key: r.id, value: r.value }));
    this.processes.set("setup", 0);
    if (setup.length > 0) {
      this.events.push({ type: "invoke", process: 0, mops: setup, who: "setup" });
      this.events.push({ type: "ok", process: 0, mops: setup, who: "setup" });
    }
  }

  /**
   * Run one statement on a connection and return its result (`blocked` until released). A
   * statement for a connection still waiting is queued and sent when the wait ends, as
   * node-postgres queues queries on a busy client; its result then is `queued`.
   */
  exec(conn: string, statement: Statement, options: StepOptions = {}): Result | Queued {
    const step = ++this.stepCount;
    this.log.push({ step, conn, statement, queued: false, blocked: false, result: null });
    const queue = this.queues.get(conn) ?? [];
    if (this.store.isBlocked(conn) || queue.length > 0) {
      queue.push({ statement, options, step });
      (this.log[step - 1] as StepRecord).queued = true;
      this.queues.set(conn, queue);
      if (this.narrate)
        this.trace.note(`${step}. ${sqlOf(statement)}  → queued: the connection is still waiting`, {
          node: conn,
        });
      return QUEUED;
    }
    return this.send(conn, statement, options, `${step}. ${sqlOf(statement)}`, step);
  }

  private send(
    conn: string,
    statement: Statement,
    options: StepOptions,
    text: string,
    step: number,
  ): Result {
    if (statement.kind === "begin") this.beginRecord(conn, statement.level);
    const txnBefore = this.open.get(conn);
    const outcome = this.store.execute(conn, statement);
    const { result } = outcome;
    this.say(conn, text, result);
    this.afterStatement(conn, statement, result, options, txnBefore);
    const record = this.log[step - 1] as StepRecord;
    if (result.status === "blocked") {
      this.waiting.set(conn, { step, options });
      record.blocked = true;
    } else record.result = result;
    this.released(conn, statement, step, outcome.finished);
    return result;
  }

  /** Send a connection's queued statements, until one blocks. */
  private drain(conn: string): void {
    const queue = this.queues.get(conn) ?? [];
    while (queue.length > 0 && !this.store.isBlocked(conn)) {
      const next = queue.shift() as (typeof queue)[number];
      this.send(
        conn,
        next.statement,
        next.options,
        `   step ${next.step} (${sqlOf(next.statement)}), sent now`,
        next.step,
      );
    }
  }

  begin(conn: string, level: IsolationLevel): Result | Queued {
    return this.exec(conn, { kind: "begin", level });
  }
  commit(conn: string): Result | Queued {
    return this.exec(conn, { kind: "commit" });
  }
  rollback(conn: string): Result | Queued {
    return this.exec(conn, { kind: "abort" });
  }

  /** The connection's latest result that is not `blocked`: what a released statement returned. */
  lastResult(conn: string): Result | undefined {
    return this.last.get(conn);
  }

  /** The steps sent so far, in order: each one's connection, statement, and how it went. */
  steps(): readonly StepRecord[] {
    return this.log;
  }

  isBlocked(conn: string): boolean {
    return this.store.isBlocked(conn);
  }

  /** The statements released by this step: narrated under it, then recorded. */
  private released(
    by: string,
    statement: Statement,
    step: number,
    finished: readonly Finished[],
  ): void {
    for (const f of finished) {
      const waited = this.waiting.get(f.conn);
      this.waiting.delete(f.conn);
      if (waited) (this.log[waited.step - 1] as StepRecord).result = f.result;
      const how =
        statement.kind === "commit" || statement.kind === "abort"
          ? `${this.name(by)}'s ${this.endedAs(by, statement)}`
          : `${this.name(by)}'s step ${step}${this.failures.has(by) ? ", whose error aborted that transaction and released its locks" : ""}`;
      this.say(
        f.conn,
        `   step ${waited?.step ?? "?"} (${sqlOf(f.statement)}) released by ${how}`,
        f.result,
      );
      this.afterStatement(
        f.conn,
        f.statement,
        f.result,
        waited?.options ?? {},
        this.open.get(f.conn),
      );
    }
    for (const f of finished) this.drain(f.conn);
  }

  private endedAs(conn: string, statement: Statement): string {
    if (statement.kind === "abort") return "rollback";
    const last = this.endings.findLast((e) => e.conn === conn);
    return last?.outcome === "ok" ? "commit" : "rollback";
  }

  private say(conn: string, text: string, result: Result): void {
    if (!this.narrate) return;
    this.trace.note(`${text}  → ${this.describe(result)}`, { node: conn });
  }

  private describe(result: Result): string {
    if (result.status === "blocked")
      return `blocked: waits for ${result.waitingFor.map(this.name).join(" and ")} to commit or abort`;
    // An UPDATE ... RETURNING shows its count too: "UPDATE 0" says more than "(none)".
    if (result.status === "ok" && result.tag === "UPDATE" && result.rows)
      return `UPDATE ${result.count ?? 0}${result.rows.length > 0 ? `: ${resultText(result)}` : ""}`;
    return resultText(result);
  }

  private beginRecord(conn: string, level: IsolationLevel): void {
    if (!this.processes.has(conn)) this.processes.set(conn, this.processes.size);
    const mops: Mop[] = [];
    const process = this.processes.get(conn) as number;
    this.events.push({ type: "invoke", process, mops, who: conn });
    this.open.set(conn, { conn, level, mops, invokeAt: this.events.length - 1 });
  }

  private afterStatement(
    conn: string,
    statement: Statement,
    result: Result,
    options: StepOptions,
    txn: OpenTxn | undefined,
  ): void {
    if (result.status === "blocked") return;
    this.last.set(conn, result);
    if (statement.kind === "commit" || statement.kind === "abort") {
      if (!txn) return;
      this.open.delete(conn);
      const failure = this.failures.get(conn);
      this.failures.delete(conn);
      if (result.status === "ok" && result.tag === "COMMIT") this.finish(txn, "ok", "");
      else
        this.finish(txn, "fail", result.status === "error" ? result.code : (failure ?? "rollback"));
      return;
    }
    if (statement.kind === "begin" || !txn) return;
    if (result.status === "error") {
      // PostgreSQL has aborted the transaction; the client rolls it back next.
      this.failures.set(conn, result.code);
      return;
    }
    if (result.status !== "ok") return;
    if (statement.kind === "select") {
      const returned = new Set<number>();
      for (const row of result.rows ?? []) {
        txn.mops.push({ f: "r", key: row.id, value: row.value });
        returned.add(row.id);
      }
      for (const key of options.absent ?? [])
        if (!returned.has(key)) txn.mops.push({ f: "r", key, value: null });
    } else if (statement.kind === "update") {
      for (const row of result.rows ?? []) txn.mops.push({ f: "w", key: row.id, value: row.value });
    } else if (statement.kind === "insert") {
      txn.mops.push({ f: "w", key: statement.row.id, value: statement.row.value });
    }
  }

  private finish(txn: OpenTxn, outcome: "ok" | "fail", code: string): void {
    const process = this.processes.get(txn.conn) as number;
    this.events.push({ type: outcome, process, mops: txn.mops, who: txn.conn });
    this.endings.push({ conn: txn.conn, level: txn.level, outcome, code });
  }

  /** A transaction on a connection whose statement failed must be rolled back by its client. */
  needsRollback(conn: string): boolean {
    return this.failures.has(conn);
  }

  /** The history so far, one EDN map per line (Jepsen's history.edn); reads are nil in invokes. */
  historyEdn(): string {
    const mop = (m: Mop, invoke: boolean) =>
      `[:${m.f} ${m.key} ${m.f === "r" && invoke ? "nil" : m.value === null ? "nil" : m.value}]`;
    return this.events
      .map(
        (e, index) =>
          `{:type :${e.type}, :f :txn, :value [${e.mops.map((m) => mop(m, e.type === "invoke")).join(" ")}], :process ${e.process}, :index ${index}}`,
      )
      .join("\n")
      .concat("\n");
  }

  /**
   * Judge the history with the isolation checker, as `shared/check/main.ts isolation` would. A
   * store that reads uncommitted versions breaks the checker's assumption that a transaction's
   * write of a key follows the version it read (a dirty read's writer may commit after the
   * reader), so for it the checker runs without that assumption (`--no-wfr`), lest it report a
   * cycle the history does not have.
   */
  judge(): Judgement {
    const history = parseIsolationHistory(this.historyEdn());
    const result = checkIsolation(history, undefined, {
      writesFollowReads: !this.readsUncommitted,
    });
    // The checker names transactions T1, T2... in the order of their completion lines.
    const completions = this.events.filter((e) => e.type !== "invoke");
    const legend = completions.map(
      (e, i) =>
        `T${i + 1} ${e.who === "setup" ? "setup" : this.name(e.who)}${e.type === "fail" ? " (rolled back)" : ""}`,
    );
    return { result, legend, transactions: completions.length };
  }

  /** Which process number stands for which connection in the history. */
  processLegend(): string {
    return [...this.processes.entries()]
      .map(([who, p]) => `${p} ${who === "setup" ? "setup" : this.name(who)}`)
      .join(", ");
  }
}

export interface Judgement {
  readonly result: IsolationResult;
  /** "T1 setup", "T2 Alice"...: the checker's names for the transactions. */
  readonly legend: readonly string[];
  readonly transactions: number;
}

/** The level as the book and PostgreSQL call it: "snapshot isolation (PostgreSQL's repeatable read)". */
export function levelName(level: IsolationLevel): string {
  const pg = POSTGRES_LEVEL[level];
  if (pg === null) return `${level} (no PostgreSQL level)`;
  return pg === level ? level : `${level} (PostgreSQL's ${pg})`;
}

/**
 * A run's heading: its title, with the level named once ("Snapshot isolation (PostgreSQL's
 * repeatable read)", "Fix: compare-and-set, at read committed"), never "Read committed: read committed".
 */
export function runTitle(title: string, level: IsolationLevel): string {
  const name = levelName(level);
  if (!title.toLowerCase().includes(level)) return `${title}, at ${name}`;
  if (title.includes("PostgreSQL")) return title;
  return `${title}${name.slice(level.length)}`;
}
