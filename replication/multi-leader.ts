/**
 * Multi-leader replication (DDIA ch. 5, "Multi-Leader Replication", "Handling Write Conflicts"):
 * two datacenters each accept writes at their own leader and replicate them asynchronously to the
 * other. A write to the same key in both datacenters before either has seen the other's is a
 * conflict, resolved on arrival by the configured strategy:
 * - last write wins: the write with the later timestamp (node clock, then node id) survives, and
 *   the other is silently discarded;
 * - siblings: each value carries a version vector; concurrent values are all kept for the
 *   application to resolve;
 * - merge: concurrent values are combined by a function, here the book's "order them
 *   alphabetically and concatenate" (figure 5-7's title becomes "B/C"). The siblings are kept
 *   underneath and merged when read, so the merge never loses track of what superseded what.
 *
 * This is a step model: events (local writes and replication arrivals) run in time order.
 */

import { type VectorClock, vcCompare, vcIncrement, vcMerge } from "../shared/clocks.js";
import type { Random } from "../shared/random.js";

export type Resolution = "lww" | "siblings" | "merge";

export interface StoredValue {
  value: string;
  timestamp: number;
  origin: string;
  clock: VectorClock;
}

export interface LeaderWrite {
  id: string;
  leader: string;
  key: string;
  value: string;
  atMs: number;
}

export class MultiLeader {
  readonly store = new Map<string, StoredValue[]>();

  constructor(
    readonly id: string,
    readonly resolution: Resolution,
    /** This leader's clock offset: last-write-wins trusts it. */
    readonly clockOffsetMs: number,
  ) {}

  /** A local write: it supersedes every value this leader currently holds for the key. */
  write(key: string, value: string, nowMs: number): StoredValue {
    const current = this.store.get(key) ?? [];
    const context = current.reduce<VectorClock>((c, v) => vcMerge(c, v.clock), {});
    const stored = {
      value,
      timestamp: nowMs + this.clockOffsetMs,
      origin: this.id,
      clock: vcIncrement(context, this.id),
    };
    this.store.set(key, [stored]);
    return stored;
  }

  /** A replicated write from the other leader arrives. */
  receive(key: string, incoming: StoredValue): void {
    const current = this.store.get(key) ?? [];
    if (
      current.some(
        (v) =>
          vcCompare(incoming.clock, v.clock) !== "concurrent" &&
          vcCompare(incoming.clock, v.clock) !== "after",
      )
    )
      return;
    const survivors = current.filter((v) => vcCompare(v.clock, incoming.clock) === "concurrent");
    if (survivors.length === 0 || this.resolution !== "lww") {
      this.store.set(key, [...survivors, incoming]);
      return;
    }
    const all = [...survivors, incoming];
    const clock = all.reduce<VectorClock>((c, v) => vcMerge(c, v.clock), {});
    const winner = all.reduce((a, b) =>
      b.timestamp > a.timestamp || (b.timestamp === a.timestamp && b.origin > a.origin) ? b : a,
    );
    this.store.set(key, [{ ...winner, clock }]);
  }

  /** What a reader sees: the value, the siblings, or the siblings merged. */
  read(key: string): string[] {
    const values = (this.store.get(key) ?? []).map((v) => v.value).sort();
    return this.resolution === "merge" && values.length > 1 ? [values.join("/")] : values;
  }
}

export interface MultiLeaderRun {
  leaders: MultiLeader[];
  writes: LeaderWrite[];
  /** Writes whose value is nowhere in the final state and was not knowingly overwritten by a later write. */
  silentlyLost: LeaderWrite[];
  converged: boolean;
  conflicts: number;
}

/** Two leaders, writes to a few keys from both sides, replication delayed by `wanMs` (± jitter). */
export function runMultiLeader(
  random: Random,
  resolution: Resolution,
  writes: LeaderWrite[],
  wanMs: number,
): MultiLeaderRun {
  const leaders = [new MultiLeader("dc1", resolution, 0), new MultiLeader("dc2", resolution, 15)];
  const byId = new Map(leaders.map((l) => [l.id, l]));
  type Event = { atMs: number; seq: number; run: () => void };
  const events: Event[] = [];
  let seq = 0;
  const writtenClock = new Map<string, VectorClock>();
  let conflicts = 0;
  for (const w of writes) {
    events.push({
      atMs: w.atMs,
      seq: seq++,
      run: () => {
        const leader = byId.get(w.leader) as MultiLeader;
        const stored = leader.write(w.key, w.value, w.atMs);
        writtenClock.set(w.id, stored.clock);
        const other = leaders.find((l) => l !== leader) as MultiLeader;
        events.push({
          atMs: w.atMs + wanMs + random.uniform(0, wanMs),
          seq: seq++,
          run: () => {
            if (
              (other.store.get(w.key) ?? []).some(
                (v) => vcCompare(v.clock, stored.clock) === "concurrent",
              )
            )
              conflicts++;
            other.receive(w.key, stored);
          },
        });
      },
    });
  }
  while (events.length > 0) {
    events.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    (events.shift() as Event).run();
  }
  const final = leaders[0] as MultiLeader;
  const silentlyLost = writes.filter((w) => {
    const clock = writtenClock.get(w.id) ?? {};
    // Knowingly superseded: a later write to the key was made by someone who had seen this one.
    const superseded = writes.some(
      (later) =>
        later.key === w.key && vcCompare(clock, writtenClock.get(later.id) ?? {}) === "before",
    );
    const present = (final.store.get(w.key) ?? []).some((v) => v.value === w.value);
    return !present && !superseded;
  });
  const snapshot = (l: MultiLeader) =>
    JSON.stringify([...l.store.keys()].sort().map((k) => [k, l.read(k)]));
  return {
    leaders,
    writes,
    silentlyLost,
    converged: snapshot(leaders[0] as MultiLeader) === snapshot(leaders[1] as MultiLeader),
    conflicts,
  };
}
