/**
 * The controller: it decides which replica leads each partition and which replicas are in sync
 * (Kafka's KRaft controller; DDIA ch. 11, and ch. 9 on why this needs consensus in real life).
 *
 * - Brokers send heartbeats; a broker silent for `sessionTimeoutMs` is fenced. If it led a
 *   partition, a new leader is elected: the first replica in assignment order that is alive and in
 *   the ISR (a clean election, as Kafka's offlinePartitionLeaderElection does it). If none
 *   is left, the partition goes offline, unless unclean leader election is allowed, in which case
 *   any live replica leads, and whatever it lacks is lost.
 * - A fenced broker is removed from every ISR; an offline partition comes back when a member of
 *   its last ISR returns.
 * - Leaders propose ISR changes (AlterPartition); the controller accepts one only from the current
 *   leader, in the current leader epoch, based on the current partition epoch (which every change
 *   of the partition's state bumps), and naming no fenced broker. Anything else is refused with
 *   Kafka's error for it, so a late or repeated request cannot undo a newer decision.
 * - It pushes LeaderAndIsr to the replicas on every change and again every `broadcastMs`, and
 *   answers Metadata requests from clients.
 *
 * Left out: the controller is one reliable node here; Kafka runs a Raft quorum of controllers
 * (KRaft) so that this decision itself survives failures. The replication concept's Raft
 * (replication/raft) shows that consensus at work.
 */

import { assert } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { AlterPartitionError, ClusterMessage, PartitionState } from "./messages.js";

export interface ControllerConfig {
  sessionTimeoutMs: number;
  broadcastMs: number;
  uncleanLeaderElection: boolean;
}

interface ControllerDurable {
  partitions: PartitionState[];
  lastHeartbeatMs: Map<string, number>;
  fenced: Set<string>;
}

export class Controller extends SimNode<ClusterMessage, ControllerDurable, null> {
  /** Every election, for the narration and the checks: time, partition, leader, clean or not. */
  readonly elections: {
    timeMs: number;
    partition: number;
    leader: string | null;
    clean: boolean;
  }[] = [];

  constructor(
    id: string,
    net: Network<ClusterMessage>,
    readonly config: ControllerConfig,
    brokers: string[],
    partitions: number,
    replicationFactor: number,
  ) {
    const assignment = Array.from({ length: partitions }, (_, p): PartitionState => {
      const replicas = Array.from(
        { length: replicationFactor },
        (_, i) => brokers[(p + i) % brokers.length] as string,
      );
      return {
        partition: p,
        leader: replicas[0] ?? null,
        isr: replicas,
        replicas,
        leaderEpoch: 0,
        partitionEpoch: 0,
      };
    });
    super(id, net, {
      partitions: assignment,
      lastHeartbeatMs: new Map(brokers.map((b) => [b, 0])),
      fenced: new Set(),
    });
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    this.setTimer("tick", 0);
    this.setTimer("broadcast", 0);
  }

  state(partition: number): PartitionState {
    return this.durable.partitions[partition] as PartitionState;
  }

  override onTimer(name: string): void {
    if (name === "broadcast") {
      // Pushed again periodically, so a replica that missed a change (a lost message) catches up.
      for (const state of this.durable.partitions) this.broadcast(state);
      this.setTimer("broadcast", this.config.broadcastMs);
      return;
    }
    for (const [broker, last] of this.durable.lastHeartbeatMs) {
      if (!this.durable.fenced.has(broker) && this.sim.now - last > this.config.sessionTimeoutMs)
        this.fence(broker);
    }
    this.setTimer("tick", 10);
  }

  onMessage(from: string, msg: ClusterMessage): void {
    switch (msg.type) {
      case "Heartbeat":
        this.durable.lastHeartbeatMs.set(msg.broker, this.sim.now);
        if (this.durable.fenced.has(msg.broker)) this.unfence(msg.broker);
        break;
      case "AlterPartition": {
        const state = this.state(msg.partition);
        const error = this.validateAlterPartition(from, msg, state);
        if (error !== undefined) {
          this.send(from, {
            type: "AlterPartitionResponse",
            requestId: msg.requestId,
            partition: msg.partition,
            error,
          });
          break;
        }
        // The ISR is a set: only a change of members is a change (and bumps the partition epoch).
        const added = msg.isr.filter((b) => !state.isr.includes(b));
        const removed = state.isr.filter((b) => !msg.isr.includes(b));
        if (added.length > 0 || removed.length > 0) {
          this.update({ ...state, isr: [...msg.isr] });
          this.note(
            `ISR of partition ${msg.partition} ${removed.length > 0 ? "shrinks" : "expands"} to {${msg.isr.join(", ")}}`,
          );
        }
        this.send(from, {
          type: "AlterPartitionResponse",
          requestId: msg.requestId,
          partition: msg.partition,
          state: this.state(msg.partition),
        });
        break;
      }
      case "Metadata":
        this.send(from, {
          type: "MetadataResponse",
          requestId: msg.requestId,
          partitions: this.durable.partitions.map((s) => ({ ...s })),
        });
        break;
      default:
        break;
    }
  }

