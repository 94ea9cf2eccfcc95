/**
 * A multi-version key-value store with one table of rows `{ id, value }` and four isolation
 * levels, run statement by statement on named connections so that a scenario can interleave
 * transactions exactly (DDIA ch. 7, Transactions). It behaves step for step like PostgreSQL:
 *
 * - Every write makes a new row version stamped with its writer (PostgreSQL's xmin) and marks the
 *   old one with its replacer or deleter (xmax); readers pick the version their snapshot shows
 *   (DDIA ch. 7, Implementing snapshot isolation; Visibility rules for observing a consistent
 *   snapshot). The xmax of a version is also its row write lock: another writer waits until that
 *   transaction commits or aborts (DDIA ch. 7, Read Committed: No dirty writes).
 * - read committed: each statement takes a new snapshot, so it reads the latest committed
 *   versions (DDIA ch. 7, Read Committed: No dirty reads). An UPDATE or DELETE that finds its row
 *   locked waits; if the locker commits, it moves to the row's newest version and checks its WHERE
 *   clause again on it (PostgreSQL's EvalPlanQual), and if the locker aborts it goes on with the
 *   version it had.
 * - snapshot isolation (PostgreSQL's REPEATABLE READ): one snapshot per transaction, taken at its
 *   first statement (not at BEGIN). A write to a row that a concurrent transaction has replaced or
 *   deleted fails with 40001, "could not serialize access due to concurrent update" (or "delete"),
 *   once that transaction has committed, waiting for it first if it is still running; if it aborts,
 *   the write goes on: first-updater-wins (DDIA ch. 7, Preventing Lost Updates: Automatically
 *   detecting lost updates).
 * - serializable snapshot isolation (PostgreSQL's SERIALIZABLE): snapshot isolation plus the
 *   rw-conflict tracking of `ssi.ts` (DDIA ch. 7, Serializable Snapshot Isolation (SSI)).
 * - two-phase locking: strict 2PL with shared, exclusive and predicate locks (`locks.ts`, DDIA
 *   ch. 7, Two-Phase Locking (2PL)); reads see the latest committed version, which the locks keep
 *   from changing until the reader ends.
 *
 * - `select ... for update` locks each row it returns as an UPDATE would (waiting, re-checking,
 *   failing with 40001 under snapshot isolation when a concurrent transaction has committed an
 *   update of the row) but writes no version: the lock is an xmax that only locks (PostgreSQL's
 *   HEAP_XMAX_LOCK_ONLY), held to the end of the transaction; once the locker ends, the row is
 *   current again and a later writer goes on without a serialization failure (DDIA ch. 7,
 *   Preventing Lost Updates: Explicit locking). Under two-phase locking it takes exclusive locks.
 *
 * Every wait is a transaction waiting for others to end, so one waits-for graph serves all levels;
 * a wait that closes a cycle is a deadlock, and the transaction that asked for it fails with 40P01
 * "deadlock detected" (DDIA ch. 7, Implementation of two-phase locking). In PostgreSQL each waiting
 * backend looks for a cycle once, deadlock_timeout (1 s) after it began to wait, and the first to
 * find one is the victim: the one whose wait closed the cycle, when the steps are more than a
 * second apart, as Hermitage's typed steps are.
 *
 * An error aborts the transaction at once, releasing its locks and waking its waiters, and
 * leaves the connection in PostgreSQL's failed state: later statements fail with 25P02 and COMMIT
 * ends it as a rollback. A statement sent outside a transaction runs in its own transaction at
 * read committed and commits by itself (PostgreSQL's autocommit with its default level).
 *
 * Left out: command ids beyond "a statement does not see its own changes", subtransactions, the
 * weaker row locks (FOR SHARE, FOR NO KEY UPDATE: FOR UPDATE is the only one), heap order (rows come back and are visited in key order; PostgreSQL returns a scan
 * in physical order).
 */

import { AssertionFailed, assert, unreachable } from "../../shared/assert.js";
import { LockTable } from "./locks.js";
import { indexKeyTarget, newSxact, RELATION, Ssi, type Sxact, tupleTarget } from "./ssi.js";
import {
  applySet,
  type IsolationLevel,
  LEVELS,
  lookupIds,
  matches,
  type Result,
  type Row,
  type SetValue,
  SqlError,
  type Statement,
  type Where,
} from "./statements.js";

