/**
 * PN-Counter, a counter that goes up and down (Shapiro et al. 2011, Specification 7, "State-based
 * PN-Counter"; section 3.1.1, "Op-based counter", for the operation-based one).
 *
 * State-based payload: two G-Counters, P for increments and N for decrements; the value is
 * sum(P) − sum(N), and merge merges each. (One vector of signed counts merged by maximum would
 * be wrong: a decrement lowers an entry, and the maximum would forget it.)
 *
 * Operation-based payload: one integer; `increment` adds one and `decrement` subtracts one. They
 * commute, so no order is needed, but neither is idempotent: exactly once at every replica.
 */

import { type Crdt, showVector, sortedEntries } from "./crdt.js";
import { counterSum, type GCounterState, gCounterMerge } from "./g-counter.js";

export interface PNCounterState {
  readonly p: GCounterState;
  readonly n: GCounterState;
}

export type CounterUpdate = { readonly kind: "increment" } | { readonly kind: "decrement" };

export function pnCounterMerge(a: PNCounterState, b: PNCounterState): PNCounterState {
  return { p: gCounterMerge(a.p, b.p), n: gCounterMerge(a.n, b.n) };
}

export const showPNCounter = (state: PNCounterState): string =>
  `P ${showVector(state.p)} N ${showVector(state.n)}`;

export const pnCounter: Crdt<CounterUpdate, PNCounterState, number, CounterUpdate, number> = {
  name: "PN-Counter",
  stateBased: {
    initial: () => ({ p: {}, n: {} }),
    update: (state, update, stamp) => {
      const side = update.kind === "increment" ? "p" : "n";
      const counts = state[side];
      return { ...state, [side]: { ...counts, [stamp.replica]: (counts[stamp.replica] ?? 0) + 1 } };
    },
    merge: pnCounterMerge,
    value: (state) => counterSum(state.p) - counterSum(state.n),
    canonical: (state) => `P ${sortedEntries(state.p)} N ${sortedEntries(state.n)}`,
  },
  opBased: {
    initial: () => 0,
    prepare: (_state, update) => update,
    effect: (state, op) => state + (op.kind === "increment" ? 1 : -1),
    value: (state) => state,
    canonical: (state) => String(state),
    idempotent: false,
    appliedTwice: "counts twice",
    causal: false,
  },
  expected: (history) =>
    history.reduce((sum, r) => sum + (r.update.kind === "increment" ? 1 : -1), 0),
  expectedText: "the increments minus the decrements",
  randomUpdate: (random) => ({ kind: random.chance(0.5) ? "increment" : "decrement" }),
  showValue: (value) => String(value),
  showUpdate: (update) => update.kind,
};
