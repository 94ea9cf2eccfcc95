/**
 * Checks for versioned registers: every write of a key carries a version, and versions of one
 * key increase in real-time order (one writer per key, writing sequentially; the rebalance
 * workload is built that way). Under that assumption two properties can be decided exactly and
 * cheaply from the history:
 *
 * - Durability, "no acknowledged write is lost": at the end, each key holds the version of its
 *   last acknowledged write or a later one.
 * - Reads see the latest acknowledged write: a read returns at least the version of the last
 *   write acknowledged before the read began, and never a version no write had yet attempted.
 *   (For registers this is the recency half of linearizability, DDIA ch. 9, "Linearizability".)
 */

import type { Operation } from "../history.js";

/** A write writes `version`; a read returns `version` (0: the key was absent). */
export interface Versioned {
  version: number;
}

export interface LostWrite {
  key: string;
  version: number;
  ackedAtMs: number;
  finalVersion: number;
}

/**
 * `finalVersionOf` returns the version each key holds at the end, or undefined where it is not
 * known (a final read that failed): such keys are not judged here.
 */
export function lostWrites(
  ops: readonly Operation<Versioned>[],
  finalVersionOf: (key: string) => number | undefined,
): LostWrite[] {
  const lastAcked = new Map<string, Operation<Versioned>>();
  for (const op of ops) {
    if (op.f !== "write" || op.outcome !== "ok") continue;
    const seen = lastAcked.get(op.key);
    if (seen === undefined || op.input.version > seen.input.version) lastAcked.set(op.key, op);
  }
  const lost: LostWrite[] = [];
  for (const [key, op] of lastAcked) {
    const finalVersion = finalVersionOf(key);
    if (finalVersion !== undefined && finalVersion < op.input.version) {
      lost.push({ key, version: op.input.version, ackedAtMs: op.completeTime ?? 0, finalVersion });
    }
  }
  return lost.sort((a, b) => a.ackedAtMs - b.ackedAtMs);
}

export interface BadRead {
  key: string;
  process: string;
  invokeTimeMs: number;
  got: number;
  /** The read should have returned a version in [atLeast, atMost]. */
  atLeast: number;
  atMost: number;
}

export function badReads(ops: readonly Operation<Versioned>[]): BadRead[] {
  const writesByKey = new Map<string, Operation<Versioned>[]>();
  for (const op of ops) {
    if (op.f !== "write") continue;
    const list = writesByKey.get(op.key) ?? [];
    list.push(op);
    writesByKey.set(op.key, list);
  }
  const bad: BadRead[] = [];
  for (const read of ops) {
    if (read.f !== "read" || read.outcome !== "ok" || read.output === undefined) continue;
    let atLeast = 0;
    let atMost = 0;
    for (const write of writesByKey.get(read.key) ?? []) {
      if (write.outcome === "ok" && (write.completeTime ?? 0) < read.invokeTime) {
        atLeast = Math.max(atLeast, write.input.version);
      }
      if (
        write.outcome !== "fail" &&
        write.invokeTime < (read.completeTime ?? Number.POSITIVE_INFINITY)
      ) {
        atMost = Math.max(atMost, write.input.version);
      }
    }
    const got = read.output.version;
    if (got < atLeast || got > atMost) {
      bad.push({
        key: read.key,
        process: read.process,
        invokeTimeMs: read.invokeTime,
        got,
        atLeast,
        atMost,
      });
    }
  }
  return bad;
}