/** One version of a row (a PostgreSQL heap tuple). */
interface Version {
  /** Which version this is, store-wide (PostgreSQL's tuple id, for SIREAD locks on it). */
  readonly versionId: number;
  readonly id: number;
  readonly value: number;
  /** The transaction that wrote it, and in which of its statements. */
  readonly xmin: Txn;
  readonly cmin: number;
  /** The transaction that replaced or deleted it (its row lock while that one runs). */
  xmax: Txn | null;
  /**
   * The xmax only locks the row (`select ... for update`) and replaced nothing: PostgreSQL's
   * HEAP_XMAX_LOCK_ONLY. The version stays current whatever becomes of the locker.
   */
  lockOnly: boolean;
  cmax: number;
  /** The version an UPDATE replaced it with (PostgreSQL's t_ctid); null when deleted or newest. */
  next: Version | null;
}

type TxnStatus = "running" | "committed" | "aborted";

class Txn {
  status: TxnStatus = "running";
  /** Assigned at the first write, as PostgreSQL assigns an xid. */
  xid: number | null = null;
  /** The number of commits the snapshot sees (a transaction is visible if it committed by then). */
  snapshot: number | null = null;
  commandId = 0;
  /** Position in the store's commit order. */
  commitSeq: number | null = null;
  /** The transactions a blocked statement of this one waits for: the waits-for graph's edges. */
  waitingFor: Txn[] = [];
  readonly sxact: Sxact | null;

  constructor(
    readonly name: string,
    readonly level: IsolationLevel,
    readonly implicit: boolean,
  ) {
    this.sxact = level === "serializable snapshot isolation" ? newSxact(name) : null;
  }
}

type Work = Generator<Txn[], Result, void>;

interface Blocked {
  readonly txn: Txn;
  readonly statement: Statement;
  readonly work: Work;
  readonly order: number;
}

interface Connection {
  txn: Txn | null;
  /** The transaction failed: PostgreSQL's "current transaction is aborted" state. */
  failed: boolean;
  blocked: Blocked | null;
}

/** A blocked statement that has now finished, and how. */
export interface Finished {
  readonly conn: string;
  readonly statement: Statement;
  readonly result: Result;
}

/** What a call did: the statement's own result, and the earlier blocked statements it released. */
export interface Outcome {
  readonly result: Result;
  readonly finished: readonly Finished[];
}

export interface StoreOptions {
  /**
   * Broken variant: snapshot isolation without first-updater-wins. A write to a row that a
   * concurrent transaction replaced overwrites the newest version with a value computed from the
   * snapshot, so a lost update goes through (DDIA ch. 7, Preventing Lost Updates).
   */
  readonly firstUpdaterWins?: boolean;
  /** Broken variant: SSI without rw-conflict tracking, which is snapshot isolation. */
  readonly rwConflictTracking?: boolean;
  /**
   * Broken variant: read uncommitted, as the book describes it (DDIA ch. 7, Read Committed: it
   * prevents dirty writes but not dirty reads). A read committed transaction's SELECT sees the
   * newest version of each row, committed or not. (PostgreSQL's own READ UNCOMMITTED behaves as
   * read committed.)
   */
  readonly readUncommitted?: boolean;
  /**
   * Row write locks (default true). Off is a broken variant with no protection from dirty writes
   * (DDIA ch. 7, Read Committed: No dirty writes): a write to a row another running transaction
   * has written does not wait for it, and goes on top of its uncommitted version.
   */
  readonly rowWriteLocks?: boolean;
  /**
   * Read locks under two-phase locking (default true). Off is a broken variant: reads take no
   * shared lock and no predicate lock, so only writes lock, and a reader no longer blocks a writer
   * (DDIA ch. 7, Two-Phase Locking (2PL): in 2PL readers block writers, and writers readers).
   */
  readonly twoPhaseReadLocks?: boolean;
  /**
   * Clean up (default true): VACUUM dead row versions and release finished serializable
   * transactions no running one can conflict with. Off, nothing is ever dropped: slower, and, as a
   * test checks, with the same results.
   */
  readonly cleanup?: boolean;
}

const CONCURRENT_UPDATE = "could not serialize access due to concurrent update";
const CONCURRENT_DELETE = "could not serialize access due to concurrent delete";
const IN_FAILED_TRANSACTION =
  "current transaction is aborted, commands ignored until end of transaction block";

