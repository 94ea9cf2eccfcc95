/**
 * A gossiping node: epidemic dissemination of one update (DDIA ch. 6, "Request Routing", where
 * Cassandra and Riak spread cluster state by gossip; ch. 5, "Read repair and anti-entropy").
 *
 * Every `roundMs` the node calls one peer chosen uniformly at random among all the others (it
 * cannot know which are down): Karp et al.'s "random phone call" model (2000, "Randomized rumor
 * spreading"), and Demers et al.'s anti-entropy with uniform partner selection (1987, "Epidemic
 * algorithms for replicated database maintenance"). What it sends depends on the mode:
 * - push:      a `Push` carrying the update, only if it knows the update.
 * - pull:      a `PullRequest` with its digest, every round, whether or not it knows the update;
 *              a peer that has a newer version answers with a `PullReply`.
 * - push-pull: a `PushPull` with its digest and its update (if any), every round; the peer keeps
 *              the update if it is newer and answers with a `PullReply` if its own is newer.
 *
 * Rounds are synchronous, as in the papers (Karp et al.'s "round", Demers et al.'s "cycle"): a
 * node answers a pull with what it held when its own round began, never with an update it heard
 * earlier in the same round, so the update moves at most one hop per round and the rounds count
 * what the papers count. (A real node answers with what it has; a message that arrives after
 * another can then carry the update two hops in one round.)
 *
 * State: durable, the newest update it knows (a real node writes cluster state to disk);
 * volatile, how many times it has pushed, for rumor mongering, and the update it held when its
 * current round began.
 *
 * Rumor mongering (`stopAfterPushes` > 0): a node stops pushing the update once it has pushed
 * it that many times, whether or not its peers already knew. Demers et al. call removal that
 * ignores the recipient "blind" (theirs loses interest with probability 1/k after each push) and
 * count only unnecessary contacts in their counter variant; this one is blind and counts pushes.
 * It saves messages and may leave nodes that never hear the update, which is why Demers et al.
 * back rumor mongering with anti-entropy. A node that stopped still answers pulls.
 *
 * Left out: real gossip exchanges digests of many keys (Cassandra's is push-pull in three
 * messages, GossipDigestSyn, GossipDigestAck and GossipDigestAck2, over endpoint states with
 * heartbeats and generations), partners chosen by distance
 * (Demers et al.'s spatial distributions), and failure detection.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { GossipMessage, GossipMessageType, Update } from "./messages.js";

export type GossipMode = "push" | "pull" | "push-pull";

export const GOSSIP_MODES: readonly GossipMode[] = ["push", "pull", "push-pull"];

/** Messages sent, by type, shared by every node of one run. */
export interface GossipCost {
  sent: Record<GossipMessageType, number>;
  /** Messages that carried the update (the rest carried only a digest). */
  carryingUpdate: number;
}

export function emptyCost(): GossipCost {
  return { sent: { Push: 0, PullRequest: 0, PullReply: 0, PushPull: 0 }, carryingUpdate: 0 };
}

export interface GossipNodeConfig {
  /**
   * Every node of the cluster, up or down, in ring order; this node is `members[index]` and
   * calls one of the others per round.
   */
  members: readonly string[];
  index: number;
  mode: GossipMode;
  roundMs: number;
  /** Rumor mongering: stop pushing after this many pushes; 0 never stops (anti-entropy). */
  stopAfterPushes: number;
  /**
   * `random` is the protocol. `successor` is a broken variant for the tests: each node always
   * calls the next node on a ring, so the update moves one hop per round.
   */
  peerChoice: "random" | "successor";
  /**
   * `round-start` is the protocol as the papers model it. `latest` is a variant for the tests:
   * a node answers pulls with whatever it holds, so an update can move two hops in one round.
   */
  answerWith?: "round-start" | "latest";
  cost: GossipCost;
}

/** How a node first heard the update: from whom, by which half of the protocol, and when. */
export interface Learned {
  from: string;
  via: "origin" | "push" | "pull";
  atMs: number;
}

