/**
 * Measurements the sharding scenarios share: key sets, the owner of every key under a placement,
 * load per node, and which keys a change of membership moved. Owners are computed once per
 * placement and compared as arrays, so a scenario hashes each key once per placement.
 */

import { Random } from "../shared/random.js";
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

/** The keys a scenario places for `seed`: `count` random keys from the seed's "keys" stream. */
export function keysFor(seed: number, count: number): string[] {
  return randomKeys(new Random(seed).fork("keys"), count);
}

/** A placement together with the owner it gives each key, in key order. */
export interface Assignment {
  placement: Placement;
  owners: string[];
}

export function assign(placement: Placement, keys: readonly string[]): Assignment {
  return { placement, owners: keys.map((key) => placement.ownerOf(key)) };
}

/** Keys per node; nodes that own nothing appear with 0. */
export function loadOf({ placement, owners }: Assignment): Map<string, number> {
  const load = new Map(placement.nodes.map((n) => [n, 0]));
  for (const owner of owners) load.set(owner, (load.get(owner) ?? 0) + 1);
  return load;
}

export interface Movement {
  moved: number;
  fraction: number;
  /** Every moved key moved to `changed` (for an addition) or from it (for a removal). */
  onlyInvolvesChanged: boolean;
}

/** Count the keys whose owner differs between two assignments of the same keys. */
export function movement(before: Assignment, after: Assignment, changed: string): Movement {
  let moved = 0;
  let onlyInvolvesChanged = true;
  before.owners.forEach((from, i) => {
    const to = after.owners[i];
    if (from === to) return;
    moved++;
    if (from !== changed && to !== changed) onlyInvolvesChanged = false;
  });
  const total = before.owners.length;
  return { moved, fraction: total === 0 ? 0 : moved / total, onlyInvolvesChanged };
}

/**
 * Every key maps to exactly one node of the placement: the owner is a member, and asking again
 * gives the same answer (a placement is a function of the key and the membership, nothing else).
 */
export function everyKeyHasOneOwner(assignment: Assignment, keys: readonly string[]): boolean {
  const members = new Set(assignment.placement.nodes);
  return keys.every((key, i) => {
    const owner = assignment.owners[i] as string;
    return members.has(owner) && assignment.placement.ownerOf(key) === owner;
  });
}

export function bars(load: Map<string, number>): { label: string; value: number }[] {
  return [...load].map(([label, value]) => ({ label, value }));
}