export class Store {
  private readonly versions = new Map<number, Version[]>();
  private keysSorted: number[] = [];
  private readonly connections = new Map<string, Connection>();
  private readonly locks = new LockTable();
  private readonly ssi: Ssi;
  private readonly firstUpdaterWins: boolean;
  private readonly cleanup: boolean;
  private readonly readUncommitted: boolean;
  private readonly rowWriteLocks: boolean;
  private readonly twoPhaseReadLocks: boolean;
  private readonly running = new Set<Txn>();
  private nextXid = 3;
  private commits = 0;
  private blockOrder = 0;
  private versionCount = 0;
  private finished: Finished[] = [];
  private readonly ended: Txn[] = [];

  constructor(rows: readonly Row[] = [], options: StoreOptions = {}) {
    this.firstUpdaterWins = options.firstUpdaterWins ?? true;
    this.cleanup = options.cleanup ?? true;
    this.readUncommitted = options.readUncommitted ?? false;
    this.rowWriteLocks = options.rowWriteLocks ?? true;
    this.twoPhaseReadLocks = options.twoPhaseReadLocks ?? true;
    this.ssi = new Ssi(options.rwConflictTracking ?? true);
    // The rows are loaded by one committed transaction, as Hermitage's setup inserts them.
    const setup = new Txn("setup", "read committed", true);
    setup.xid = this.nextXid++;
    for (const row of rows) {
      assert(!this.versions.has(row.id), `setup: duplicate id ${row.id}`);
      this.addVersion({ id: row.id, value: row.value, xmin: setup, cmin: 0 });
    }
    setup.status = "committed";
    setup.commitSeq = ++this.commits;
  }

  // --- The statements, by name --------------------------------------------------------------

  begin(conn: string, level: IsolationLevel): Outcome {
    return this.execute(conn, { kind: "begin", level });
  }
  read(conn: string, key: number): Outcome {
    return this.execute(conn, { kind: "select", where: { kind: "id", ids: [key] } });
  }
  readWhere(conn: string, where: Where): Outcome {
    return this.execute(conn, { kind: "select", where });
  }
  /** `select * from test where id = k for update`: read the row and lock it until the end. */
  readForUpdate(conn: string, key: number): Outcome {
    return this.execute(conn, {
      kind: "select",
      where: { kind: "id", ids: [key] },
      forUpdate: true,
    });
  }
  /** `update test set value = v where id = k`: changes nothing if there is no row k. */
  write(conn: string, key: number, value: number): Outcome {
    return this.updateWhere(conn, { kind: "id", ids: [key] }, { kind: "const", value });
  }
  updateWhere(conn: string, where: Where, set: SetValue): Outcome {
    return this.execute(conn, { kind: "update", where, set });
  }
  insert(conn: string, key: number, value: number): Outcome {
    return this.execute(conn, { kind: "insert", row: { id: key, value } });
  }
  delete(conn: string, key: number): Outcome {
    return this.deleteWhere(conn, { kind: "id", ids: [key] });
  }
  deleteWhere(conn: string, where: Where): Outcome {
    return this.execute(conn, { kind: "delete", where });
  }
  commit(conn: string): Outcome {
    return this.execute(conn, { kind: "commit" });
  }
  abort(conn: string): Outcome {
    return this.execute(conn, { kind: "abort" });
  }

  /** Whether the connection's last statement is still waiting. */
  isBlocked(conn: string): boolean {
    return this.connections.get(conn)?.blocked != null;
  }

  /** Whether the connection has a transaction open (running, or failed and awaiting ROLLBACK). */
  inTransaction(conn: string): boolean {
    return this.connections.get(conn)?.txn != null;
  }

  /** The latest committed rows, in key order. */
  committedRows(): Row[] {
    const rows: Row[] = [];
    for (const key of this.keysSorted) {
      const v = this.latestCommitted(key);
      if (v) rows.push({ id: v.id, value: v.value });
    }
    return rows;
  }

  /** What the store holds: row versions, and serializable transactions SSI still tracks. */
  stats(): { versions: number; serializableTracked: number } {
    let versions = 0;
    for (const list of this.versions.values()) versions += list.length;
    return { versions, serializableTracked: this.ssi.tracked() };
  }

  /** The rw-conflicts SSI has recorded and not yet released, as `reader -> writer` (connections). */
  rwConflicts(): string[] {
    return this.ssi.conflicts();
  }

