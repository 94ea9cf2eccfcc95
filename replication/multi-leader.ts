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
 * the other leader at once; on a heartbeat, a leader sends again whatever the other has not
 * acknowledged. A leader applies the other's entries in sequence order, each once, so a lost or
 * duplicated message only delays replication, and a partition between the datacenters only
 * postpones it: both keep accepting writes meanwhile, and the conflicts wait for the link.
 *
 * How often to send again depends on the round trip across the WAN, which the leader measures as
 * TCP does with its timestamp option (RFC 7323): every Replicate carries its send time, and the
 * acknowledgement echoes it, so each acknowledgement is a round-trip sample even for an entry
 * sent several times. A leader sends again at most once per half round trip (and at most once a
 * heartbeat): sooner, the entries would mostly still be under way, and over a 10-second WAN a
 * resend every heartbeat copied the same thousand entries hundreds of times per round trip. Until
 * the first sample, it waits twice as long after each resend that brought no acknowledgement, up
 * to a second.
 *
 * Durable: the store, the leader's own log, and how far it has applied the other's. Volatile:
 * per peer, how far it has acknowledged this leader's log, the round-trip estimate, and when this
 * leader last sent again.
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
  | { readonly type: "Replicate"; readonly entries: readonly LogEntry[]; readonly sentAtMs: number }
  | { readonly type: "ReplicateAck"; readonly upTo: number; readonly echoMs: number };

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

/** What a leader knows of one peer's progress and of the link to it. */
interface PeerProgress {
  /** The highest sequence number of this leader's log the peer has acknowledged. */
  acked: number;
  /** Smoothed round trip (RFC 6298's 1/8 weighting), once there is a sample. */
  rttMs: number | undefined;
  /** When this leader last sent the unacknowledged entries again, and how long it then waits. */
  resentAtMs: number;
  waitMs: number;
  /** `acked` at that resend: no progress since means the resend (or its answer) was lost. */
  ackedAtResend: number;
}

/**
 * Before any round-trip sample, the wait between resends doubles up to this: long enough that a
 * 10-second WAN sees a resend a second rather than twenty, short enough that over a lossy WAN,
 * where no sample may come for a while, the leader keeps trying.
 */
const RESEND_WAIT_MS_MAX = 1_000;

export class MultiLeader extends SimNode<MultiLeaderMessage, Durable, Map<string, PeerProgress>> {
  /** Replicated values that arrived concurrent with a value held here (a statistic, not state). */
  conflicts = 0;

  constructor(
    id: string,
    net: Network<MultiLeaderMessage>,
    readonly config: MultiLeaderConfig,
  ) {
    super(id, net, { store: new Map(), log: [], applied: new Map() });
  }

  protected initialVolatile(): Map<string, PeerProgress> {
    return new Map(
      this.config.peers.map((p) => [
        p,
        {
          acked: 0,
          rttMs: undefined,
          resentAtMs: Number.NEGATIVE_INFINITY,
          waitMs: this.config.heartbeatMs,
          ackedAtResend: 0,
        },
      ]),
    );
  }

  private progress(peer: string): PeerProgress {
    return this.volatile.get(peer) as PeerProgress;
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
    return this.config.peers.every((p) => this.progress(p).acked >= this.durable.log.length);
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
    for (const peer of this.config.peers)
      this.send(peer, { type: "Replicate", entries: [entry], sentAtMs: this.sim.now });
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
      const peer = this.progress(from);
      if (msg.upTo > peer.acked) peer.acked = msg.upTo;
      const sample = this.sim.now - msg.echoMs;
      peer.rttMs = peer.rttMs === undefined ? sample : 0.875 * peer.rttMs + 0.125 * sample;
      return;
    }
    let applied = this.durable.applied.get(from) ?? 0;
    for (const entry of msg.entries) {
      if (entry.seq !== applied + 1) continue;
      this.apply(entry.key, entry.stored);
      applied = entry.seq;
    }
    this.durable.applied.set(from, applied);
    this.send(from, { type: "ReplicateAck", upTo: applied, echoMs: msg.sentAtMs });
  }

  /** Send again what the peer has not acknowledged, in batches of up to 1,000 entries. */
  private resend(peerId: string): void {
    const peer = this.progress(peerId);
    if (peer.acked >= this.durable.log.length) return;
    const waitMs =
      peer.rttMs === undefined ? peer.waitMs : Math.max(this.config.heartbeatMs, peer.rttMs / 2);
    if (this.sim.now - peer.resentAtMs < waitMs) return;
    // No sample yet: back off while resends bring no acknowledgement (the round trip may be long).
    peer.waitMs =
      peer.acked === peer.ackedAtResend
        ? Math.min(2 * peer.waitMs, RESEND_WAIT_MS_MAX)
        : this.config.heartbeatMs;
    peer.resentAtMs = this.sim.now;
    peer.ackedAtResend = peer.acked;
    this.send(peerId, {
      type: "Replicate",
      entries: this.durable.log.slice(peer.acked, peer.acked + 1_000),
      sentAtMs: this.sim.now,
    });
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
