/**
 * A replica of the AP store (DDIA ch. 9, "The CAP theorem"; messages in messages.ts): it answers
 * its clients from its own state at once, whether or not it can reach any other replica, and
 * converges with the others afterwards.
 *
 * Conflict resolution: last write wins (DDIA ch. 5, "Last write wins (discarding concurrent
 * writes)"), each write stamped by the replica that accepts it with a Lamport timestamp
 * (counter, replica id) (DDIA ch. 9, "Lamport timestamps"), not with its physical clock. Why
 * Lamport: a replica's counter is above every timestamp it has seen, and a client talks to one
 * replica, so a write always gets a higher timestamp than every write its replica already knew of
 * (the writes its client could have read). LWW then discards only concurrent writes, ones the
 * accepting replica had not heard of, which is the loss this scenario is about; with physical
 * clocks a skewed clock would also discard writes that came later (the book's figure 8-3), the
 * `last-write-wins` scenario's subject. A register workload is what LWW fits: the multi-value
 * register (mv-replica.ts, this scenario's third store, from the `crdts` scenario) keeps
 * concurrent writes as siblings instead, which no register checker can judge.
 *
 * Propagation: after accepting a write the replica sends it to every other replica (Replicate),
 * once; one lost to the network or to a partition is left to anti-entropy (DDIA ch. 5, "Read
 * repair and anti-entropy"): every `antiEntropyMs` the replica sends its whole state to every
 * other replica (Sync), and each keeps, per key, the entry with the higher timestamp. The state is
 * a handful of registers, so it is sent whole; replication's `anti-entropy` scenario shows the
 * Merkle tree that lets a store with many keys send only the ranges that differ.
 *
 * Durable: the entries and the Lamport counter. Volatile: the replies already sent, so that a
 * client's resent request is answered again and not applied twice.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { compareTimestamps } from "../../shared/quorum/abd-messages.js";
import type { ApMessage, Entry } from "./messages.js";

export interface LwwReplicaConfig {
  peers: readonly string[];
  /** Period of the anti-entropy Sync; 0 turns anti-entropy off (the broken variant). */
  antiEntropyMs: number;
}

interface Durable {
  entries: Map<string, Entry>;
  lamport: number;
}

export class LwwReplica extends SimNode<ApMessage, Durable, Map<string, ApMessage>> {
  constructor(
    id: string,
    net: Network<ApMessage>,
    readonly config: LwwReplicaConfig,
  ) {
    super(id, net, { entries: new Map(), lamport: 0 });
  }

  protected initialVolatile(): Map<string, ApMessage> {
    return new Map();
  }

  protected override onStart(): void {
    if (this.config.antiEntropyMs > 0) this.setTimer("anti-entropy", this.config.antiEntropyMs);
  }

  protected override onRecover(): void {
    this.onStart();
  }

  entry(key: string): Entry | undefined {
    return this.durable.entries.get(key);
  }

  /** Every entry, in key order: what Sync sends and what convergence compares. */
  entries(): Entry[] {
    return [...this.durable.entries.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  onMessage(from: string, msg: ApMessage): void {
    switch (msg.type) {
      case "Read":
      case "Write": {
        const answered = this.volatile.get(msg.requestId);
        if (answered !== undefined) {
          this.send(from, answered);
          return;
        }
        const reply = msg.type === "Read" ? this.read(msg) : this.write(msg);
        this.volatile.set(msg.requestId, reply);
        this.send(from, reply);
        return;
      }
      case "Replicate":
        this.merge(msg.entry);
        return;
      case "Sync":
        for (const entry of msg.entries) this.merge(entry);
        return;
      case "ReadReply":
      case "WriteAck":
        return; // Replies go to clients; a replica is never sent one.
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  override onTimer(name: string): void {
    if (name !== "anti-entropy") return;
    const entries = this.entries();
    if (entries.length > 0)
      for (const peer of this.config.peers) this.send(peer, { type: "Sync", entries });
    this.setTimer("anti-entropy", this.config.antiEntropyMs);
  }

  private read(msg: { requestId: string; key: string }): ApMessage {
    return {
      type: "ReadReply",
      requestId: msg.requestId,
      value: this.durable.entries.get(msg.key)?.value ?? null,
    };
  }

  private write(msg: { requestId: string; key: string; value: string }): ApMessage {
    this.durable.lamport++;
    const entry: Entry = {
      key: msg.key,
      value: msg.value,
      timestamp: { counter: this.durable.lamport, writer: this.id },
    };
    this.durable.entries.set(msg.key, entry);
    for (const peer of this.config.peers) this.send(peer, { type: "Replicate", entry });
    return { type: "WriteAck", requestId: msg.requestId };
  }

  /** Last write wins: keep the entry with the higher timestamp; the counter moves past both. */
  private merge(entry: Entry): void {
    this.durable.lamport = Math.max(this.durable.lamport, entry.timestamp.counter);
    const mine = this.durable.entries.get(entry.key);
    if (mine === undefined || compareTimestamps(entry.timestamp, mine.timestamp) > 0)
      this.durable.entries.set(entry.key, entry);
  }
}
