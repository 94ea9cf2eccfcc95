/**
 * A replica of an operation-based CRDT (a CmRDT), with the delivery layer it needs built on a
 * network that loses, duplicates and reorders messages (Shapiro et al. 2011: an operation is
 * delivered to every replica exactly once, and in causal order when the type requires it):
 *
 * - At least once: the source sends each operation to every other replica and sends it again,
 *   backing off from `retryMsMin` to `retryMsMax`, until that replica acknowledges it. A replica
 *   acknowledges every copy it receives, since the acknowledgement of an earlier copy may be lost.
 * - At most once: a replica remembers the id (source, number) of every operation it has applied or
 *   holds, and ignores another copy. A counter needs this (adding one twice counts twice), and so
 *   does the OR-Set (a late copy of an add, applied after the remove that observed it, puts the
 *   element back); the registers would survive a second application, but get it anyway.
 * - Causal order, for the types that need it (the OR-Set): an operation waits in `held` until
 *   every operation in its causal past (`deps`) has been applied here. Causal delivery applies a
 *   source's operations in the order it made them, so what a replica has applied is, per source, a
 *   prefix, and its causal past (`context`) counts it.
 *
 * The source applies its own operation at once; the others apply it when it arrives (or when it
 * becomes deliverable). State: the payload, the causal past, the operations applied (ids), held
 * back, and not yet acknowledged by some peer. Messages: Op, Ack. No crashes in this scenario:
 * unacknowledged operations would be durable in a real store.
 */

import { type VectorClock, vcMerge } from "../../shared/clocks.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { OpBased, Stamp } from "./crdt.js";
import { type CrdtMessage, type OpId, opKey } from "./messages.js";

export interface OpReplicaConfig {
  peers: readonly string[];
  retryMsMin: number;
  retryMsMax: number;
}

/** What the delivery layer did at one replica. */
export interface DeliveryStats {
  /** Copies of operations sent again for want of an acknowledgement. */
  resent: number;
  /** Copies received of an operation already applied or held: ignored. */
  duplicatesIgnored: number;
  /** Operations that arrived before something in their causal past and had to wait. */
  heldBack: number;
}

type OpMessage = Extract<CrdtMessage, { type: "Op" }>;

interface Outgoing {
  msg: OpMessage;
  unacked: Set<string>;
  retryMs: number;
  nextSendMs: number;
}

export class OpReplica<U, P, O, V> extends SimNode<CrdtMessage, null, null> {
  state: P;
  context: VectorClock = {};
  seq = 0;
  readonly stats: DeliveryStats = { resent: 0, duplicatesIgnored: 0, heldBack: 0 };
  private readonly applied = new Set<string>();
  private held: OpMessage[] = [];
  private readonly heldKeys = new Set<string>();
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(
    id: string,
    net: Network<CrdtMessage>,
    readonly type: OpBased<U, P, O, V>,
    readonly config: OpReplicaConfig,
  ) {
    super(id, net, null);
    this.state = type.initial();
  }

  protected initialVolatile(): null {
    return null;
  }

  /** How many operations (this replica's own included) have been applied here. */
  get appliedCount(): number {
    return this.applied.size;
  }

  /** Simulated ms at which this replica last applied an operation (-1: none yet). */
  lastAppliedMs = -1;

  /** Operations some peer has not acknowledged yet, and operations held back here. */
  get pending(): { unacknowledged: number; held: number } {
    return { unacknowledged: this.outgoing.size, held: this.held.length };
  }

  /** An update at this replica: prepare, apply here, broadcast. */
  update(update: U): { stamp: Stamp; context: VectorClock } {
    const deps = this.context;
    this.seq++;
    const stamp: Stamp = { replica: this.id, seq: this.seq, clockMs: this.now() };
    const op = this.type.prepare(this.state, update, stamp);
    const msg: OpMessage = { type: "Op", id: { origin: this.id, seq: this.seq }, deps, op };
    this.apply(msg);
    const key = opKey(msg.id);
    this.outgoing.set(key, {
      msg,
      unacked: new Set(this.config.peers),
      retryMs: this.config.retryMsMin,
      nextSendMs: this.sim.now + this.config.retryMsMin,
    });
    for (const peer of this.config.peers) this.send(peer, msg);
    if (!this.hasTimer("retry")) this.setTimer("retry", this.config.retryMsMin);
    return { stamp, context: deps };
  }

  override onTimer(name: string): void {
    if (name !== "retry") return;
    let next = Number.POSITIVE_INFINITY;
    for (const out of this.outgoing.values()) {
      if (out.nextSendMs <= this.sim.now) {
        for (const peer of out.unacked) {
          this.send(peer, out.msg);
          this.stats.resent++;
        }
        // Back off, as a real sender does, so a long outage is not met by a flood of copies.
        out.retryMs = Math.min(out.retryMs * 2, this.config.retryMsMax);
        out.nextSendMs = this.sim.now + out.retryMs;
      }
      next = Math.min(next, out.nextSendMs);
    }
    if (next < Number.POSITIVE_INFINITY) this.setTimer("retry", next - this.sim.now);
  }

  onMessage(from: string, msg: CrdtMessage): void {
    switch (msg.type) {
      case "Op": {
        this.send(from, { type: "Ack", id: msg.id });
        const key = opKey(msg.id);
        if (this.applied.has(key) || this.heldKeys.has(key)) {
          this.stats.duplicatesIgnored++;
          return;
        }
        if (this.type.causal && !this.deliverable(msg)) {
          this.held.push(msg);
          this.heldKeys.add(key);
          this.stats.heldBack++;
          return;
        }
        this.apply(msg);
        if (this.type.causal) this.releaseHeld();
        return;
      }
      case "Ack": {
        const key = opKey(msg.id);
        const out = this.outgoing.get(key);
        if (out === undefined) return;
        out.unacked.delete(from);
        if (out.unacked.size === 0) this.outgoing.delete(key);
        return;
      }
      case "State":
        return;
    }
  }

  /** Causal delivery: everything the source had applied before this operation is applied here. */
  private deliverable(msg: OpMessage): boolean {
    for (const [replica, count] of Object.entries(msg.deps))
      if ((this.context[replica] ?? 0) < count) return false;
    return true;
  }

  private releaseHeld(): void {
    for (let progress = true; progress; ) {
      progress = false;
      const waiting: OpMessage[] = [];
      for (const msg of this.held) {
        if (this.deliverable(msg)) {
          this.heldKeys.delete(opKey(msg.id));
          this.apply(msg);
          progress = true;
        } else waiting.push(msg);
      }
      this.held = waiting;
    }
  }

  private apply(msg: OpMessage): void {
    this.state = this.type.effect(this.state, msg.op as O);
    this.applied.add(opKey(msg.id));
    this.lastAppliedMs = this.sim.now;
    this.context = vcMerge(vcMerge(this.context, msg.deps), {
      [msg.id.origin]: Math.max(this.context[msg.id.origin] ?? 0, msg.id.seq),
    });
  }
}

export type { OpId };
