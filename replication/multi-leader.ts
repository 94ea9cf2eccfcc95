/**
 * Multi-leader replication (DDIA ch. 5, "Multi-Leader Replication", "Handling Write Conflicts"):
 * two datacenters each accept writes at their own leader and replicate them asynchronously to the
 * other over a WAN link. A write to the same key in both datacenters before either has seen the
 * other's is a conflict, resolved on arrival by the configured strategy:
 * - last write wins: the write with the later timestamp (the leader's own clock, then its id)
 *   survives, and the other is silently discarded;
 * - siblings: each value carries a version vector; concurrent values are all kept for the
 *   application to resolve;
 * - merge: concurrent values are combined by a function, here the book's "order them
 *   alphabetically and concatenate" (figure 5-7's title becomes "B/C"). The siblings are kept
 *   underneath and merged when read, so the merge never loses track of what superseded what.
 *
 * Replication is a log per leader: each local write gets the next sequence number and is sent to
 * the other leader at once; on every heartbeat, a leader sends again whatever the other has not
 * acknowledged. A leader applies the other's entries in sequence order, each once, so a lost or
 * duplicated message only delays replication, and a partition between the datacenters only
 * postpones it: both keep accepting writes meanwhile, and the conflicts wait for the link.
 *
 * Durable: the store, the leader's own log, and how far it has applied the other's. Volatile:
 * how far the other has acknowledged this leader's log.
 */

import { type VectorClock, vcCompare, vcIncrement, vcMerge } from "../shared/clocks.js";
import type { Network } from "../shared/network.js";
import { SimNode } from "../shared/node.js";

export type Resolution = "lww" | "siblings" | "merge";

export interface StoredValue {
  value: string;
  timestamp: number;
  origin: string;
  clock: VectorClock;
}

export interface LogEntry {
  seq: number;
  key: string;
  stored: StoredValue;
}

export type MultiLeaderMessage =
  | { readonly type: "Replicate"; readonly entries: readonly LogEntry[] }
  | { readonly type: "ReplicateAck"; readonly upTo: number };

interface Durable {
  store: Map<string, StoredValue[]>;
  log: LogEntry[];
  /** Per peer: the highest sequence number of its log applied here (all before it too). */
  applied: Map<string, number>;
}

export interface MultiLeaderConfig {
  peers: string[];
  resolution: Resolution;
  heartbeatMs: number;
}

export class MultiLeader extends SimNode<MultiLeaderMessage, Durable, Map<string, number>> {
  /** Replicated values that arrived concurrent with a value held here (a statistic, not state). */
  conflicts = 0;

  constructor(
    id: string,
    net: Network<MultiLeaderMessage>,
    readonly config: MultiLeaderConfig,
  ) {
    super(id, net, { store: new Map(), log: [], applied: new Map() });
  }

  /** Volatile: per peer, how far it has acknowledged this leader's log. */
  protected initialVolatile(): Map<string, number> {
    return new Map();
  }

  protected override onStart(): void {
    this.setTimer("heartbeat", this.config.heartbeatMs);
  }

  protected override onRecover(): void {
    this.setTimer("heartbeat", 0);
  }

  override onTimer(): void {
    for (const peer of this.config.peers) this.resend(peer);
    this.setTimer("heartbeat", this.config.heartbeatMs);
  }

  /** Whether every peer has acknowledged this leader's whole log. */
  get replicated(): boolean {
    return this.config.peers.every((p) => (this.volatile.get(p) ?? 0) >= this.durable.log.length);
  }

  /** A local write: it supersedes every value this leader holds for the key. */
  write(key: string, value: string): StoredValue {
    const current = this.durable.store.get(key) ?? [];
    const context = current.reduce<VectorClock>((c, v) => vcMerge(c, v.clock), {});
    const stored = {
      value,
      timestamp: this.now(),
      origin: this.id,
      clock: vcIncrement(context, this.id),
    };
    this.durable.store.set(key, [stored]);
    const entry = { seq: this.durable.log.length + 1, key, stored };
    this.durable.log.push(entry);
    for (const peer of this.config.peers) this.send(peer, { type: "Replicate", entries: [entry] });
    return stored;
  }

  /** What a reader sees: the value, the siblings, or the siblings merged. */
  read(key: string): string[] {
    const values = (this.durable.store.get(key) ?? []).map((v) => v.value).sort();
    return this.config.resolution === "merge" && values.length > 1 ? [values.join("/")] : values;
  }

  /** Every key with what a reader sees, in key order: equal snapshots mean the leaders agree. */
  snapshot(): string {
    return JSON.stringify([...this.durable.store.keys()].sort().map((k) => [k, this.read(k)]));
  }

  values(key: string): readonly StoredValue[] {
    return this.durable.store.get(key) ?? [];
  }

  onMessage(from: string, msg: MultiLeaderMessage): void {
    if (msg.type === "ReplicateAck") {
      if (msg.upTo > (this.volatile.get(from) ?? 0)) this.volatile.set(from, msg.upTo);
      return;
    }
    let applied = this.durable.applied.get(from) ?? 0;
    for (const entry of msg.entries) {
      if (entry.seq !== applied + 1) continue;
      this.apply(entry.key, entry.stored);
      applied = entry.seq;
    }
    this.durable.applied.set(from, applied);
    this.send(from, { type: "ReplicateAck", upTo: applied });
  }

  /** Send again what the peer has not acknowledged, in batches of up to 1,000 entries. */
  private resend(peer: string): void {
    const from = this.volatile.get(peer) ?? 0;
    if (from >= this.durable.log.length) return;
    this.send(peer, { type: "Replicate", entries: this.durable.log.slice(from, from + 1_000) });
  }

  /** A write replicated from another leader arrives. */
  private apply(key: string, incoming: StoredValue): void {
    const current = this.durable.store.get(key) ?? [];
    // Already superseded here (or the very same write): nothing to do.
    if (current.some((v) => ["before", "equal"].includes(vcCompare(incoming.clock, v.clock))))
      return;
    const survivors = current.filter((v) => vcCompare(v.clock, incoming.clock) === "concurrent");
    if (survivors.length > 0) this.conflicts++;
    if (survivors.length === 0 || this.config.resolution !== "lww") {
      this.durable.store.set(key, [...survivors, incoming]);
      return;
    }
    const all = [...survivors, incoming];
    const clock = all.reduce<VectorClock>((c, v) => vcMerge(c, v.clock), {});
    const winner = all.reduce((a, b) =>
      b.timestamp > a.timestamp || (b.timestamp === a.timestamp && b.origin > a.origin) ? b : a,
    );
    this.durable.store.set(key, [{ ...winner, clock }]);
  }
}
