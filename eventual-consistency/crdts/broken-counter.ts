/**
 * A deliberately broken counter: a G-Counter whose merge adds the two payloads' entries instead
 * of taking their maximum. It is what a first attempt at "combine the counts" looks like, and it is
 * not a CRDT: merge(s, s) = 2s, so merge is not idempotent. Every payload that arrives twice (a
 * duplicated message, or a payload sent back to where it came from) counts its increments again,
 * and replicas that gossip keep inflating each other. The convergence check catches it: the
 * replicas end apart, or equal at a value no sequence of the updates gives.
 *
 * Only its merge is wrong; its updates, value and operation-based half are the G-Counter's, and
 * the scenario runs it state-based only.
 */

import type { Crdt } from "./crdt.js";
import { type GCounterState, gCounter, type Increment } from "./g-counter.js";

/** BROKEN: entry-wise sum. Commutative and associative, but not idempotent. */
export function addingMerge(a: GCounterState, b: GCounterState): GCounterState {
  const out: Record<string, number> = { ...a };
  for (const [replica, count] of Object.entries(b)) out[replica] = (out[replica] ?? 0) + count;
  return out;
}

export const brokenCounter: Crdt<Increment, GCounterState, number, Increment, number> = {
  ...gCounter,
  name: "broken counter (merge adds)",
  stateBased: { ...gCounter.stateBased, merge: addingMerge },
  // Its values outgrow exact integers within seconds of gossip: three significant digits then.
  showValue: (value) => (Number.isSafeInteger(value) ? String(value) : value.toPrecision(3)),
};
