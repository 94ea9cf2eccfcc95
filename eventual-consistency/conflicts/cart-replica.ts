/**
 * A replica of the shopping cart, on shared/versions.ts's `VectorReplica` (DDIA ch. 5, "Version
 * vectors"): a client's write supersedes exactly the siblings it read; a value arriving from
 * another replica is kept as a sibling unless some value's writer had seen it. Each value keeps
 * its own dot apart from its context (dotted version vectors), so several clients may write
 * through one replica: two writes from the same context are kept side by side, not one silently
 * replacing the other.
 *
 * Replication is state-based and asynchronous: after each client write a replica pushes its
 * siblings to every peer, resending its newest state until the peer acknowledges it (a newer state
 * includes everything an older one said, so only the newest needs to arrive). Every write thus
 * reaches every replica straight from the replica that took it.
 *
 * Two deliberately broken replicas, for tests: `dropConcurrent` keeps only the last of several
 * concurrent siblings after a merge, as a store without siblings would; `wholeVectors` lets a
 * client's write supersede every value whose whole version vector its own vector dominates, as
 * shared/versions.ts did before it kept dots apart, so that of two clients writing through one
 * replica from the same context the second silently replaces the first. Tests use both to show
 * that the checks catch a write lost that no one saw.
 *
 * Durable: the siblings. Volatile: nothing (no crashes here). Messages: `Sync`, `SyncAck`.
 * Left out: one vector per key across many keys (there is one key, the cart).
 */

import { type VectorClock, vcCompare } from "../../shared/clocks.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { VectorReplica, type VectorValue } from "../../shared/versions.js";
import { type CartValue, showValue } from "./cart.js";

export type CartMessage =
  | {
      readonly type: "Sync";
      readonly seq: number;
      readonly siblings: readonly VectorValue<CartValue>[];
    }
  | { readonly type: "SyncAck"; readonly seq: number };

const RESEND_MS = 50;

export const showVector = (clock: VectorClock): string =>
  `{${Object.entries(clock)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}}`;

export const showSiblings = (siblings: readonly VectorValue<CartValue>[]): string =>
  siblings.map((s) => `${showValue(s.value)} ${showVector(s.clock)}`).join(" and ");

export class CartReplica extends SimNode<CartMessage, { store: VectorReplica<CartValue> }, null> {
  private seq = 0;
  /** Peers that have not yet acknowledged the newest state. */
  private readonly unacknowledged = new Set<string>();

  constructor(
    id: string,
    net: Network<CartMessage>,
    readonly peers: () => string[],
    readonly narrate: boolean,
    readonly dropConcurrent = false,
    readonly wholeVectors = false,
  ) {
    super(id, net, { store: new VectorReplica<CartValue>(id) });
  }

  protected initialVolatile(): null {
    return null;
  }

  get siblings(): readonly VectorValue<CartValue>[] {
    return this.durable.store.siblings;
  }

  get quiescent(): boolean {
    return this.unacknowledged.size === 0;
  }

  read(): { context: VectorClock; values: CartValue[] } {
    return this.durable.store.read();
  }

  /** A client's write, based on the context it read here. */
  write(value: CartValue, context: VectorClock): void {
    this.durable.store.write(value, context);
    if (this.wholeVectors) {
      const mine = this.siblings.at(-1);
      if (mine !== undefined)
        this.durable.store.siblings = this.siblings.filter(
          (s) => s === mine || vcCompare(s.clock, mine.clock) !== "before",
        );
    }
    this.push();
  }

  onMessage(from: string, msg: CartMessage): void {
    switch (msg.type) {
      case "Sync": {
        const incoming = new VectorReplica<CartValue>(from);
        incoming.siblings = [...msg.siblings];
        const before = this.siblings.map((s) => s.value.writeId).join();
        this.durable.store.mergeFrom(incoming);
        if (this.dropConcurrent && this.siblings.length > 1)
          this.durable.store.siblings = this.siblings.slice(-1);
        const changed = this.siblings.map((s) => s.value.writeId).join() !== before;
        if (changed && this.narrate) {
          this.note(
            this.siblings.length > 1
              ? `merges ${from}'s state: no value's writer had seen another's, so it keeps ${this.siblings.length} siblings, ${showSiblings(this.siblings)}`
              : `merges ${from}'s state: now holds ${showSiblings(this.siblings)}`,
          );
        }
        this.send(from, { type: "SyncAck", seq: msg.seq });
        return;
      }
      case "SyncAck":
        if (msg.seq === this.seq) this.unacknowledged.delete(from);
        return;
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  override onTimer(name: string): void {
    if (name !== "resend") return;
    for (const peer of this.unacknowledged) this.sendState(peer);
    if (this.unacknowledged.size > 0) this.setTimer("resend", RESEND_MS);
  }

  /** Send the newest state to every peer, and keep resending it until each acknowledges. */
  private push(): void {
    this.seq++;
    for (const peer of this.peers()) {
      this.unacknowledged.add(peer);
      this.sendState(peer);
    }
    if (this.unacknowledged.size > 0) this.setTimer("resend", RESEND_MS);
  }

  private sendState(peer: string): void {
    this.send(peer, { type: "Sync", seq: this.seq, siblings: [...this.siblings] });
  }
}
