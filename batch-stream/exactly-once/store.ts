/**
 * The external store the sink writes to (DDIA ch. 11, "Fault Tolerance"): a table of output rows
 * that readers query, outside the job, so it survives the job's failures, and whatever the job
 * wrote to it before a failure stays written. It offers the three ways of writing that the sinks
 * use:
 * - append: insert a row, whatever is already there (the broken sink);
 * - upsert: insert or replace the row with the same id (the idempotent sink: setting a key to a
 *   fixed value is idempotent, where incrementing a counter is not; DDIA ch. 11, "Idempotence");
 * - transactions: rows written in a transaction are invisible until it commits, and discarded if
 *   it aborts; a prepared (pre-committed) transaction survives the writer's crash and can still be
 *   committed or aborted by a later writer (as a Kafka transaction does; Flink's Kafka producer
 *   uses it, and so does its TwoPhaseCommitSinkFunction). Committing an already committed
 *   transaction does nothing, so a restarted sink may commit it again safely.
 *
 * Calls are synchronous: the store is a plain object the sink calls, not a node, and the time a
 * row became visible to readers is recorded with it. Left out: the transaction timeout (Kafka
 * aborts a transaction left open longer than transaction.timeout.ms, which must be longer than
 * the longest outage Flink may need to recover from, or a pre-committed transaction is lost).
 */

import { assert } from "../../shared/assert.js";
import type { OutputRow } from "./messages.js";

export interface StoredRow extends OutputRow {
  /** When the sink received the row (and wrote it, at once or into its transaction). */
  readonly writtenAtMs: number;
  /** When readers could first see it. */
  readonly visibleAtMs: number;
}

type TransactionStatus = "open" | "prepared" | "committed" | "aborted";

interface Transaction {
  readonly txid: string;
  readonly owner: string;
  readonly rows: { row: OutputRow; writtenAtMs: number }[];
  status: TransactionStatus;
}

export interface StoreStats {
  appends: number;
  /** Upserts that replaced a row with the same id, and of those, how many changed it. */
  overwrites: number;
  overwritesChanged: number;
  commits: number;
  /** Commits of a transaction that was already committed (a no-op). */
  repeatedCommits: number;
  aborts: number;
  rowsAborted: number;
}

export class ExternalStore {
  private readonly visible: StoredRow[] = [];
  private readonly indexById = new Map<string, number>();
  private readonly transactions = new Map<string, Transaction>();
  private nextTransaction = 1;
  readonly stats: StoreStats = {
    appends: 0,
    overwrites: 0,
    overwritesChanged: 0,
    commits: 0,
    repeatedCommits: 0,
    aborts: 0,
    rowsAborted: 0,
  };

  constructor(private readonly now: () => number) {}

  /** What a reader sees: the committed rows, in the order they became visible. */
  rows(): readonly StoredRow[] {
    return this.visible;
  }

  append(row: OutputRow): void {
    this.stats.appends++;
    this.show(row, this.now());
  }

  upsert(row: OutputRow): void {
    const at = this.indexById.get(row.id);
    if (at === undefined) {
      this.show(row, this.now());
      return;
    }
    const old = this.visible[at] as StoredRow;
    this.stats.overwrites++;
    if (old.key !== row.key || old.value !== row.value || old.total !== row.total)
      this.stats.overwritesChanged++;
    this.visible[at] = { ...row, writtenAtMs: this.now(), visibleAtMs: this.now() };
  }

  begin(owner: string): string {
    const txid = `tx${this.nextTransaction++}`;
    this.transactions.set(txid, { txid, owner, rows: [], status: "open" });
    return txid;
  }

  write(txid: string, row: OutputRow): void {
    const t = this.transaction(txid);
    assert(t.status === "open", `write to ${txid}, which is ${t.status}`);
    t.rows.push({ row, writtenAtMs: this.now() });
  }

  /** Pre-commit: the rows are durable in the store, and the transaction can only be committed or aborted. */
  prepare(txid: string): number {
    const t = this.transaction(txid);
    assert(t.status === "open", `prepare ${txid}, which is ${t.status}`);
    t.status = "prepared";
    return t.rows.length;
  }

  /** Returns the rows it made visible, and whether it had been committed already (then none). */
  commit(txid: string): { rows: number; repeated: boolean } {
    const t = this.transaction(txid);
    if (t.status === "committed") {
      this.stats.repeatedCommits++;
      return { rows: 0, repeated: true };
    }
    assert(t.status === "prepared", `commit ${txid}, which is ${t.status}`);
    t.status = "committed";
    this.stats.commits++;
    const at = this.now();
    for (const { row, writtenAtMs } of t.rows) this.show(row, at, writtenAtMs);
    return { rows: t.rows.length, repeated: false };
  }

  /**
   * Abort every transaction of `owner` that is not committed (open, or prepared for a checkpoint
   * that never completed): what a restarted transactional sink does first, as Flink's Kafka sink
   * aborts the lingering transactions of its earlier attempt. Returns what it discarded.
   */
  abortUncommitted(owner: string): { transactions: string[]; rows: number } {
    const aborted: string[] = [];
    let rows = 0;
    for (const t of this.transactions.values()) {
      if (t.owner !== owner || t.status === "committed" || t.status === "aborted") continue;
      t.status = "aborted";
      aborted.push(t.txid);
      rows += t.rows.length;
    }
    this.stats.aborts += aborted.length;
    this.stats.rowsAborted += rows;
    return { transactions: aborted, rows };
  }

  private transaction(txid: string): Transaction {
    const t = this.transactions.get(txid);
    assert(t !== undefined, `no transaction ${txid}`);
    return t;
  }

  private show(row: OutputRow, visibleAtMs: number, writtenAtMs = visibleAtMs): void {
    this.indexById.set(row.id, this.visible.length);
    this.visible.push({ ...row, writtenAtMs, visibleAtMs });
  }
}
