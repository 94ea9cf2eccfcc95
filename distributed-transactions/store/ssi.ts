/**
 * Serializable snapshot isolation as PostgreSQL implements it (DDIA ch. 7, Serializable Snapshot
 * Isolation (SSI); Cahill, Röhm and Fekete 2008; Ports and Grittner 2012, "Serializable Snapshot
 * Isolation in PostgreSQL"), following src/backend/storage/lmgr/predicate.c function by function,
 * so that the statement that fails is the one that fails in PostgreSQL:
 *
 * - A read takes SIREAD locks (`siread`): on each row version a lookup by key returns and on the
 *   key, or on the whole table for a scan (PostgreSQL locks the relation on a sequential scan).
 *   They never block; they survive the reader's commit while transactions that overlapped it run.
 * - An rw-antidependency (the book's "detecting writes that affect prior reads") is found two ways:
 *   a write finds another transaction's SIREAD lock on what it writes (`conflictIn`,
 *   CheckForSerializableConflictIn), or a read meets a row version that a concurrent transaction
 *   wrote (`conflictOut`, CheckForSerializableConflictOut: "detecting stale MVCC reads").
 * - Each new rw-conflict is checked for a dangerous structure, Tin -rw-> Tpivot -rw-> Tout with
 *   Tout committing first (`onConflict`, OnConflict_CheckForSerializationFailure). If the current
 *   transaction is the one to die it fails at once (at the read or the write); otherwise the other
 *   one is marked doomed and fails at its next read, write or commit.
 * - At commit (`preCommit`, PreCommit_CheckForSerializationFailure) a transaction that is the Tout
 *   of a structure whose pivot and Tin have not committed dooms the pivot and commits itself.
 *
 * The error is SQLSTATE 40001, "could not serialize access due to read/write dependencies among
 * transactions", with PostgreSQL's reason code.
 *
 * Left out: the summarization of old transactions to the SLRU when memory runs short, READ ONLY
 * DEFERRABLE and safe snapshots (no transaction here is declared READ ONLY; one that commits
 * without writing is flagged read-only at commit, as PostgreSQL does), lock promotion to coarser
 * granularity, and page-level locks (an index lookup here locks the tuple it returns and its key,
 * where PostgreSQL locks the tuple and the B-tree leaf page, which holds many keys).
 */

import { RW_DEPENDENCIES, SqlError } from "./statements.js";

/** PostgreSQL's SERIALIZABLEXACT: what SSI keeps about one serializable transaction. */
export interface Sxact {
  readonly name: string;
  doomed: boolean;
  prepared: boolean;
  committed: boolean;
  rolledBack: boolean;
  /** Committed without writing (PostgreSQL: "implicit read-only transaction"). */
  readOnly: boolean;
  didWrite: boolean;
  /** SXACT_FLAG_CONFLICT_OUT: it has a conflict out to a transaction that committed before it. */
  conflictOut: boolean;
  earliestOutConflictCommit: number;
  prepareSeqNo: number;
  commitSeqNo: number;
  /** The last SSI commit sequence number when the snapshot was taken. */
  lastCommitBeforeSnapshot: number;
  /** Whether the snapshot is taken, and the commit sequence number of the store it saw. */
  snapshotTaken: boolean;
  /** Committed before the snapshot was taken: visible in it, so not concurrent. */
  seesCommitsThrough: number;
  /** The oldest running transaction id at the snapshot (PostgreSQL's snapshot xmin). */
  snapshotXmin: number;
  /** The next transaction id when it finished (PostgreSQL's finishedBefore). */
  finishedBefore: number;
  /** The store's commit order number once committed, for the test of concurrency. */
  storeCommitSeq: number | null;
  /** Readers with an rw-conflict into this transaction (reader -rw-> this). */
  readonly inConflicts: Set<Sxact>;
  /** Writers this transaction has an rw-conflict out to (this -rw-> writer). */
  readonly outConflicts: Set<Sxact>;
  readonly locks: Set<string>;
}

export function newSxact(name: string): Sxact {
  return {
    name,
    doomed: false,
    prepared: false,
    committed: false,
    rolledBack: false,
    readOnly: false,
    didWrite: false,
    conflictOut: false,
    earliestOutConflictCommit: 0,
    prepareSeqNo: 0,
    commitSeqNo: 0,
    lastCommitBeforeSnapshot: 0,
    snapshotTaken: false,
    seesCommitsThrough: 0,
    snapshotXmin: 0,
    finishedBefore: 0,
    storeCommitSeq: null,
    inConflicts: new Set(),
    outConflicts: new Set(),
    locks: new Set(),
  };
}

/**
 * SIREAD lock targets: the whole table (a sequential scan), one row version (a tuple an index
 * lookup returned), and one key of the primary key's index (what a lookup by key covers, so that
 * an insert of that key conflicts: PostgreSQL locks the B-tree leaf page, which covers more).
 */