interface Durable {
  update: Update | null;
}

interface Volatile {
  pushes: number;
  /** The update this node held when its current round began: what it answers pulls with. */
  roundUpdate: Update | null;
}

export class GossipNode extends SimNode<GossipMessage, Durable, Volatile> {
  private readonly config: GossipNodeConfig;
  /** When and from whom this node first heard the update, for the story; undefined if never. */
  learned: Learned | undefined;

  constructor(id: string, net: Network<GossipMessage>, config: GossipNodeConfig) {
    super(id, net, { update: null });
    this.config = config;
  }

  protected initialVolatile(): Volatile {
    return { pushes: 0, roundUpdate: null };
  }

  protected override onStart(): void {
    this.setTimer("round", this.config.roundMs);
  }

  get version(): number {
    return this.durable.update?.version ?? 0;
  }

  /** The update enters the system at this node (a client wrote it here). */
  originate(update: Update): void {
    this.durable = { update };
    this.learned = { from: this.id, via: "origin", atMs: this.sim.now };
  }

  override onTimer(name: string): void {
    if (name !== "round") return;
    this.setTimer("round", this.config.roundMs);
    const peer = this.choosePeer();
    const update = this.durable.update;
    this.volatile.roundUpdate = update;
    switch (this.config.mode) {
      case "push":
        if (update !== null && this.stillPushing()) {
          this.volatile.pushes++;
          this.emit(peer, { type: "Push", update });
        }
        return;
      case "pull":
        this.emit(peer, { type: "PullRequest", version: this.version });
        return;
      case "push-pull": {
        const pushing = update !== null && this.stillPushing();
        if (pushing) this.volatile.pushes++;
        this.emit(peer, {
          type: "PushPull",
          version: this.version,
          update: pushing ? update : null,
        });
        return;
      }
      default:
        unreachable(this.config.mode, "gossip mode");
    }
  }

  onMessage(from: string, msg: GossipMessage): void {
    switch (msg.type) {
      case "Push":
        this.receiveUpdate(from, msg.update, "push");
        return;
      case "PullReply":
        this.receiveUpdate(from, msg.update, "pull");
        return;
      case "PullRequest":
        this.answerPull(from, msg.version);
        return;
      case "PushPull":
        if (msg.update !== null) this.receiveUpdate(from, msg.update, "push");
        this.answerPull(from, msg.version);
        return;
      default:
        unreachable(msg, "gossip message");
    }
  }

  /** Whether this node will push the update again (it knows it and has not stopped). */
  willPush(): boolean {
    return this.durable.update !== null && this.stillPushing();
  }

  private stillPushing(): boolean {
    const limit = this.config.stopAfterPushes;
    return limit === 0 || this.volatile.pushes < limit;
  }

  /** Answers from the update held when this round began (see the comment at the top). */
  private answerPull(from: string, askerVersion: number): void {
    const update =
      this.config.answerWith === "latest" ? this.durable.update : this.volatile.roundUpdate;
    if (update !== null && update.version > askerVersion)
      this.emit(from, { type: "PullReply", update });
  }

  private receiveUpdate(from: string, update: Update, via: "push" | "pull"): void {
    if (update.version <= this.version) return;
    this.durable = { update };
    if (this.learned === undefined) this.learned = { from, via, atMs: this.sim.now };
  }

  private choosePeer(): string {
    const { members, index } = this.config;
    if (this.config.peerChoice === "successor")
      return members[(index + 1) % members.length] as string;
    // Uniform over the others: draw among n - 1 positions and step over this node's own.
    const drawn = this.random.int(0, members.length - 2);
    return members[drawn >= index ? drawn + 1 : drawn] as string;
  }

  private emit(to: string, msg: GossipMessage): void {
    const cost = this.config.cost;
    cost.sent[msg.type]++;
    if (
      (msg.type === "PushPull" && msg.update !== null) ||
      msg.type === "Push" ||
      msg.type === "PullReply"
    )
      cost.carryingUpdate++;
    this.send(to, msg);
  }
}
