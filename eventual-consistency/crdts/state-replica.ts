/**
 * A replica of a state-based CRDT (a CvRDT), replicated by gossip: every `gossipMs` it sends its
 * whole payload to one peer chosen at random, and a replica that receives a payload merges it into
 * its own. Nothing is acknowledged or sent again: a lost payload is made good by the next round,
 * a duplicated or late one merges to what the replica already has (merge is idempotent, and the
 * payload only grows in the semilattice). This is the delivery a CvRDT needs: every payload
 * reaches every replica eventually, through any path, in any order, any number of times.
 *
 * State: the payload, the causal past (for the run's records only), the updates made here.
 * Messages: State. No crashes in this scenario: the payload would be durable in a real store.
 */

import type { VectorClock } from "../../shared/clocks.js";
import { vcMerge } from "../../shared/clocks.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { Stamp, StateBased } from "./crdt.js";
import type { CrdtMessage } from "./messages.js";

export interface StateReplicaConfig<S> {
  peers: readonly string[];
  gossipMs: number;
  /** Told of every merge (the run watches the broken counter with it); returns nothing. */
  onMerge?: (merge: { replica: string; from: string; before: S; received: S; after: S }) => void;
}

export class StateReplica<U, S, V> extends SimNode<CrdtMessage, null, null> {
  state: S;
  context: VectorClock = {};
  seq = 0;
  merges = 0;
  private gossiping = true;

  constructor(
    id: string,
    net: Network<CrdtMessage>,
    readonly type: StateBased<U, S, V>,
    readonly config: StateReplicaConfig<S>,
  ) {
    super(id, net, null);
    this.state = type.initial();
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    // Start the rounds at different moments so the replicas do not gossip in lockstep.
    this.setTimer("gossip", this.random.uniform(0, this.config.gossipMs));
  }

  /** An update at this replica, its source. Returns the stamp and the causal past it had. */
  update(update: U): { stamp: Stamp; context: VectorClock } {
    const context = this.context;
    this.seq++;
    const stamp: Stamp = { replica: this.id, seq: this.seq, clockMs: this.now() };
    this.state = this.type.update(this.state, update, stamp);
    this.context = { ...context, [this.id]: this.seq };
    return { stamp, context };
  }

  /** Stop gossiping: the run has converged (or given up) and lets the network drain. */
  stop(): void {
    this.gossiping = false;
    this.cancelTimer("gossip");
  }

  override onTimer(name: string): void {
    if (name !== "gossip" || !this.gossiping) return;
    const peer = this.random.pick(this.config.peers);
    this.send(peer, { type: "State", state: this.state, context: this.context });
    this.setTimer("gossip", this.config.gossipMs);
  }

  onMessage(from: string, msg: CrdtMessage): void {
    if (msg.type !== "State") return;
    const before = this.state;
    this.state = this.type.merge(before, msg.state as S);
    this.context = vcMerge(this.context, msg.context);
    this.merges++;
    this.config.onMerge?.({
      replica: this.id,
      from,
      before,
      received: msg.state as S,
      after: this.state,
    });
  }
}