  execute(connName: string, statement: Statement): Outcome {
    const conn = this.connection(connName);
    if (conn.blocked) {
      throw new AssertionFailed(
        `connection ${connName} still waits for its last statement; it cannot send another`,
      );
    }
    this.finished = [];
    const result = this.dispatch(connName, conn, statement);
    // Wake the statements that waited for the transactions that ended, in the order they ended;
    // a woken statement that fails ends its own transaction, which joins the queue.
    while (this.ended.length > 0) this.wake(this.ended.shift() as Txn);
    const finished = this.finished;
    this.finished = [];
    return { result, finished };
  }

  // --- Transactions ---------------------------------------------------------------------------

  private dispatch(connName: string, conn: Connection, statement: Statement): Result {
    switch (statement.kind) {
      case "begin": {
        assert(conn.txn === null, `connection ${connName}: a transaction is already in progress`);
        // A level the store does not have would silently run as none of them.
        assert(LEVELS.includes(statement.level), `no isolation level '${statement.level}'`);
        conn.txn = this.start(connName, statement.level, false);
        conn.failed = false;
        return { status: "ok", tag: "BEGIN" };
      }
      case "commit":
      case "abort": {
        const txn = conn.txn;
        conn.txn = null;
        const failed = conn.failed;
        conn.failed = false;
        // PostgreSQL answers COMMIT outside a transaction with a warning and the tag COMMIT.
        if (txn === null)
          return { status: "ok", tag: statement.kind === "commit" ? "COMMIT" : "ROLLBACK" };
        if (failed || statement.kind === "abort") {
          if (txn.status === "running") this.end(txn, "aborted");
          return { status: "ok", tag: "ROLLBACK" };
        }
        try {
          this.commitTxn(txn);
        } catch (error) {
          if (!(error instanceof SqlError)) throw error;
          this.end(txn, "aborted");
          return error.toResult();
        }
        return { status: "ok", tag: "COMMIT" };
      }
      case "select":
      case "insert":
      case "update":
      case "delete": {
        if (conn.failed) return { status: "error", code: "25P02", message: IN_FAILED_TRANSACTION };
        const txn = conn.txn ?? this.start(connName, "read committed", true);
        txn.commandId++;
        return this.run(connName, conn, {
          txn,
          statement,
          work: this.work(txn, statement),
          order: this.blockOrder++,
        });
      }
      default:
        return unreachable(statement, "statement");
    }
  }

  private start(name: string, level: IsolationLevel, implicit: boolean): Txn {
    const txn = new Txn(name, level, implicit);
    this.running.add(txn);
    if (txn.sxact) this.ssi.register(txn.sxact);
    return txn;
  }

  private commitTxn(txn: Txn): void {
    if (txn.sxact) this.ssi.preCommit(txn.sxact);
    this.end(txn, "committed");
  }

  /** The transaction ends: its versions become visible or dead, its locks go, its waiters wake. */
  private end(txn: Txn, status: "committed" | "aborted"): void {
    assert(txn.status === "running", `${txn.name} ended twice`);
    txn.status = status;
    txn.waitingFor = [];
    if (status === "committed") txn.commitSeq = ++this.commits;
    this.running.delete(txn);
    this.locks.releaseAll(txn);
    if (txn.sxact) {
      txn.sxact.storeCommitSeq = txn.commitSeq;
      const globalXmin = this.cleanup ? this.ssiGlobalXmin() : Number.NEGATIVE_INFINITY;
      this.ssi.release(txn.sxact, status === "committed", this.nextXid, globalXmin);
    }
    this.ended.push(txn);
  }

  /** An error inside a transaction: PostgreSQL aborts it at once and waits for ROLLBACK. */
  private fail(connName: string, txn: Txn): void {
    const conn = this.connection(connName);
    if (txn.implicit) conn.txn = null;
    else conn.failed = true;
    this.end(txn, "aborted");
  }

  // --- Running and blocking -------------------------------------------------------------------

  /** Run a statement until it finishes or must wait; a wait that closes a cycle is a deadlock. */
  private run(connName: string, conn: Connection, blocked: Blocked): Result {
    const { txn } = blocked;
    let step: IteratorResult<Txn[], Result>;
    try {
      step = blocked.work.next();
    } catch (error) {
      if (!(error instanceof SqlError)) throw error;
      conn.blocked = null;
      this.fail(connName, txn);
      return error.toResult();
    }
    if (step.done) {
      conn.blocked = null;
      if (txn.implicit) {
        conn.txn = null;
        this.end(txn, "committed");
      }
      return step.value;
    }
    const waitFor = step.value;
    assert(
      waitFor.length > 0 && waitFor.every((t) => t !== txn && t.status === "running"),
      `${txn.name} waits for nothing, for itself or for a finished transaction`,
    );
    if (this.reaches(waitFor, txn)) {
      conn.blocked = null;
      this.fail(connName, txn);
      return { status: "error", code: "40P01", message: "deadlock detected" };
    }
    txn.waitingFor = waitFor;
    conn.blocked = blocked;
    return { status: "blocked", waitingFor: waitFor.map((t) => t.name) };
  }

