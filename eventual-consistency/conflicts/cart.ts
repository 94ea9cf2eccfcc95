/**
 * The shopping cart of DDIA ch. 5 ("Merging concurrently written values"): when version vectors
 * leave several siblings, the application merges them. Taking the union of the siblings' items is
 * right for additions and wrong for removals: an item removed in one sibling is still present in a
 * concurrent one, and the union brings it back. The book's fix is a tombstone: the removal leaves
 * a marker, and the merge subtracts every marked item.
 *
 * Here every item is added at most once (each has a unique name), so a tombstone never has to be
 * lifted; adding an item again after its removal needs more than a plain marker (the OR-Set of
 * the crdts scenario tags each addition).
 */

export type CartMerge = "union" | "tombstones";

/** One sibling's value: the items in the cart, and the items this cart's history removed. */
export interface CartValue {
  /** The write that produced this value: the observer uses it to judge who saw what. */
  readonly writeId: string;
  readonly items: readonly string[];
  /** Tombstones; always empty under the naive union merge. */
  readonly removed: readonly string[];
}

export interface Cart {
  items: string[];
  removed: string[];
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** The application's merge of siblings into one cart. */
export function mergeCart(siblings: readonly CartValue[], merge: CartMerge): Cart {
  // One sibling is already a cart (sorted, unique, its tombstones applied): nothing to merge.
  const [only] = siblings;
  if (siblings.length === 1 && only !== undefined)
    return { items: [...only.items], removed: merge === "tombstones" ? [...only.removed] : [] };
  const removed = merge === "tombstones" ? sorted(siblings.flatMap((s) => s.removed)) : [];
  const gone = new Set(removed);
  return {
    items: sorted(siblings.flatMap((s) => s.items)).filter((item) => !gone.has(item)),
    removed,
  };
}

/** The cart after adding or removing one item. */
export function applyChange(cart: Cart, change: CartChange, merge: CartMerge): Cart {
  if (change.kind === "add")
    return { items: sorted([...cart.items, change.item]), removed: cart.removed };
  return {
    items: cart.items.filter((i) => i !== change.item),
    removed: merge === "tombstones" ? sorted([...cart.removed, change.item]) : cart.removed,
  };
}

export type CartChange = { kind: "add"; item: string } | { kind: "remove"; item: string };

export const showCart = (items: readonly string[]): string => `[${items.join(", ")}]`;

/** A cart as the trace shows it: its items, then its tombstones if it has any. */
export const showValue = (cart: {
  items: readonly string[];
  removed: readonly string[];
}): string =>
  cart.removed.length === 0
    ? showCart(cart.items)
    : `${showCart(cart.items)} with tombstones ${showCart(cart.removed)}`;
