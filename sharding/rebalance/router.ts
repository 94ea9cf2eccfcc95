/**
 * Router: the routing tier of DDIA ch. 6, "Request Routing" (approach 2: "send all requests from
 * clients to a routing tier first, which determines the node that should handle each request and
 * forwards it accordingly"), merged here with the coordinator that decides partition moves, the
 * job ZooKeeper and a cluster manager share in HBase, SolrCloud or Kafka.
 *
 * Durable: the partition map (partition → owner) with an epoch bumped at every change, the list
 * of nodes, and the moves still under way. Volatile: nothing; after a crash the router resends
 * whatever its pending moves still need.
 *
 * The map changes only when the old owner reports a move complete, so until then requests keep
 * going to the old owner, which serves them while it copies. Left out: replicas of the router
 * itself (a real routing tier is several stateless processes reading the map from a consensus
 * store), and partition-aware clients that cache the map.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { FixedPartitions, partitionOf } from "../placement.js";
import { REF } from "../refs.js";
import type { RebalanceMessage } from "./messages.js";

export interface PendingMove {
  partition: number;
  from: string;
  to: string;
  state: "copying" | "activating";
}

export interface RouterDurable {
  nodes: string[];
  partitionMap: string[];
  epoch: number;
  moves: Record<number, PendingMove>;
  nextMoveId: number;
}

export interface RouterConfig {
  resendMs: number;
}

export class Router extends SimNode<RebalanceMessage, RouterDurable, null> {
  constructor(
    id: string,
    net: Network<RebalanceMessage>,
    readonly config: RouterConfig,
    nodes: string[],
    partitionMap: string[],
  ) {
    super(id, net, { nodes, partitionMap, epoch: 1, moves: {}, nextMoveId: 1 });
  }

  protected initialVolatile(): null {
    return null;
  }

  /** True once no partition move is under way. */
  get settled(): boolean {
    return Object.keys(this.durable.moves).length === 0;
  }

  protected override onRecover(): void {
    if (!this.settled) this.setTimer("resend", 0);
  }

  onMessage(from: string, msg: RebalanceMessage): void {
    switch (msg.type) {
      case "Put":
      case "Get": {
        const owner =
          this.durable.partitionMap[partitionOf(msg.key, this.durable.partitionMap.length)];
        if (owner !== undefined) this.send(owner, msg);
        break;
      }
      case "Join":
        this.join(msg.node);
        this.send(from, { type: "JoinAck" });
        break;
      case "MoveComplete":
        this.moveComplete(msg.moveId);
        this.send(from, { type: "Release", moveId: msg.moveId, partition: msg.partition });
        break;
      case "ActivateAck":
        this.activated(msg.moveId);
        break;
      case "PutOk":
      case "GetOk":
      case "Retry":
      case "JoinAck":
      case "StartMove":
      case "MoveData":
      case "MoveDataAck":
      case "Activate":
      case "Release":
        break; // not addressed to the router
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    if (name !== "resend") return;
    for (const [id, move] of Object.entries(this.durable.moves)) this.drive(Number(id), move);
    if (!this.settled) this.setTimer("resend", this.config.resendMs);
  }

  private join(node: string): void {
    if (this.durable.nodes.includes(node)) return; // a resent Join
    const before = new FixedPartitions(this.durable.nodes, this.durable.partitionMap);
    const after = before.withNode(node);
    this.durable.nodes = [...after.nodes];
    const moved: number[] = [];
    after.partitionMap.forEach((owner, partition) => {
      const from = this.durable.partitionMap[partition] as string;
      if (owner === from) return;
      const moveId = this.durable.nextMoveId++;
      this.durable.moves[moveId] = { partition, from, to: owner, state: "copying" };
      moved.push(partition);
    });
    const total = after.partitionMap.length;
    this.note(
      moved.length === 0
        ? `${node} joins but takes no partition: ${total} partition${total === 1 ? "" : "s"} over ${after.nodes.length} nodes come${total === 1 ? "s" : ""} to less than one each, so the map stays as it is`
        : `${node} joins: it will take partition${moved.length === 1 ? "" : "s"} ${moved.join(", ")} (its fair share of ${total}), ${moved.length === 1 ? "from the node that holds the most" : "one at a time from whichever node holds the most"}; the map stays as it is until each copy is complete`,
      { ref: REF.fixed },
    );
    this.onTimer("resend");
  }

  /** Send what a move needs next: StartMove to the old owner, or Activate to the new one. */
  private drive(moveId: number, move: PendingMove): void {
    if (move.state === "copying") {
      this.send(move.from, { type: "StartMove", moveId, partition: move.partition, to: move.to });
    } else {
      this.send(move.to, { type: "Activate", moveId, partition: move.partition });
    }
  }

  private moveComplete(moveId: number): void {
    const move = this.durable.moves[moveId];
    if (move === undefined || move.state !== "copying") return;
    move.state = "activating";
    this.durable.partitionMap[move.partition] = move.to;
    this.durable.epoch++;
    this.note(
      `partition map epoch ${this.durable.epoch}: partition ${move.partition} now belongs to ${move.to} (was ${move.from})`,
      { ref: REF.routing },
    );
    this.drive(moveId, move);
  }

  private activated(moveId: number): void {
    const move = this.durable.moves[moveId];
    if (move === undefined || move.state !== "activating") return;
    delete this.durable.moves[moveId];
    if (this.settled) {
      this.note("every partition move is complete: the cluster is balanced again", {
        level: "summary",
      });
      this.cancelTimer("resend");
    }
  }
}