  /** Whether `target` is reachable from `from` along waits-for edges. */
  private reaches(from: readonly Txn[], target: Txn): boolean {
    const seen = new Set<Txn>();
    const stack = [...from];
    while (stack.length > 0) {
      const t = stack.pop() as Txn;
      if (t === target) return true;
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(...t.waitingFor);
    }
    return false;
  }

  /** Resume, in the order they blocked, the statements that waited for `ended`. */
  private wake(ended: Txn): void {
    const ready = [...this.connections.entries()]
      .filter(([, c]) => c.blocked?.txn.waitingFor.includes(ended))
      .sort(([, a], [, b]) => (a.blocked?.order ?? 0) - (b.blocked?.order ?? 0));
    for (const [name, conn] of ready) {
      const blocked = conn.blocked;
      // An earlier wake-up in this loop may have re-blocked this one.
      if (!blocked?.txn.waitingFor.includes(ended)) continue;
      blocked.txn.waitingFor = [];
      conn.blocked = null;
      const result = this.run(name, conn, blocked);
      if (result.status !== "blocked") {
        this.finished.push({ conn: name, statement: blocked.statement, result });
      }
    }
  }

  // --- Row versions and visibility ------------------------------------------------------------

  private addVersion(v: { id: number; value: number; xmin: Txn; cmin: number }): Version {
    const version: Version = {
      versionId: this.versionCount++,
      ...v,
      xmax: null,
      lockOnly: false,
      cmax: 0,
      next: null,
    };
    let list = this.versions.get(v.id);
    if (!list) {
      list = [];
      this.versions.set(v.id, list);
      this.keysSorted.push(v.id);
      this.keysSorted.sort((a, b) => a - b);
    }
    list.push(version);
    return version;
  }

  /**
   * VACUUM, for one key: drop the versions no running transaction can see or needs to check, those
   * an aborted transaction wrote and those replaced or deleted by a transaction that committed
   * before the oldest snapshot still in use (PostgreSQL's HEAPTUPLE_DEAD, which SSI skips too).
   * A version a waiting statement still holds stays reachable through its own reference.
   */
  private vacuum(key: number): Version[] {
    const list = this.versions.get(key) ?? [];
    if (list.length < 8 || !this.cleanup) return list;
    let horizon = this.commits;
    for (const t of this.running)
      if (t.snapshot !== null && t.snapshot < horizon) horizon = t.snapshot;
    const live = list.filter((v) => {
      if (v.xmin.status === "aborted") return false;
      const d = v.xmax;
      return !(d !== null && !v.lockOnly && d.commitSeq !== null && d.commitSeq <= horizon);
    });
    if (live.length < list.length) this.versions.set(key, live);
    return live;
  }

  /** Committed by the time the snapshot was taken (PostgreSQL: not in progress, below xmax). */
  private inSnapshot(t: Txn, snapshot: number): boolean {
    return t.commitSeq !== null && t.commitSeq <= snapshot;
  }

  private visible(v: Version, txn: Txn, snapshot: number): boolean {
    const created = v.xmin === txn ? v.cmin < txn.commandId : this.inSnapshot(v.xmin, snapshot);
    if (!created) return false;
    const d = v.xmax;
    if (d === null || d.status === "aborted" || v.lockOnly) return true;
    if (d === txn) return v.cmax >= txn.commandId;
    return !this.inSnapshot(d, snapshot);
  }

  /** The broken read uncommitted: the newest version not aborted, committed or not. */
  private visibleDirty(v: Version, txn: Txn): boolean {
    const created = v.xmin === txn ? v.cmin < txn.commandId : v.xmin.status !== "aborted";
    if (!created) return false;
    const d = v.xmax;
    if (d === null || d.status === "aborted" || v.lockOnly) return true;
    return d === txn && v.cmax >= txn.commandId;
  }

