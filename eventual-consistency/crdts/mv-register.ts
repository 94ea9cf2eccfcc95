/**
 * MV-Register, a multi-value register (Shapiro et al. 2011, Specification 10, "State-based
 * Multi-Value Register"; the register of Amazon's Dynamo shopping cart). DDIA ch. 5, "Merging
 * concurrently written values": instead of discarding concurrent writes, keep them all as
 * siblings and let the reader (or the application) merge them; a write that saw the siblings
 * replaces them. The version vectors of ch. 5, "Version vectors", tell the two cases apart.
 *
 * Payload: a set of (value, version vector) pairs, none of whose vectors is dominated by another.
 * Assigning at replica i takes the merge of every vector in the payload, adds one to entry i, and
 * leaves the new value alone in the payload: it overwrites exactly what its writer saw. Merge keeps
 * every pair that no pair of the other side dominates. The value is the set of values.
 *
 * The context of an assignment is always the writing replica's whole payload, which holds its own
 * last assignment or one whose vector dominates it, so a replica's own entry grows by one at each
 * of its assignments and no two assignments get equal vectors. Assigning from any other context
 * (a client's stale copy, written through the replica) would break that: two writes from the same
 * context would get equal vectors, the bug shared/versions.ts fixed with dotted version vectors
 * (Preguiça et al. 2012). `mvAssign` must be given the replica's own current payload.
 *
 * Operation-based: the assignment travels with its vector, and its effect keeps the maximal
 * vectors of the payload plus the new pair. The payload is then always the set of maximal pairs
 * among every assignment applied, whatever the order and however often: no order and no
 * exactly-once delivery are needed.
 *
 * The API another scenario can use, with no network attached:
 *   let r = mvInitial();                          // no value
 *   r = mvAssign(r, "A", "red");                   // at replica A: overwrites what A has seen
 *   r = mvMerge(r, otherReplica);                  // keeps concurrent values side by side
 *   mvValues(r);                                   // ["blue", "red"]: two concurrent writes
 */

import { type VectorClock, vcCompare, vcIncrement, vcMerge } from "../../shared/clocks.js";
import { type Crdt, happenedBefore, type Recorded, showVector, sortedEntries } from "./crdt.js";

export interface MVEntry {
  readonly value: string;
  readonly vector: VectorClock;
}

export interface MVRegister {
  /** Sorted by value, then vector, so that equal payloads are equal arrays. */
  readonly entries: readonly MVEntry[];
}

export type Assign = { readonly kind: "assign"; readonly value: string };

const entryKey = (e: MVEntry): string => `${e.value}@${sortedEntries(e.vector)}`;

function sorted(entries: MVEntry[]): MVEntry[] {
  return entries
    .map((e) => ({ e, key: entryKey(e) }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .map((x) => x.e);
}

export const mvInitial = (): MVRegister => ({ entries: [] });

/**
 * Every pair of `a` and `b` that no pair of the union dominates (a pair present on both sides is
 * kept once).
 */
export function mvMerge(a: MVRegister, b: MVRegister): MVRegister {
  const all = [...a.entries, ...b.entries];
  const kept: MVEntry[] = [];
  const seen = new Set<string>();
  for (const e of all) {
    const key = entryKey(e);
    if (seen.has(key)) continue;
    if (all.some((other) => vcCompare(e.vector, other.vector) === "before")) continue;
    seen.add(key);
    kept.push(e);
  }
  return { entries: sorted(kept) };
}

/**
 * Apply one assignment to a payload: the same result as `mvMerge(register, { entries: [entry] })`
 * (tested), in one pass. The payload's pairs dominate none of each other, so only the new pair
 * can dominate one of them, or be dominated (or already be there).
 */
export function mvApply(register: MVRegister, entry: MVEntry): MVRegister {
  const key = entryKey(entry);
  const kept: MVEntry[] = [];
  for (const e of register.entries) {
    if (entryKey(e) === key) return register;
    const order = vcCompare(entry.vector, e.vector);
    if (order === "before") return register;
    if (order !== "after") kept.push(e);
  }
  kept.push(entry);
  return { entries: sorted(kept) };
}

/** The vector an assignment at `replica` gets: everything the payload holds, plus one. */
export function mvNextVector(register: MVRegister, replica: string): VectorClock {
  const seen = register.entries.reduce<VectorClock>((v, e) => vcMerge(v, e.vector), {});
  return vcIncrement(seen, replica);
}

/**
 * Assign `value` at `replica`: it replaces every value the replica has seen. `register` must be
 * that replica's own current payload (see above), not a copy a client read earlier.
 */
export const mvAssign = (register: MVRegister, replica: string, value: string): MVRegister => ({
  entries: [{ value, vector: mvNextVector(register, replica) }],
});

/** The register's values: one, or several written concurrently (siblings), or none. */
export const mvValues = (register: MVRegister): string[] => [
  ...new Set(register.entries.map((e) => e.value)),
];

const canonical = (r: MVRegister): string => r.entries.map(entryKey).join(" ");

export const showMVRegister = (r: MVRegister): string =>
  r.entries.length === 0
    ? "{}"
    : `{${r.entries.map((e) => `${JSON.stringify(e.value)} ${showVector(e.vector)}`).join(", ")}}`;

export const mvRegister: Crdt<Assign, MVRegister, MVRegister, MVEntry, string[]> = {
  name: "MV-Register",
  stateBased: {
    initial: mvInitial,
    update: (state, update, stamp) => mvAssign(state, stamp.replica, update.value),
    merge: mvMerge,
    value: mvValues,
    canonical,
  },
  opBased: {
    initial: mvInitial,
    prepare: (state, update, stamp) => ({
      value: update.value,
      vector: mvNextVector(state, stamp.replica),
    }),
    effect: mvApply,
    value: mvValues,
    canonical,
    idempotent: true,
    appliedTwice: "is harmless",
    causal: false,
  },
  // Every value written by an assignment that no other assignment happened after, judged from
  // each assignment's causal past as the run recorded it, not from the vectors in the payloads.
  expected: (history: readonly Recorded<Assign>[]) =>
    [
      ...new Set(
        history
          .filter((r) => !history.some((later) => happenedBefore(r.stamp, later.context)))
          .map((r) => r.update.value),
      ),
    ].sort(),
  expectedText: "the values of the assignments no later assignment saw",
  randomUpdate: (_random, n) => ({ kind: "assign", value: `v${n}` }),
  showValue: (values) => `{${values.map((v) => JSON.stringify(v)).join(", ")}}`,
  showUpdate: (update) => `assign ${JSON.stringify(update.value)}`,
};
