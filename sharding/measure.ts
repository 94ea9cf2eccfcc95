/** Measurements the sharding scenarios share: key sets, load per node, keys moved by a change. */

import type { Random } from "../shared/random.js";
import type { Placement } from "./placement.js";

/** `node-1` … `node-n`. */
export function nodeNames(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, i) => `node-${first + i}`);
}

/** `count` distinct random keys such as `user:3kx9q1`, drawn from the given stream. */
export function randomKeys(random: Random, count: number, prefix = "user:"): string[] {
  const keys = new Set<string>();
  while (keys.size < count) keys.add(`${prefix}${random.nextUint32().toString(36)}`);
  return [...keys];
}

/** Keys per node; nodes that own nothing appear with 0. */
export function loadByNode(placement: Placement, keys: readonly string[]): Map<string, number> {
  const load = new Map(placement.nodes.map((n) => [n, 0]));
  for (const key of keys) {
    const owner = placement.ownerOf(key);
    load.set(owner, (load.get(owner) ?? 0) + 1);
  }
  return load;
}

export interface Movement {
  moved: number;
  fraction: number;
  /** Every moved key moved to `changed` (for an addition) or from it (for a removal). */
  onlyInvolvesChanged: boolean;
}

/** Count the keys whose owner differs between two placements. */
export function movement(
  before: Placement,
  after: Placement,
  keys: readonly string[],
  changed: string,
): Movement {
  let moved = 0;
  let onlyInvolvesChanged = true;
  for (const key of keys) {
    const from = before.ownerOf(key);
    const to = after.ownerOf(key);
    if (from === to) continue;
    moved++;
    if (from !== changed && to !== changed) onlyInvolvesChanged = false;
  }
  return { moved, fraction: keys.length === 0 ? 0 : moved / keys.length, onlyInvolvesChanged };
}

/** Every key maps to exactly one node, and that node is a member of the placement. */
export function everyKeyHasOneOwner(placement: Placement, keys: readonly string[]): boolean {
  const members = new Set(placement.nodes);
  return keys.every((key) => {
    const owner = placement.ownerOf(key);
    return members.has(owner) && placement.ownerOf(key) === owner;
  });
}

export function bars(load: Map<string, number>): { label: string; value: number }[] {
  return [...load].map(([label, value]) => ({ label, value }));
}