  private latestCommitted(key: number): Version | undefined {
    const list = this.versions.get(key) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const v = list[i] as Version;
      if (v.xmin.status !== "committed") continue;
      const d = v.xmax;
      if (d !== null && d.status === "committed" && !v.lockOnly) return undefined;
      return v;
    }
    return undefined;
  }

  /** The snapshot a statement reads from: per statement, or per transaction from its first one. */
  private statementSnapshot(txn: Txn): number {
    const perTransaction =
      txn.level === "snapshot isolation" || txn.level === "serializable snapshot isolation";
    if (perTransaction && txn.snapshot !== null) return txn.snapshot;
    txn.snapshot = this.commits;
    if (txn.sxact && !txn.sxact.snapshotTaken) {
      this.ssi.onSnapshot(txn.sxact, this.commits, this.oldestRunningXid());
    }
    return txn.snapshot;
  }

  /**
   * The oldest snapshot xmin among running serializable transactions; one that has not taken its
   * snapshot yet will take one no older than the oldest transaction id running now.
   */
  private ssiGlobalXmin(): number | null {
    let xmin: number | null = null;
    for (const t of this.running) {
      if (!t.sxact) continue;
      const x = t.sxact.snapshotTaken ? t.sxact.snapshotXmin : this.oldestRunningXid();
      if (xmin === null || x < xmin) xmin = x;
    }
    return xmin;
  }

  private oldestRunningXid(): number {
    let xmin = this.nextXid;
    for (const t of this.running) if (t.xid !== null && t.xid < xmin) xmin = t.xid;
    return xmin;
  }

  private keysFor(where: Where): number[] {
    const ids = lookupIds(where);
    if (!ids) return this.keysSorted;
    return [...new Set(ids)].sort((a, b) => a - b).filter((k) => this.versions.has(k));
  }

  /**
   * The version of `key` the transaction sees, after SSI's checks on every version it looks at
   * (PostgreSQL checks each tuple a scan examines, visible or not).
   */
  private see(
    txn: Txn,
    key: number,
    snapshot: number,
    where: Where,
    dirty = false,
  ): Version | undefined {
    let seen: Version | undefined;
    for (const v of this.vacuum(key)) {
      const isVisible = dirty ? this.visibleDirty(v, txn) : this.visible(v, txn, snapshot);
      if (isVisible) seen = v;
      if (txn.sxact) {
        // HeapCheckForSerializableConflictOut: a visible version replaced or deleted by someone
        // else, or an invisible one written by someone else. A row lock is not a write.
        const other = isVisible
          ? v.lockOnly
            ? null
            : v.xmax
          : v.xmin.status === "aborted"
            ? null
            : v.xmin;
        if (other && other !== txn && other.status !== "aborted" && other.sxact) {
          this.ssi.conflictOut(txn.sxact, other.sxact);
        }
      }
    }
    // A lookup by key locks the tuple it returns; a scan has locked the whole table already.
    if (seen && txn.sxact && lookupIds(where))
      this.ssi.siread(txn.sxact, tupleTarget(seen.versionId));
    return seen;
  }

  private beforeRead(txn: Txn, where: Where): void {
    if (!txn.sxact) return;
    this.ssi.beforeRead(txn.sxact);
    const ids = lookupIds(where);
    if (!ids) this.ssi.siread(txn.sxact, RELATION);
    else for (const key of ids) this.ssi.siread(txn.sxact, indexKeyTarget(key));
  }

  // --- Statements -----------------------------------------------------------------------------

  private *work(txn: Txn, statement: Statement): Work {
    if (txn.level === "two-phase locking") yield* this.lock(txn, statement);
    switch (statement.kind) {
      case "select":
        return statement.forUpdate
          ? yield* this.modify(txn, statement)
          : this.select(txn, statement.where);
      case "insert":
        return yield* this.insertRow(txn, statement.row);
      case "update":
      case "delete":
        return yield* this.modify(txn, statement);
      default:
        throw new AssertionFailed(`${statement.kind} is not a data statement`);
    }
  }

  private select(txn: Txn, where: Where): Result {
    const snapshot = this.statementSnapshot(txn);
    this.beforeRead(txn, where);
    const rows: Row[] = [];
    const dirty = this.readUncommitted && txn.level === "read committed";
    for (const key of this.keysFor(where)) {
      const v = this.see(txn, key, snapshot, where, dirty);
      if (v && matches(where, v)) rows.push({ id: v.id, value: v.value });
    }
    return { status: "ok", tag: "SELECT", rows };
  }

  /**
   * INSERT as PostgreSQL does it: the new version goes into the table first (heap_insert, which
   * checks the table's SIREAD locks), invisible to others but there for a concurrent scan to find;
   * then the primary key's unique check reads every other version of the key, committed or not
   * (a dirty snapshot), waits for a writer that has not finished, and fails with 23505 if a live
   * row has the key (after an SSI check, so 40001 comes first where it applies); last, the index
   * insertion checks the key's SIREAD locks.
   */
  private *insertRow(txn: Txn, row: Row): Work {
    this.statementSnapshot(txn);
    if (txn.sxact) this.ssi.conflictIn(txn.sxact, [RELATION]);
    this.assignXid(txn);
    const mine = this.addVersion({ id: row.id, value: row.value, xmin: txn, cmin: txn.commandId });
    for (;;) {
      let waitFor: Txn | null = null;
      let live = false;
      for (const v of this.versions.get(row.id) ?? []) {
        if (v === mine) continue;
        if (v.xmin !== txn && v.xmin.status === "aborted") continue;
        if (v.xmin !== txn && v.xmin.status === "running") {
          waitFor = v.xmin;
          break;
        }
        const d = v.xmax;
        if (d === null || d.status === "aborted" || v.lockOnly) live = true;
        else if (d !== txn && d.status === "running") {
          waitFor = d;
          break;
        }
      }
      if (waitFor) {
        yield [waitFor];
        continue;
      }
      if (live) {
        // _bt_check_unique checks for SSI conflicts before it reports the violation, so that a
        // serializable transaction that saw the key absent fails with 40001 instead.
        if (txn.sxact) this.ssi.conflictIn(txn.sxact, [indexKeyTarget(row.id)]);
        throw new SqlError("23505", 'duplicate key value violates unique constraint "test_pkey"');
      }
      break;
    }
    if (txn.sxact) this.ssi.conflictIn(txn.sxact, [indexKeyTarget(row.id)]);
    return { status: "ok", tag: "INSERT", count: 1 };
  }

  /**
   * UPDATE, DELETE and SELECT ... FOR UPDATE: find the rows, lock each (waiting if need be), then
   * write a new version, mark the row deleted, or only lock it (PostgreSQL's heap_lock_tuple, which
   * waits and re-checks exactly as an update does).
   */
  private *modify(
    txn: Txn,
    statement: Extract<Statement, { kind: "update" | "delete" | "select" }>,
  ): Work {
    const { where } = statement;
    const snapshot = this.statementSnapshot(txn);
    this.beforeRead(txn, where);
    let count = 0;
    const rows: Row[] = [];
    for (const key of this.keysFor(where)) {
      const seen = this.see(txn, key, snapshot, where);
      if (!seen || !matches(where, seen)) continue;
      let target: Version = seen;
      let skip = false;
      for (;;) {
        const holder = target.xmax;
        if (holder === null || holder.status === "aborted") break;
        if (holder === txn) {
          // Our own row lock; otherwise this very statement already changed the row.
          if (!target.lockOnly) skip = true;
          break;
        }
        if (holder.status === "running") {
          if (!this.rowWriteLocks) {
            // The broken variant writes on top of the other's uncommitted version.
            if (target.lockOnly) break;
            if (target.next === null) {
              skip = true;
              break;
            }
            target = target.next;
            continue;
          }
          yield [holder];
          continue;
        }
        // A committed locker that changed nothing leaves the row current: no conflict.
        if (target.lockOnly) break;
        // The holder committed after our snapshot was taken.
        if (txn.level !== "read committed" && this.firstUpdaterWins) {
          throw new SqlError("40001", target.next ? CONCURRENT_UPDATE : CONCURRENT_DELETE);
        }
        if (target.next === null) {
          skip = true; // deleted by the other transaction
          break;
        }
        target = target.next;
        // EvalPlanQual: read committed checks the WHERE clause again on the newest version.
        if (txn.level === "read committed" && !matches(where, target)) {
          skip = true;
          break;
        }
      }
      if (skip) continue;
      this.assignXid(txn);
      if (statement.kind === "select") {
        // A row lock only: SSI does not count it as a write (it is not one).
        if (target.xmax !== txn) {
          target.xmax = txn;
          target.lockOnly = true;
          target.cmax = txn.commandId;
        }
        rows.push({ id: target.id, value: target.value });
        continue;
      }
      if (txn.sxact) this.ssi.conflictIn(txn.sxact, [tupleTarget(target.versionId), RELATION]);
      target.xmax = txn;
      target.lockOnly = false;
      target.cmax = txn.commandId;
      if (statement.kind === "update") {
        // Read committed computes the new value from the newest version; the broken snapshot
        // isolation computes it from the version its snapshot saw, and overwrites the newest.
        const base = txn.level === "read committed" ? target.value : seen.value;
        target.next = this.addVersion({
          id: key,
          value: applySet(statement.set, base),
          xmin: txn,
          cmin: txn.commandId,
        });
        rows.push({ id: key, value: target.next.value });
      }
      count++;
    }
    if (statement.kind === "select") return { status: "ok", tag: "SELECT", rows };
    const tag = statement.kind === "update" ? "UPDATE" : "DELETE";
    return statement.kind === "update" && statement.returning
      ? { status: "ok", tag, count, rows }
      : { status: "ok", tag, count };
  }

  private assignXid(txn: Txn): void {
    if (txn.xid === null) txn.xid = this.nextXid++;
  }

  // --- Two-phase locking ----------------------------------------------------------------------

  /**
   * Take every lock the statement needs before it runs, waiting while any is held by another
   * transaction. Reads lock in shared mode (each key looked up, or the predicate); writes lock
   * their keys in exclusive mode, which also waits for predicate locks the old or new row matches.
   */
  private *lock(txn: Txn, statement: Statement): Generator<Txn[], void, void> {
    for (;;) {
      const blockers = new Set<Txn>();
      const grants: (() => void)[] = [];
      const add = (holders: object[]) => {
        for (const h of holders) blockers.add(h as Txn);
      };
      const readLocks = (where: Where) => {
        if (!this.twoPhaseReadLocks) return;
        const ids = lookupIds(where);
        if (ids) {
          for (const key of ids) {
            add(this.locks.sharedBlockers(txn, key));
            grants.push(() => this.locks.grantShared(txn, key));
          }
        } else {
          add(this.locks.predicateBlockers(txn, where, (key) => this.rowsForLocking(key)));
          grants.push(() => this.locks.grantPredicate(txn, where));
        }
      };
      const writeLock = (key: number, rows: Row[]) => {
        add(this.locks.exclusiveBlockers(txn, key, rows));
        grants.push(() => this.locks.grantExclusive(txn, key));
      };
      switch (statement.kind) {
        case "insert":
          writeLock(statement.row.id, [statement.row]);
          break;
        case "select":
        case "update":
        case "delete": {
          const { where } = statement;
          // A plain read takes shared locks; FOR UPDATE takes exclusive ones, as a write does.
          if (statement.kind === "select" && !statement.forUpdate) {
            readLocks(where);
            break;
          }
          const ids = lookupIds(where);
          if (!ids) readLocks(where);
          for (const key of ids ? [...new Set(ids)] : this.keysSorted) {
            const current = this.currentRow(txn, key);
            if (!ids && (!current || !matches(where, current))) continue;
            const rows = current ? [current] : [];
            if (current && statement.kind === "update") {
              rows.push({ id: key, value: applySet(statement.set, current.value) });
            }
            writeLock(key, rows);
          }
          break;
        }
        default:
          throw new AssertionFailed(`${statement.kind} takes no locks`);
      }
      if (blockers.size === 0) {
        for (const grant of grants) grant();
        return;
      }
      yield [...blockers];
    }
  }

  /** The row as the transaction would read it now: its own write, or the latest committed. */
  private currentRow(txn: Txn, key: number): Row | undefined {
    const list = this.versions.get(key) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const v = list[i] as Version;
      if (this.visible(v, txn, this.commits)) return { id: v.id, value: v.value };
    }
    return undefined;
  }

  /** The committed row and every version a running writer has made: what a predicate must test. */
  private rowsForLocking(key: number): Row[] {
    const rows: Row[] = [];
    const committed = this.latestCommitted(key);
    if (committed) rows.push({ id: key, value: committed.value });
    for (const v of this.versions.get(key) ?? []) {
      if (v.xmin.status === "running") rows.push({ id: key, value: v.value });
    }
    return rows;
  }

  private connection(name: string): Connection {
    let conn = this.connections.get(name);
    if (!conn) {
      conn = { txn: null, failed: false, blocked: null };
      this.connections.set(name, conn);
    }
    return conn;
  }
}
