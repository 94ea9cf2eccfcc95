/**
 * Last write wins (DDIA ch. 5, "Detecting Concurrent Writes: Last write wins"; ch. 8,
 * "Timestamps for ordering events"; ch. 9, "Lamport timestamps").
 *
 * A replica accepts a client's write at once, gives it a timestamp, and replicates it
 * asynchronously to every other replica. Every replica keeps, per key, the value with the largest
 * timestamp it has seen and silently drops the others; a write whose timestamp is smaller than the
 * stored one is acknowledged all the same, as Cassandra does, and is never seen again.
 *
 * The timestamp is (time, replica id), ties broken by the replica id. Its time comes from:
 * - `physical`: the replica's own time-of-day clock, which may be skewed;
 * - `lamport`: the replica's Lamport counter, ticked on each write and merged with every received
 *   timestamp, so it is consistent with causality;
 * - `lamport-no-merge`: a broken Lamport counter that ticks but ignores received timestamps.
 *
 * Durable: the stored values and the Lamport counter. Volatile: nothing (no crashes here).
 * Messages: `Replicate` (resent until acknowledged) and `ReplicateAck`. Real systems also gossip
 * and repair on read (ch. 5, "Read repair and anti-entropy"); a resend until acknowledged is
 * enough here to make every replica receive every write.
 */

import { assert } from "../../shared/assert.js";
import { lamportMerge, lamportTick } from "../../shared/clocks.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";

export type ClockKind = "physical" | "lamport" | "lamport-no-merge";

export interface Timestamp {
  readonly time: number;
  readonly node: string;
}

/** Negative when a is older than b: compare the time, then the replica id. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export interface Stored {
  readonly writeId: string;
  readonly value: string;
  readonly timestamp: Timestamp;
}

export type LwwMessage =
  | { readonly type: "Replicate"; readonly key: string; readonly stored: Stored }
  | { readonly type: "ReplicateAck"; readonly writeId: string };

interface Durable {
  values: Map<string, Stored>;
  lamport: number;
}

/** What a local write did: its timestamp, and the stored value that beat it, if one did. */
export interface WriteOutcome {
  timestamp: Timestamp;
  /** The clock reading or counter before the write, for narration. */
  clockBefore: number;
  keptOlder: Stored | null;
}

const RESEND_MS = 50;

export class LwwReplica extends SimNode<LwwMessage, Durable, null> {
  /** Replications not yet acknowledged, by peer and write. */
  private readonly pending = new Map<string, { to: string; msg: LwwMessage }>();

  constructor(
    id: string,
    net: Network<LwwMessage>,
    readonly kind: ClockKind,
    readonly peers: () => string[],
    /** Narrate each write and each replication received (the scripted figure does). */
    readonly narrate: boolean,
    readonly formatTimestamp: (t: Timestamp) => string,
  ) {
    super(id, net, { values: new Map(), lamport: 0 });
  }

  protected initialVolatile(): null {
    return null;
  }

  read(key: string): Stored | null {
    return this.durable.values.get(key) ?? null;
  }

  get lamport(): number {
    return this.durable.lamport;
  }

  get quiescent(): boolean {
    return this.pending.size === 0;
  }

  /** A client's write: timestamp it, apply it by LWW, acknowledge it, replicate it. */
  write(key: string, writeId: string, value: string): WriteOutcome {
    const clockBefore = this.kind === "physical" ? this.now() : this.durable.lamport;
    let time: number;
    if (this.kind === "physical") {
      time = this.now();
    } else {
      this.durable.lamport = lamportTick(this.durable.lamport);
      time = this.durable.lamport;
    }
    const stored: Stored = { writeId, value, timestamp: { time, node: this.id } };
    const keptOlder = this.apply(key, stored);
    for (const peer of this.peers()) {
      const msg: LwwMessage = { type: "Replicate", key, stored };
      this.pending.set(`${peer}\0${writeId}`, { to: peer, msg });
      this.send(peer, msg);
    }
    if (!this.hasTimer("resend") && this.pending.size > 0) this.setTimer("resend", RESEND_MS);
    return { timestamp: stored.timestamp, clockBefore, keptOlder };
  }

  onMessage(from: string, msg: LwwMessage): void {
    switch (msg.type) {
      case "Replicate": {
        const before = this.durable.lamport;
        // Lamport's rule: on receipt, move the counter past the received timestamp. The broken
        // variant skips it, so its later writes can get smaller timestamps than writes it has seen.
        if (this.kind === "lamport")
          this.durable.lamport = lamportMerge(this.durable.lamport, msg.stored.timestamp.time);
        const current = this.read(msg.key);
        const already = current?.writeId === msg.stored.writeId;
        const beaten = already ? null : this.apply(msg.key, msg.stored);
        if (this.narrate && !already) {
          const counter =
            this.kind === "lamport" ? ` (Lamport counter ${before} → ${this.durable.lamport})` : "";
          this.note(
            beaten === null
              ? `receives ${msg.key} = ${msg.stored.value} with timestamp ${this.formatTimestamp(msg.stored.timestamp)} and stores it${counter}`
              : `receives ${msg.key} = ${msg.stored.value} with timestamp ${this.formatTimestamp(msg.stored.timestamp)}, smaller than the stored ${msg.key} = ${beaten.value}'s ${this.formatTimestamp(beaten.timestamp)}: drops it${counter}`,
          );
        }
        this.send(from, { type: "ReplicateAck", writeId: msg.stored.writeId });
        return;
      }
      case "ReplicateAck":
        this.pending.delete(`${from}\0${msg.writeId}`);
        return;
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  override onTimer(name: string): void {
    if (name !== "resend") return;
    for (const { to, msg } of this.pending.values()) this.send(to, msg);
    if (this.pending.size > 0) this.setTimer("resend", RESEND_MS);
  }

  /** Keep the larger timestamp. Returns the stored value that beat `incoming`; null if it won. */
  private apply(key: string, incoming: Stored): Stored | null {
    const current = this.read(key);
    if (current !== null) {
      const order = compareTimestamps(incoming.timestamp, current.timestamp);
      assert(
        order !== 0 || current.writeId === incoming.writeId,
        `two writes with one timestamp: ${current.writeId} and ${incoming.writeId}`,
      );
      if (order <= 0) return current;
    }
    this.durable.values.set(key, incoming);
    return null;
  }
}
