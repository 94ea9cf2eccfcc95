/**
 * OR-Set, the observed-remove set (Shapiro et al. 2011, "Observed-Remove Set (OR-Set)", which
 * specifies it operation-based; the state-based form with tombstones below, added pairs and removed
 * tags merged by union, is the one riak_dt's riak_dt_orset keeps, per element a token marked
 * removed or not, and the one Bieniusa et al. 2012, "An optimized conflict-free replicated set",
 * start from before removing the tombstones). DDIA ch. 5,
 * "Custom conflict resolution logic" (Automatic Conflict Resolution) and "Merging concurrently
 * written values": a shopping cart where a removed item must not come back, and an item added
 * concurrently with a remove must not vanish.
 *
 * Every add of an element gets a unique tag. A remove removes the tags of that element its source
 * has observed, and no others. So an add concurrent with a remove has a tag the remove did not
 * see, and survives it: add wins.
 *
 * State-based payload: the set A of (element, tag) pairs ever added and the set R of tags removed
 * (tombstones); an element is in the set when one of its tags is in A and not in R. Merge is the
 * union of both sets, so a tag removed anywhere stays removed.
 *
 * Operation-based payload: the live (element, tag) pairs only. `add` ships its pair, `remove`
 * ships the tags it observed. A remove must be applied after the adds it observed: applied
 * before one of them, it would remove nothing, and the add arriving later would bring the element
 * back at that replica only. So the OR-Set needs causal delivery. Nor is an add idempotent: a copy
 * of it applied again after the remove that observed it puts its pair back (add, remove, add
 * again: the element is there). So the OR-Set needs exactly-once delivery too, as Shapiro et al.
 * assume for every operation-based type.
 */

import { type Crdt, happenedBefore, type Recorded, tagOf } from "./crdt.js";

export interface Tagged {
  readonly element: string;
  readonly tag: string;
}

export interface ORSetState {
  /** A: every (element, tag) ever added, sorted by tag. */
  readonly added: readonly Tagged[];
  /** R: the tags removed (tombstones), sorted. */
  readonly removed: readonly string[];
}

/** The live (element, tag) pairs, sorted by tag. */
export type ORSetPayload = readonly Tagged[];

export type SetUpdate =
  | { readonly kind: "add"; readonly element: string }
  | { readonly kind: "remove"; readonly element: string };

export type SetOp =
  | { readonly kind: "add"; readonly element: string; readonly tag: string }
  | { readonly kind: "remove"; readonly element: string; readonly tags: readonly string[] };

export const ELEMENTS = ["milk", "eggs", "bread", "flour"] as const;

const byTag = (a: Tagged, b: Tagged): number => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);

function unionTagged(a: readonly Tagged[], b: readonly Tagged[]): Tagged[] {
  const tags = new Set(a.map((t) => t.tag));
  const out = [...a];
  for (const t of b) if (!tags.has(t.tag)) out.push(t);
  return out.sort(byTag);
}

function elementsOf(live: readonly Tagged[]): string[] {
  return [...new Set(live.map((t) => t.element))].sort();
}

function live(state: ORSetState): Tagged[] {
  const removed = new Set(state.removed);
  return state.added.filter((t) => !removed.has(t.tag));
}

export function orSetMerge(a: ORSetState, b: ORSetState): ORSetState {
  return {
    added: unionTagged(a.added, b.added),
    removed: [...new Set([...a.removed, ...b.removed])].sort(),
  };
}

export const showORSetState = (s: ORSetState): string =>
  `A {${s.added.map((t) => `${t.element}#${t.tag}`).join(", ")}} R {${s.removed.join(", ")}}`;

export const showORSetPayload = (p: ORSetPayload): string =>
  `{${p.map((t) => `${t.element}#${t.tag}`).join(", ")}}`;

export const orSet: Crdt<SetUpdate, ORSetState, ORSetPayload, SetOp, string[]> = {
  name: "OR-Set",
  stateBased: {
    initial: () => ({ added: [], removed: [] }),
    update: (state, update, stamp) =>
      update.kind === "add"
        ? {
            ...state,
            added: unionTagged(state.added, [{ element: update.element, tag: tagOf(stamp) }]),
          }
        : {
            ...state,
            removed: [
              ...new Set([
                ...state.removed,
                ...state.added.filter((t) => t.element === update.element).map((t) => t.tag),
              ]),
            ].sort(),
          },
    merge: orSetMerge,
    value: (state) => elementsOf(live(state)),
    canonical: showORSetState,
  },
  opBased: {
    initial: () => [],
    prepare: (state, update, stamp) =>
      update.kind === "add"
        ? { kind: "add", element: update.element, tag: tagOf(stamp) }
        : {
            kind: "remove",
            element: update.element,
            tags: state.filter((t) => t.element === update.element).map((t) => t.tag),
          },
    effect: (state, op) => {
      if (op.kind === "add") return unionTagged(state, [{ element: op.element, tag: op.tag }]);
      const tags = new Set(op.tags);
      return state.filter((t) => !tags.has(t.tag));
    },
    value: elementsOf,
    canonical: showORSetPayload,
    idempotent: false,
    appliedTwice: "a late copy of an add undoes the remove that saw it",
    causal: true,
  },
  // An element is in the set when some add of it was seen by no remove of it, judged from each
  // update's causal past as the run recorded it.
  expected: (history: readonly Recorded<SetUpdate>[]) => {
    const removes = history.filter((r) => r.update.kind === "remove");
    return [
      ...new Set(
        history
          .filter(
            (add) =>
              add.update.kind === "add" &&
              !removes.some(
                (rm) =>
                  rm.update.element === add.update.element && happenedBefore(add.stamp, rm.context),
              ),
          )
          .map((add) => add.update.element),
      ),
    ].sort();
  },
  expectedText: "the elements with an add that no remove of them saw",
  randomUpdate: (random, _n, current) =>
    current.length > 0 && random.chance(0.4)
      ? { kind: "remove", element: random.pick(current) }
      : { kind: "add", element: random.pick(ELEMENTS) },
  showValue: (elements) => `{${elements.join(", ")}}`,
  showUpdate: (update) => `${update.kind} ${update.element}`,
};

export { live as orSetLive };