export const RELATION = "relation";
export const indexKeyTarget = (key: number): string => `index key ${key}`;
export const tupleTarget = (versionId: number): string => `tuple ${versionId}`;

function fail(reason: string): never {
  throw new SqlError("40001", RW_DEPENDENCIES, `Reason code: ${reason}`);
}

export class Ssi {
  /** PredXact->LastSxactCommitSeqNo. */
  lastCommitSeqNo = 0;
  private readonly sireadLocks = new Map<string, Set<Sxact>>();
  private readonly all = new Set<Sxact>();
  /**
   * The broken variant switches this off: no SIREAD lock, no rw-conflict, no check. What is left
   * is snapshot isolation, under which write skew occurs (DDIA ch. 7, Write Skew and Phantoms).
   */
  constructor(readonly tracking = true) {}

  register(sxact: Sxact): void {
    this.all.add(sxact);
  }

  /** At the snapshot: remember what it saw. */
  onSnapshot(sxact: Sxact, storeCommitSeq: number, xmin: number): void {
    sxact.snapshotTaken = true;
    sxact.seesCommitsThrough = storeCommitSeq;
    sxact.snapshotXmin = xmin;
    sxact.lastCommitBeforeSnapshot = this.lastCommitSeqNo;
  }

  /** Before a read looks at rows: a doomed transaction fails here (CheckForSerializableConflictOutNeeded). */
  beforeRead(me: Sxact): void {
    if (!this.tracking) return;
    if (me.doomed) fail("Canceled on identification as a pivot, during conflict out checking.");
  }

  siread(me: Sxact, target: string): void {
    if (!this.tracking) return;
    let holders = this.sireadLocks.get(target);
    if (!holders) {
      holders = new Set();
      this.sireadLocks.set(target, holders);
    }
    holders.add(me);
    me.locks.add(target);
  }

  private concurrent(me: Sxact, other: Sxact): boolean {
    return other.storeCommitSeq === null || other.storeCommitSeq > me.seesCommitsThrough;
  }

  /**
   * CheckForSerializableConflictOut: `me` read a row version that `writer` created (and `me` cannot
   * see it) or deleted or replaced (and `me` still sees the old one).
   */
  conflictOut(me: Sxact, writer: Sxact): void {
    if (!this.tracking) return;
    if (me.doomed) fail("Canceled on identification as a pivot, during conflict out checking.");
    if (writer === me || writer.doomed) return;
    if (!this.concurrent(me, writer)) return;
    if (me.outConflicts.has(writer)) return;
    this.flag(me, writer, me);
  }

  /**
   * CheckForSerializableConflictIn: `me` is about to write. An UPDATE or DELETE checks the tuple
   * it replaces and the table (heap_update, heap_delete); an INSERT checks the table
   * (heap_insert), then, after the unique check, the key in the index (_bt_doinsert).
   */
  conflictIn(me: Sxact, targets: readonly string[]): void {
    if (!this.tracking) return;
    if (me.doomed) fail("Canceled on identification as a pivot, during conflict in checking.");
    me.didWrite = true;
    for (const target of targets) {
      const holders = this.sireadLocks.get(target);
      if (!holders) continue;
      for (const reader of [...holders]) {
        if (reader === me) {
          // Writing the tuple it read: its own SIREAD lock on it is no longer needed
          // (CheckTargetForConflictsIn drops a tuple-level one).
          if (target.startsWith("tuple")) {
            holders.delete(me);
            me.locks.delete(target);
          }
          continue;
        }
        if (
          !reader.doomed &&
          (!reader.committed || me.snapshotXmin < reader.finishedBefore) &&
          !reader.outConflicts.has(me)
        ) {
          this.flag(reader, me, me);
        }
      }
    }
  }

  /** FlagRWConflict: check for a dangerous structure, then record reader -rw-> writer. */
  private flag(reader: Sxact, writer: Sxact, me: Sxact): void {
    this.onConflict(reader, writer, me);
    reader.outConflicts.add(writer);
    writer.inConflicts.add(reader);
  }