  /**
   * KRaft's ReplicationControlManager.validateAlterPartitionData, in its order. A request based on
   * an older partition epoch is refused even when it comes from the current leader: the ISR it
   * proposes was computed from a state that has since changed (a broker fenced, or an earlier
   * request applied), so applying it late could, for one, put back a replica the controller has
   * just removed.
   */
  private validateAlterPartition(
    from: string,
    msg: Extract<ClusterMessage, { type: "AlterPartition" }>,
    state: PartitionState,
  ): AlterPartitionError | undefined {
    // Epochs only the controller hands out cannot run ahead of it (Kafka answers NOT_CONTROLLER,
    // which with a single controller would be a bug).
    assert(
      msg.leaderEpoch <= state.leaderEpoch && msg.partitionEpoch <= state.partitionEpoch,
      `AlterPartition from ${from} for partition ${msg.partition} has epochs (${msg.leaderEpoch}, ${msg.partitionEpoch}) ahead of the controller's (${state.leaderEpoch}, ${state.partitionEpoch})`,
    );
    if (msg.leaderEpoch < state.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (state.leader !== from) return "INVALID_REQUEST";
    if (msg.partitionEpoch < state.partitionEpoch) return "INVALID_UPDATE_VERSION";
    if (!msg.isr.includes(from) || msg.isr.some((b) => !state.replicas.includes(b)))
      return "INVALID_REQUEST";
    if (msg.isr.some((b) => this.durable.fenced.has(b))) return "INELIGIBLE_REPLICA";
    return undefined;
  }

  private fence(broker: string): void {
    this.durable.fenced.add(broker);
    this.note(`fences ${broker}: no heartbeat for ${this.config.sessionTimeoutMs} ms`);
    for (const state of this.durable.partitions) {
      if (!state.replicas.includes(broker)) continue;
      if (state.leader !== broker) {
        if (state.isr.includes(broker))
          this.update({ ...state, isr: state.isr.filter((b) => b !== broker) });
        continue;
      }
      const candidates = state.isr.filter((b) => b !== broker && !this.durable.fenced.has(b));
      // Kafka's clean election takes the first replica, in assignment order (the replica list's,
      // not the ISR's), that is alive and in the ISR.
      const leader = state.replicas.find((b) => candidates.includes(b));
      if (leader !== undefined) {
        this.elect(state, leader, candidates, true);
      } else if (this.config.uncleanLeaderElection) {
        const live = state.replicas.filter((b) => !this.durable.fenced.has(b));
        if (live.length > 0) this.elect(state, live[0] as string, [live[0] as string], false);
        else this.goOffline(state);
      } else {
        this.goOffline(state);
      }
    }
  }

  private unfence(broker: string): void {
    this.durable.fenced.delete(broker);
    for (const state of this.durable.partitions) {
      if (!state.replicas.includes(broker)) continue;
      // An offline partition returns with the first member of its last ISR that comes back, or,
      // when unclean election is allowed, with any replica that comes back.
      if (state.leader === null && state.isr.includes(broker))
        this.elect(state, broker, [broker], true);
      else if (state.leader === null && this.config.uncleanLeaderElection)
        this.elect(state, broker, [broker], false);
      else this.send(broker, { type: "LeaderAndIsr", state });
    }
  }

  private elect(state: PartitionState, leader: string, isr: string[], clean: boolean): void {
    this.elections.push({ timeMs: this.sim.now, partition: state.partition, leader, clean });
    this.update({ ...state, leader, isr, leaderEpoch: state.leaderEpoch + 1 });
    this.note(
      clean
        ? `elects ${leader} leader of partition ${state.partition} (epoch ${state.leaderEpoch + 1}), from the in-sync replicas`
        : `UNCLEAN election: ${leader}, not in sync, leads partition ${state.partition} (epoch ${state.leaderEpoch + 1}); whatever it lacks is gone`,
      { level: "summary" },
    );
  }

  private goOffline(state: PartitionState): void {
    this.elections.push({
      timeMs: this.sim.now,
      partition: state.partition,
      leader: null,
      clean: true,
    });
    this.update({ ...state, leader: null, leaderEpoch: state.leaderEpoch + 1 });
    this.note(
      `partition ${state.partition} is offline: no in-sync replica is alive, and unclean election is off`,
      { level: "summary" },
    );
  }

  private update(state: PartitionState): void {
    const next = { ...state, partitionEpoch: state.partitionEpoch + 1 };
    this.durable.partitions[state.partition] = next;
    this.broadcast(next);
  }

  private broadcast(state: PartitionState): void {
    for (const broker of state.replicas) {
      if (!this.durable.fenced.has(broker)) this.send(broker, { type: "LeaderAndIsr", state });
    }
  }
}
