/**
 * Multi-leader replication topologies (DDIA ch. 5, "Multi-leader replication topologies",
 * figures 5-8 and 5-9). Three leaders; leader 1 inserts a row, leader 3 updates it as soon as it
 * has seen the insert. The topology decides which way each write travels:
 * - circular: each leader forwards what it receives to the next one in the ring;
 * - star: leaves send to the root, which forwards to every other leaf;
 * - all-to-all: every leader sends its writes straight to every other.
 * With all-to-all, the update can overtake the insert on a faster link (figure 5-9), and a leader
 * that applies writes as they come finds nothing to update. Attaching a version vector to each
 * write, and holding back a write until everything it depends on has been applied, fixes it.
 *
 * A step model: deliveries run in time order over links with fixed delays.
 */

import { type VectorClock, vcIncrement } from "../shared/clocks.js";

export type Topology = "circular" | "star" | "all-to-all";

interface Write {
  id: string;
  origin: string;
  op: "insert" | "update";
  row: string;
  value: string;
  clock: VectorClock;
}

export interface TopologyRun {
  /** Final row value at each leader (undefined: no row). */
  rows: Map<string, string | undefined>;
  /** Updates that reached a leader before their row existed and were dropped. */
  droppedUpdates: string[];
  /** Writes a leader held back until their dependencies arrived (version vectors only). */
  heldBack: number;
}

const LEADERS = ["leader-1", "leader-2", "leader-3"];

/** Link delays in ms: leader-1 → leader-2 is slow, the others fast (the situation of figure 5-9). */
function delay(from: string, to: string): number {
  return from === "leader-1" && to === "leader-2" ? 100 : 10;
}

/** Where a leader sends a write that it originated or received, in each topology. */
function nextHops(topology: Topology, at: string, write: Write, seenBy: Set<string>): string[] {
  const others = LEADERS.filter((l) => l !== at && !seenBy.has(l));
  if (topology === "all-to-all") return at === write.origin ? others : [];
  if (topology === "circular") {
    const next = LEADERS[(LEADERS.indexOf(at) + 1) % LEADERS.length] as string;
    return seenBy.has(next) ? [] : [next];
  }
  // Star: leader-2 is the root.
  if (at === "leader-2") return others;
  return at === write.origin ? ["leader-2"].filter((l) => !seenBy.has(l)) : [];
}

export function runTopology(topology: Topology, versionVectors: boolean): TopologyRun {
  const rows = new Map<string, string | undefined>(LEADERS.map((l) => [l, undefined]));
  const applied = new Map<string, VectorClock>(LEADERS.map((l) => [l, {}]));
  const pending = new Map<string, { write: Write; seenBy: Set<string> }[]>(
    LEADERS.map((l) => [l, []]),
  );
  const droppedUpdates: string[] = [];
  let heldBack = 0;
  const events: { atMs: number; seq: number; to: string; write: Write; seenBy: Set<string> }[] = [];
  let seq = 0;

  const canApply = (at: string, write: Write) => {
    // Causal delivery: everything the writer had applied, other than this write itself, is applied here.
    const mine = applied.get(at) ?? {};
    return Object.entries(write.clock).every(
      ([node, count]) => (node === write.origin ? count - 1 : count) <= (mine[node] ?? 0),
    );
  };
  const apply = (at: string, write: Write) => {
    if (write.op === "insert") rows.set(at, write.value);
    else if (rows.get(at) === undefined)
      droppedUpdates.push(`${at} got ${write.id} before the row existed`);
    else rows.set(at, write.value);
    applied.set(at, {
      ...(applied.get(at) ?? {}),
      [write.origin]: Math.max(
        applied.get(at)?.[write.origin] ?? 0,
        write.clock[write.origin] ?? 0,
      ),
    });
  };
  const forward = (at: string, write: Write, seenBy: Set<string>, nowMs: number) => {
    const seen = new Set([...seenBy, at]);
    for (const to of nextHops(topology, at, write, seen))
      events.push({ atMs: nowMs + delay(at, to), seq: seq++, to, write, seenBy: seen });
  };
  const receive = (at: string, write: Write, seenBy: Set<string>, nowMs: number) => {
    if (versionVectors && !canApply(at, write)) {
      heldBack++;
      pending.get(at)?.push({ write, seenBy });
      return;
    }
    apply(at, write);
    forward(at, write, seenBy, nowMs);
    // A write that arrived early may be applicable now.
    for (let progress = true; progress; ) {
      progress = false;
      const waiting = pending.get(at) ?? [];
      const ready = waiting.findIndex((p) => canApply(at, p.write));
      if (ready >= 0) {
        const [p] = waiting.splice(ready, 1);
        if (p !== undefined) {
          apply(at, p.write);
          forward(at, p.write, p.seenBy, nowMs);
          progress = true;
        }
      }
    }
    // Leader 3 updates the row as soon as it has it.
    if (at === "leader-3" && write.op === "insert") {
      const update: Write = {
        id: "update",
        origin: "leader-3",
        op: "update",
        row: "r",
        value: "updated",
        clock: vcIncrement(applied.get(at) ?? {}, "leader-3"),
      };
      apply(at, update);
      forward(at, update, new Set(), nowMs);
    }
  };

  const insert: Write = {
    id: "insert",
    origin: "leader-1",
    op: "insert",
    row: "r",
    value: "inserted",
    clock: { "leader-1": 1 },
  };
  apply("leader-1", insert);
  forward("leader-1", insert, new Set(), 0);
  while (events.length > 0) {
    events.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    const e = events.shift();
    if (e !== undefined && !e.seenBy.has(e.to)) receive(e.to, e.write, e.seenBy, e.atMs);
  }
  return { rows, droppedUpdates, heldBack };
}