  /** OnConflict_CheckForSerializationFailure, with `me` the transaction running the statement. */
  private onConflict(reader: Sxact, writer: Sxact, me: Sxact): void {
    let failure = false;
    // R -rw-> W -rw-> T2 with W committed and T2 committed before W.
    if (writer.committed && writer.conflictOut) failure = true;
    // The writer is a pivot whose Tout (T2) has committed, or prepared, first.
    if (!failure) {
      for (const t2 of writer.outConflicts) {
        if (
          t2.prepared &&
          (!reader.committed || t2.prepareSeqNo <= reader.commitSeqNo) &&
          (!writer.committed || t2.prepareSeqNo <= writer.commitSeqNo) &&
          (!reader.readOnly || t2.prepareSeqNo <= reader.lastCommitBeforeSnapshot)
        ) {
          failure = true;
          break;
        }
      }
    }
    // The reader is a pivot whose Tout, the writer, has prepared.
    if (!failure && writer.prepared && !reader.readOnly) {
      for (const t0 of reader.inConflicts) {
        if (
          !t0.doomed &&
          (!t0.committed || t0.commitSeqNo >= writer.prepareSeqNo) &&
          (!t0.readOnly || t0.lastCommitBeforeSnapshot >= writer.prepareSeqNo)
        ) {
          failure = true;
          break;
        }
      }
    }
    if (!failure) return;
    if (me === writer) fail("Canceled on identification as a pivot, during write.");
    if (writer.prepared) fail(`Canceled on conflict out to pivot ${writer.name}, during read.`);
    writer.doomed = true;
  }

  /** PreCommit_CheckForSerializationFailure. */
  preCommit(me: Sxact): void {
    if (!this.tracking) return;
    if (me.doomed) fail("Canceled on identification as a pivot, during commit attempt.");
    for (const pivot of me.inConflicts) {
      if (pivot.committed || pivot.doomed) continue;
      for (const tin of pivot.inConflicts) {
        if (tin === me || (!tin.committed && !tin.readOnly && !tin.doomed)) {
          if (pivot.prepared) {
            fail("Canceled on commit attempt with conflict in from prepared pivot.");
          }
          pivot.doomed = true;
          break;
        }
      }
    }
    me.prepareSeqNo = ++this.lastCommitSeqNo;
    me.prepared = true;
  }

  /**
   * ReleasePredicateLocks, at commit or rollback; `nextXid` gives finishedBefore, and
   * `globalXmin` is the oldest snapshot xmin a running serializable transaction has or can still
   * take (PostgreSQL's SxactGlobalXmin), or null when none runs.
   */
  release(me: Sxact, isCommit: boolean, nextXid: number, globalXmin: number | null): void {
    me.finishedBefore = nextXid;
    if (isCommit) {
      me.committed = true;
      me.commitSeqNo = ++this.lastCommitSeqNo;
      if (!me.didWrite) me.readOnly = true;
    } else {
      me.doomed = true;
      me.rolledBack = true;
      me.prepared = false;
    }
    for (const writer of [...me.outConflicts]) {
      if (isCommit && !me.readOnly && writer.committed) {
        if (!me.conflictOut || writer.prepareSeqNo < me.earliestOutConflictCommit) {
          me.earliestOutConflictCommit = writer.prepareSeqNo;
        }
        me.conflictOut = true;
      }
      if (
        !isCommit ||
        writer.committed ||
        writer.lastCommitBeforeSnapshot >= this.lastCommitSeqNo
      ) {
        me.outConflicts.delete(writer);
        writer.inConflicts.delete(me);
      }
    }
    for (const reader of [...me.inConflicts]) {
      if (!isCommit || reader.committed || reader.readOnly) {
        me.inConflicts.delete(reader);
        reader.outConflicts.delete(me);
      }
    }
    if (!isCommit) this.forget(me);
    this.clearOld(globalXmin);
  }

  /**
   * ClearOldPredicateLocks: a transaction that finished before every running serializable
   * transaction took its snapshot can no longer be concurrent with any of them, so its SIREAD locks,
   * its conflicts and its record go. (PostgreSQL also clears part of what a transaction holds
   * earlier, once no read-write serializable transaction runs; that is left out.)
   */
  private clearOld(globalXmin: number | null): void {
    for (const sxact of [...this.all]) {
      const finished = sxact.committed || sxact.rolledBack;
      if (finished && (globalXmin === null || sxact.finishedBefore <= globalXmin)) {
        this.forget(sxact);
      }
    }
  }

  private forget(sxact: Sxact): void {
    this.dropLocks(sxact);
    for (const writer of sxact.outConflicts) writer.inConflicts.delete(sxact);
    for (const reader of sxact.inConflicts) reader.outConflicts.delete(sxact);
    sxact.inConflicts.clear();
    sxact.outConflicts.clear();
    this.all.delete(sxact);
  }

  private dropLocks(sxact: Sxact): void {
    for (const target of sxact.locks) {
      const holders = this.sireadLocks.get(target);
      holders?.delete(sxact);
      if (holders?.size === 0) this.sireadLocks.delete(target);
    }
    sxact.locks.clear();
  }

  /** How many serializable transactions are tracked, running or finished and not yet released. */
  tracked(): number {
    return this.all.size;
  }

  /** For tests and narration: the rw-conflicts recorded now, as `reader -> writer`. */
  conflicts(): string[] {
    const out: string[] = [];
    for (const sxact of this.all) {
      for (const writer of sxact.outConflicts) out.push(`${sxact.name} -> ${writer.name}`);
    }
    return out.sort();
  }
}
