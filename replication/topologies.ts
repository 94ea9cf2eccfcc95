/**
 * Multi-leader replication topologies (DDIA ch. 5, "Multi-Leader Replication Topologies",
 * figures 5-8 and 5-9). Three leaders; leader 1 inserts a row, leader 3 updates it as soon as it
 * has seen the insert. The topology decides which way each write travels:
 * - circular: each leader forwards what it receives to the next one in the ring;
 * - star: leaves send to the root, which forwards to every other leaf;
 * - all-to-all: every leader sends its writes straight to every other.
 * With all-to-all, the update can overtake the insert on a faster link (figure 5-9), and a leader
 * that applies writes as they come finds nothing to update. Attaching a version vector to each
 * write, and holding back a write until everything it depends on has been applied, fixes it.
 *
 * The leaders are nodes on the simulated network, with a fixed delay on each link, so
 * `--verbose` shows every forwarded write and the overtaking itself.
 */

import { type VectorClock, vcIncrement } from "../shared/clocks.js";
import { Network } from "../shared/network.js";
import { SimNode } from "../shared/node.js";
import { Simulation } from "../shared/simulation.js";
import type { Trace } from "../shared/trace.js";

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

export interface TopologyMessage {
  readonly type: "Replicate";
  readonly write: Write;
  /** Leaders that already have the write: it is not sent back to them. */
  readonly seenBy: readonly string[];
}

interface LeaderState {
  row: string | undefined;
  /** Per origin, how many of its writes this leader has applied. */
  applied: VectorClock;
  /** Writes that arrived before something they depend on (version vectors only). */
  pending: { write: Write; seenBy: readonly string[] }[];
}

class TopologyLeader extends SimNode<TopologyMessage, LeaderState, null> {
  constructor(
    id: string,
    net: Network<TopologyMessage>,
    private readonly topology: Topology,
    private readonly versionVectors: boolean,
    private readonly outcome: Pick<TopologyRun, "droppedUpdates"> & { heldBack: number },
  ) {
    super(id, net, { row: undefined, applied: {}, pending: [] });
  }

  protected initialVolatile(): null {
    return null;
  }

  get row(): string | undefined {
    return this.durable.row;
  }

  /** A write made here: apply it and send it on. */
  originate(write: Write): void {
    this.apply(write);
    this.forward(write, []);
  }

  onMessage(_from: string, msg: TopologyMessage): void {
    const { write, seenBy } = msg;
    if (seenBy.includes(this.id)) return;
    if (this.versionVectors && !this.canApply(write)) {
      this.outcome.heldBack++;
      this.durable.pending.push({ write, seenBy });
      this.note(
        `holds back the ${write.id} from ${write.origin}: its version vector shows a write not yet applied here`,
      );
      return;
    }
    this.apply(write);
    this.forward(write, seenBy);
    // A write that arrived early may be applicable now.
    for (let ready = this.nextReady(); ready >= 0; ready = this.nextReady()) {
      const [p] = this.durable.pending.splice(ready, 1);
      if (p === undefined) break;
      this.note(`applies the ${p.write.id} it held back, now that its dependency is here`);
      this.apply(p.write);
      this.forward(p.write, p.seenBy);
    }
    // Leader 3 updates the row as soon as it has it.
    if (this.id === "leader-3" && write.op === "insert") {
      this.originate({
        id: "update",
        origin: "leader-3",
        op: "update",
        row: "r",
        value: "updated",
        clock: vcIncrement(this.durable.applied, "leader-3"),
      });
    }
  }

  private nextReady(): number {
    return this.durable.pending.findIndex((p) => this.canApply(p.write));
  }

  /** Causal delivery: everything the writer had applied, other than this write itself, is applied here. */
  private canApply(write: Write): boolean {
    const mine = this.durable.applied;
    return Object.entries(write.clock).every(
      ([node, count]) => (node === write.origin ? count - 1 : count) <= (mine[node] ?? 0),
    );
  }

  private apply(write: Write): void {
    if (write.op === "insert") this.durable.row = write.value;
    else if (this.durable.row === undefined) {
      this.outcome.droppedUpdates.push(`${this.id} got ${write.id} before the row existed`);
      this.note(`drops the ${write.id} from ${write.origin}: it has no row to update yet`);
    } else this.durable.row = write.value;
    this.durable.applied = {
      ...this.durable.applied,
      [write.origin]: Math.max(
        this.durable.applied[write.origin] ?? 0,
        write.clock[write.origin] ?? 0,
      ),
    };
  }

  private forward(write: Write, seenBy: readonly string[]): void {
    const seen = new Set([...seenBy, this.id]);
    for (const to of nextHops(this.topology, this.id, write, seen))
      this.send(to, { type: "Replicate", write, seenBy: [...seen] });
  }
}

/** leader-1 inserts the row at time 0; the simulation runs until every write has travelled. */
export function runTopology(
  trace: Trace,
  topology: Topology,
  versionVectors: boolean,
): TopologyRun {
  const sim = new Simulation({ seed: 1, trace });
  const net = new Network<TopologyMessage>(sim);
  for (const from of LEADERS)
    for (const to of LEADERS)
      if (from !== to)
        net.setLink(from, to, { latencyMsMin: delay(from, to), latencyMsMax: delay(from, to) });
  const outcome = { droppedUpdates: [] as string[], heldBack: 0 };
  const leaders = LEADERS.map((id) =>
    net.add(new TopologyLeader(id, net, topology, versionVectors, outcome)),
  );
  (leaders[0] as TopologyLeader).originate({
    id: "insert",
    origin: "leader-1",
    op: "insert",
    row: "r",
    value: "inserted",
    clock: { "leader-1": 1 },
  });
  sim.run();
  return { rows: new Map(leaders.map((l) => [l.id, l.row])), ...outcome };
}
