/**
 * What the `cap` scenario counts on a store's recorded history, defined from the history alone
 * (never from what the store believes about itself). Times are simulated milliseconds; "before"
 * is real time, as linearizability's order is (DDIA ch. 9, "What Makes a System Linearizable?").
 *
 * - Stale read: a completed read that returned a value already overwritten before the read began:
 *   some write of the key was acknowledged before the read began, and that write itself began
 *   after the write of the value read had been acknowledged (or the read returned nil, the
 *   initial value, after some write had been acknowledged). A linearizable history has none.
 * - Lost write: an acknowledged write whose value is not the key's final value (the newest value
 *   any replica holds once the run has settled), although no acknowledged write of the key, nor
 *   the write of the final value, began after it was acknowledged: nothing that came later
 *   replaced it. A write that loses to one it overlapped in time counts; linearizability allows
 *   that (either may go first), and `laterThanSurvivor` counts apart the ones it forbids, where
 *   the surviving write (or the initial nil) had been acknowledged before the lost one began.
 */

import type { CheckedOp } from "../../shared/check/linearizability.js";
import type { Side } from "./run.js";

const isWrite = (op: CheckedOp) => op.f === "write";
const acknowledged = (op: CheckedOp) => op.outcome === "ok";

export function staleReads(history: readonly CheckedOp[]): CheckedOp[] {
  const writeOf = new Map<string, CheckedOp>();
  const writesByKey = new Map<string, CheckedOp[]>();
  for (const op of history) {
    if (!isWrite(op)) continue;
    writeOf.set(`${op.key}\0${op.input}`, op);
    const list = writesByKey.get(op.key) ?? [];
    list.push(op);
    writesByKey.set(op.key, list);
  }
  return history.filter((read) => {
    if (read.f !== "read" || !acknowledged(read)) return false;
    const source = read.output === null ? undefined : writeOf.get(`${read.key}\0${read.output}`);
    // The initial nil is "acknowledged" before everything.
    const sourceAckedMs = source === undefined ? Number.NEGATIVE_INFINITY : source.returnTime;
    return (writesByKey.get(read.key) ?? []).some(
      (w) => acknowledged(w) && w.returnTime < read.callTime && w.callTime > sourceAckedMs,
    );
  });
}

export interface LostWrites {
  lost: CheckedOp[];
  /** Of `lost`, those that began after the surviving write (or nil) had been acknowledged. */
  laterThanSurvivor: CheckedOp[];
}

export function lostWrites(
  history: readonly CheckedOp[],
  finalValues: ReadonlyMap<string, string | null>,
): LostWrites {
  const lost: CheckedOp[] = [];
  const laterThanSurvivor: CheckedOp[] = [];
  const writes = history.filter(isWrite);
  for (const w of writes) {
    if (!acknowledged(w)) continue;
    const final = finalValues.get(w.key) ?? null;
    if (final === w.input) continue;
    const survivor = writes.find((s) => s.key === w.key && s.input === final);
    const replacedLater = writes.some(
      (x) => x.key === w.key && (acknowledged(x) || x === survivor) && x.callTime > w.returnTime,
    );
    if (replacedLater) continue;
    lost.push(w);
    const survivorAckedMs = survivor === undefined ? Number.NEGATIVE_INFINITY : survivor.returnTime;
    if (survivorAckedMs < w.callTime) laterThanSurvivor.push(w);
  }
  return { lost, laterThanSurvivor };
}

export interface Answered {
  invoked: number;
  answered: number;
}

/** Operations invoked in [fromMs, toMs) by clients on `side`, and how many were answered (ok). */
export function answeredIn(
  history: readonly CheckedOp[],
  sideOf: ReadonlyMap<string, Side>,
  side: Side | "any",
  fromMs: number,
  toMs: number,
): Answered {
  const ops = history.filter(
    (op) =>
      (side === "any" || sideOf.get(op.process) === side) &&
      op.callTime >= fromMs &&
      op.callTime < toMs,
  );
  return { invoked: ops.length, answered: ops.filter(acknowledged).length };
}

/** Latencies of the answered operations, in ms. */
export function latencies(history: readonly CheckedOp[]): number[] {
  return history.filter(acknowledged).map((op) => op.returnTime - op.callTime);
}

/**
 * The multi-value store's stale reads: a read returns a set of siblings (none: nil), which the
 * definition above extends to as follows. A completed read is stale when it missed a write of the
 * key that was acknowledged before the read began and had itself begun after every value the read
 * returned had been acknowledged (for a read of nil, after any write at all): in real time, that
 * write came after everything the read saw. A single sibling makes this the definition above.
 */
export function staleSiblingReads(
  history: readonly CheckedOp[],
  siblingsRead: ReadonlyMap<number, readonly string[]>,
): CheckedOp[] {
  const writeOf = new Map<string, CheckedOp>();
  for (const op of history) if (isWrite(op)) writeOf.set(`${op.key}\0${op.input}`, op);
  return history.filter((read) => {
    if (read.f !== "read" || !acknowledged(read)) return false;
    const siblings = siblingsRead.get(read.id) ?? [];
    const lastAckedMs = Math.max(
      Number.NEGATIVE_INFINITY,
      ...siblings.map(
        (v) => writeOf.get(`${read.key}\0${v}`)?.returnTime ?? Number.POSITIVE_INFINITY,
      ),
    );
    return history.some(
      (w) =>
        isWrite(w) &&
        w.key === read.key &&
        acknowledged(w) &&
        !siblings.includes(w.input as string) &&
        w.returnTime < read.callTime &&
        w.callTime > lastAckedMs,
    );
  });
}

/**
 * The multi-value store's lost writes: acknowledged writes whose value is neither among the key's
 * final siblings nor among the siblings some write of the key superseded (the values its replica
 * held when it took that write, which the write's version vector dominates). A multi-value
 * register loses no write it has not been shown: a correct store has none, at every seed.
 * (A value that was superseded by a write its own client never read is not counted: what the
 * replica held is what a multi-value register's assignment overwrites.)
 */
export function unaccountedWrites(
  history: readonly CheckedOp[],
  finalSiblings: ReadonlyMap<string, readonly string[]>,
  superseded: ReadonlyMap<string, readonly string[]>,
): CheckedOp[] {
  const seen = new Set<string>();
  for (const [write, values] of superseded) {
    const key = write.slice(0, write.indexOf("\0"));
    for (const v of values) seen.add(`${key}\0${v}`);
  }
  return history.filter(
    (w) =>
      isWrite(w) &&
      acknowledged(w) &&
      !(finalSiblings.get(w.key) ?? []).includes(w.input as string) &&
      !seen.has(`${w.key}\0${w.input}`),
  );
}
