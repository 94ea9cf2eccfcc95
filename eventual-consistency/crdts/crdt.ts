/**
 * What every CRDT here is made of (DDIA ch. 5, "Custom conflict resolution logic", the sidebar
 * "Automatic Conflict Resolution": conflict-free replicated datatypes "can be concurrently edited
 * by multiple users, and which automatically resolve conflicts in sensible ways").
 *
 * The definitions follow Shapiro, Preguiça, Baquero and Zawirski, "A comprehensive study of
 * Convergent and Commutative Replicated Data Types" (INRIA RR-7506, 2011):
 *
 * - State-based (a CvRDT): the payload is an element of a join-semilattice. An update changes the
 *   payload at its source only; replicas send each other their whole payload, and the receiver
 *   replaces its own by the least upper bound of the two (`merge`). Because merge is commutative,
 *   associative and idempotent, a payload may arrive late, out of order or twice: nothing breaks.
 * - Operation-based (a CmRDT): an update is `prepare`d at its source (reading the local payload,
 *   changing nothing) into an operation; the operation's `effect` is then applied at every
 *   replica, the source included, exactly once, and in causal order where the type needs it.
 *   Concurrent operations commute, so replicas that applied the same operations agree.
 *
 * Every function here is pure: it returns a new payload and never changes its arguments (the
 * network freezes what it carries, so a payload received in a message cannot be changed anyway).
 */

import type { VectorClock } from "../../shared/clocks.js";
import type { Random } from "../../shared/random.js";

/**
 * Who made an update, the how-many-th at that replica (from 1), and the replica's clock when it
 * did. `replica.seq` is unique, so it serves as the OR-Set's unique tag and as an operation's id.
 */
export interface Stamp {
  readonly replica: string;
  readonly seq: number;
  readonly clockMs: number;
}

export const tagOf = (stamp: Stamp): string => `${stamp.replica}.${stamp.seq}`;

/** A convergent (state-based) replicated data type. */
export interface StateBased<U, S, V> {
  initial(): S;
  /** The update at its source: the new local payload. */
  update(state: S, update: U, stamp: Stamp): S;
  /** The least upper bound of two payloads. */
  merge(a: S, b: S): S;
  value(state: S): V;
  /** The payload as text with its keys in a fixed order: equal payloads, equal text. */
  canonical(state: S): string;
}

/** A commutative (operation-based) replicated data type. */
export interface OpBased<U, P, O, V> {
  initial(): P;
  /** At the source, before anything changes: the operation every replica will apply. */
  prepare(state: P, update: U, stamp: Stamp): O;
  /** Apply an operation (at the source first, then downstream at every other replica). */
  effect(state: P, op: O): P;
  value(state: P): V;
  canonical(state: P): string;
  /**
   * Whether applying an operation a second time, at any later moment (after other operations),
   * leaves the payload as it was: then duplicates need no filtering.
   */
  idempotent: boolean;
  /** What a second application of an operation does, in words: "is harmless", "counts twice". */
  appliedTwice: string;
  /** Whether an operation must be applied after every operation its source had applied. */
  causal: boolean;
}

/** One update as the run recorded it: what, by whom, and which updates its source had seen. */
export interface Recorded<U> {
  readonly update: U;
  readonly stamp: Stamp;
  /** Per replica, how many of its updates the source had seen (its causal past). */
  readonly context: VectorClock;
}

/** True when update `a` happened before the update whose causal past is `later`. */
export const happenedBefore = (a: Stamp, later: VectorClock): boolean =>
  (later[a.replica] ?? 0) >= a.seq;

export interface Crdt<U, S, P, O, V> {
  name: string;
  stateBased: StateBased<U, S, V>;
  opBased: OpBased<U, P, O, V>;
  /**
   * The value a replica that has seen every update must show, computed from the recorded updates
   * alone (not from any replica's payload): the specification the convergence check holds the
   * replicas to.
   */
  expected(history: readonly Recorded<U>[]): V;
  /** What `expected` is, in words: "the number of increments". */
  expectedText: string;
  /** A random update, given the value its source shows now (an OR-Set removes what it sees). */
  randomUpdate(random: Random, n: number, current: V): U;
  showValue(value: V): string;
  showUpdate(update: U): string;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of CRDTs of different types
export type AnyCrdt = Crdt<any, any, any, any, any>;

/** A record's entries in key order, as text: the canonical form of a map payload. */
export function sortedEntries(record: Readonly<Record<string, number>>): string {
  return Object.keys(record)
    .sort()
    .map((k) => `${k}:${record[k]}`)
    .join(",");
}

/** `{A:2, B:1}` */
export function showVector(record: Readonly<Record<string, number>>): string {
  return `{${Object.keys(record)
    .sort()
    .map((k) => `${k}:${record[k]}`)
    .join(", ")}}`;
}
