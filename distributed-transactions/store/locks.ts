/**
 * The lock table of strict two-phase locking (DDIA ch. 7, Serializability: Two-Phase Locking
 * (2PL)): shared and exclusive locks on rows, by key, and shared predicate locks for predicate
 * reads (DDIA ch. 7, Two-Phase Locking (2PL): Predicate locks). Locks are held until the transaction
 * commits or aborts ("strict"), and a request that conflicts with a lock held by another
 * transaction waits; the store keeps the waits-for graph and detects deadlocks.
 *
 * A lock on a key is taken whether or not a row with that key exists, so a lookup by key that
 * found nothing also stops another transaction from inserting that key: the book's predicate lock
 * for `id = k`, and what an index-range lock does in real systems (DDIA ch. 7, Index-range locks).
 * A predicate read over the values (`value % 3 = 0`) takes a predicate lock; the book's rule
 * decides what conflicts with it: a write whose old or new row matches the predicate, and a
 * predicate read waits while another transaction holds an exclusive lock on a matching row.
 *
 * Left out: lock queues (a request is granted as soon as nothing it conflicts with is held, so a
 * waiting exclusive request can be overtaken by later shared ones), lock escalation, and the
 * intention locks of multiple-granularity locking.
 */

import { matches, type Row, type Where } from "./statements.js";

/** The holder of a lock: anything with an identity (the store's transaction). */
export type Holder = object;

interface KeyLock {
  readonly shared: Set<Holder>;
  exclusive: Holder | null;
}

export class LockTable {
  private readonly keys = new Map<number, KeyLock>();
  private readonly predicates: { holder: Holder; where: Where }[] = [];

  /** Transactions whose locks stop `holder` from reading `key` in shared mode. */
  sharedBlockers(holder: Holder, key: number): Holder[] {
    const lock = this.keys.get(key);
    return lock?.exclusive && lock.exclusive !== holder ? [lock.exclusive] : [];
  }

  /**
   * Transactions whose locks stop `holder` from writing `key`: any other holder of a lock on the
   * key, and any other transaction's predicate lock that the old or the new row matches.
   */
  exclusiveBlockers(holder: Holder, key: number, rows: readonly Row[]): Holder[] {
    const blockers = new Set<Holder>();
    const lock = this.keys.get(key);
    if (lock) {
      if (lock.exclusive && lock.exclusive !== holder) blockers.add(lock.exclusive);
      for (const other of lock.shared) if (other !== holder) blockers.add(other);
    }
    for (const p of this.predicates) {
      if (p.holder !== holder && rows.some((row) => matches(p.where, row))) blockers.add(p.holder);
    }
    return [...blockers];
  }

  /**
   * Transactions whose locks stop `holder` from taking a shared predicate lock on `where`: those
   * holding an exclusive lock on a key one of whose rows (`rowsOf`: the committed row and any
   * version its writer has not committed yet) matches the predicate.
   */
  predicateBlockers(holder: Holder, where: Where, rowsOf: (key: number) => Row[]): Holder[] {
    const blockers = new Set<Holder>();
    for (const [key, lock] of this.keys) {
      if (!lock.exclusive || lock.exclusive === holder) continue;
      if (rowsOf(key).some((row) => matches(where, row))) blockers.add(lock.exclusive);
    }
    return [...blockers];
  }

  grantShared(holder: Holder, key: number): void {
    this.lockOf(key).shared.add(holder);
  }

  grantExclusive(holder: Holder, key: number): void {
    this.lockOf(key).exclusive = holder;
  }

  grantPredicate(holder: Holder, where: Where): void {
    this.predicates.push({ holder, where });
  }

  /** At commit or abort: strict 2PL releases every lock at once, and only then. */
  releaseAll(holder: Holder): void {
    for (const [key, lock] of this.keys) {
      lock.shared.delete(holder);
      if (lock.exclusive === holder) lock.exclusive = null;
      if (lock.shared.size === 0 && lock.exclusive === null) this.keys.delete(key);
    }
    for (let i = this.predicates.length - 1; i >= 0; i--) {
      if (this.predicates[i]?.holder === holder) this.predicates.splice(i, 1);
    }
  }

  private lockOf(key: number): KeyLock {
    let lock = this.keys.get(key);
    if (!lock) {
      lock = { shared: new Set(), exclusive: null };
      this.keys.set(key, lock);
    }
    return lock;
  }
}
