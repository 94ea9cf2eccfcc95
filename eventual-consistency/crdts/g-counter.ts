/**
 * G-Counter, a grow-only counter (Shapiro et al. 2011, section 3.1.2 and Specification 6,
 * "State-based increment-only Counter (G-Counter)"; section 3.1.1 for the operation-based counter). DDIA ch. 5, "Custom
 * conflict resolution logic" (Automatic Conflict Resolution) names counters among the CRDTs.
 *
 * State-based payload: one count per replica, `{A: 2, B: 1}`. A replica increments only its own
 * entry; merge takes the maximum of each entry; the value is the sum. Taking the maximum (not the
 * sum) is what makes merge idempotent: the same payload merged twice counts once.
 *
 * Operation-based payload: one integer. `increment` is an operation whose effect adds one.
 * Additions commute, so any order will do, but adding is not idempotent: every increment must be
 * applied exactly once at every replica.
 */

import { type Crdt, showVector, sortedEntries } from "./crdt.js";

export type GCounterState = Readonly<Record<string, number>>;
export type Increment = { readonly kind: "increment" };

/** Entry-wise maximum: the least upper bound of two G-Counter payloads. */
export function gCounterMerge(a: GCounterState, b: GCounterState): GCounterState {
  const out: Record<string, number> = { ...a };
  for (const [replica, count] of Object.entries(b)) {
    if (count > (out[replica] ?? 0)) out[replica] = count;
  }
  return out;
}

export function counterSum(state: GCounterState): number {
  let sum = 0;
  for (const count of Object.values(state)) sum += count;
  return sum;
}

export const gCounter: Crdt<Increment, GCounterState, number, Increment, number> = {
  name: "G-Counter",
  stateBased: {
    initial: () => ({}),
    update: (state, _update, stamp) => ({
      ...state,
      [stamp.replica]: (state[stamp.replica] ?? 0) + 1,
    }),
    merge: gCounterMerge,
    value: counterSum,
    canonical: sortedEntries,
  },
  opBased: {
    initial: () => 0,
    prepare: (_state, update) => update,
    effect: (state) => state + 1,
    value: (state) => state,
    canonical: (state) => String(state),
    idempotent: false,
    appliedTwice: "counts twice",
    causal: false,
  },
  expected: (history) => history.length,
  expectedText: "the number of increments",
  randomUpdate: () => ({ kind: "increment" }),
  showValue: (value) => String(value),
  showUpdate: () => "increment",
};

export { showVector };
