/**
 * LWW-Register, a last-writer-wins register (Shapiro et al. 2011, Specification 8, "State-based
 * Last-Writer-Wins Register"). DDIA ch. 5, "Last write wins (discarding concurrent writes)":
 * every write carries a timestamp, the biggest timestamp wins, and the other writes are silently
 * discarded, even when they were concurrent, so LWW "achieves the goal of eventual convergence,
 * but at the cost of durability".
 *
 * Payload: the value and the timestamp of the write that set it. A timestamp here is the writer's
 * clock reading, then the writer's id, then its update count: a total order, so two writes never
 * tie (Cassandra breaks ties on the value instead). Merge keeps the payload with the bigger
 * timestamp; assigning is the same as merging in a payload with a new timestamp, so the
 * operation-based form (ship the assignment) needs neither order nor exactly-once delivery.
 *
 * The API another scenario can use, with no network attached:
 *   let r = lwwInitial();                        // value null
 *   r = lwwAssign(r, "red", stamp);              // at the writer
 *   r = lwwMerge(r, otherReplica);               // anywhere, any order, any number of times
 *   lwwValue(r);                                 // "red", or what a bigger timestamp wrote
 */

import type { Crdt, Recorded, Stamp } from "./crdt.js";

export interface LWWRegister {
  readonly value: string | null;
  /** Null until the first assignment. */
  readonly stamp: Stamp | null;
}

export type Assign = { readonly kind: "assign"; readonly value: string };

/** Compare timestamps: clock reading, then writer id, then the writer's update count. */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.clockMs !== b.clockMs) return a.clockMs < b.clockMs ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.seq - b.seq;
}

export const lwwInitial = (): LWWRegister => ({ value: null, stamp: null });

/** The payload whose timestamp is bigger (the least upper bound in the order of timestamps). */
export function lwwMerge(a: LWWRegister, b: LWWRegister): LWWRegister {
  if (b.stamp === null) return a;
  if (a.stamp === null) return b;
  return compareStamps(a.stamp, b.stamp) >= 0 ? a : b;
}

/** Assign `value` with timestamp `stamp`: it wins unless the register holds a bigger one. */
export const lwwAssign = (register: LWWRegister, value: string, stamp: Stamp): LWWRegister =>
  lwwMerge(register, { value, stamp });

export const lwwValue = (register: LWWRegister): string | null => register.value;

const canonical = (r: LWWRegister): string =>
  r.stamp === null ? "null" : `${r.value}@${r.stamp.clockMs}/${r.stamp.replica}/${r.stamp.seq}`;

export const lwwRegister: Crdt<Assign, LWWRegister, LWWRegister, LWWRegister, string | null> = {
  name: "LWW-Register",
  stateBased: {
    initial: lwwInitial,
    update: (state, update, stamp) => lwwAssign(state, update.value, stamp),
    merge: lwwMerge,
    value: lwwValue,
    canonical,
  },
  opBased: {
    initial: lwwInitial,
    // The operation is the assignment with its timestamp; its effect is a merge.
    prepare: (_state, update, stamp) => ({ value: update.value, stamp }),
    effect: lwwMerge,
    value: lwwValue,
    canonical,
    idempotent: true,
    appliedTwice: "is harmless",
    causal: false,
  },
  expected: (history: readonly Recorded<Assign>[]) => {
    let best: Recorded<Assign> | undefined;
    for (const r of history) if (!best || compareStamps(r.stamp, best.stamp) > 0) best = r;
    return best?.update.value ?? null;
  },
  expectedText: "the value written with the greatest timestamp",
  randomUpdate: (_random, n) => ({ kind: "assign", value: `v${n}` }),
  showValue: (value) => (value === null ? "null" : JSON.stringify(value)),
  showUpdate: (update) => `assign ${JSON.stringify(update.value)}`,
};
