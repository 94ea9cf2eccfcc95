/**
 * A replica of single-leader replication (DDIA ch. 5, "Leaders and Followers", "Synchronous
 * Versus Asynchronous Replication", "Handling Node Outages").
 *
 * The leader appends each write to its replication log with the next LSN, pushes entries to every
 * follower (again on every heartbeat, from what the follower last acknowledged, so a follower that
 * missed messages or restarted catches up), and answers the client according to the mode:
 * - sync: once every follower has the entry;
 * - semi-sync: once the first follower (the synchronous one) has it;
 * - async: at once.
 * A follower applies entries in LSN order and acknowledges the highest it holds.
 *
 * Failover here is the naive kind: an outside monitor promotes a follower when the leader stops
 * answering (see failover.ts). Nothing stops a leader that comes back from believing it still leads.
 *
 * Durable: the log (and so the data) and whether this replica believes it is the leader.
 * Volatile: followers' acknowledged LSNs and the writes waiting for acknowledgement.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { LeaderFollowerMessage, ReplicatedWrite } from "./messages.js";

export type ReplicationMode = "sync" | "semi-sync" | "async";

export interface ReplicaConfig {
  mode: ReplicationMode;
  heartbeatMs: number;
}

interface ReplicaDurable {
  log: ReplicatedWrite[];
  isLeader: boolean;
  followers: string[];
}

interface ReplicaVolatile {
  acked: Map<string, number>;
  waiting: { requestId: string; client: string; lsn: number }[];
}

export class Replica extends SimNode<LeaderFollowerMessage, ReplicaDurable, ReplicaVolatile> {
  constructor(
    id: string,
    net: Network<LeaderFollowerMessage>,
    readonly config: ReplicaConfig,
    isLeader: boolean,
    followers: string[],
  ) {
    super(id, net, { log: [], isLeader, followers });
  }

  protected initialVolatile(): ReplicaVolatile {
    return { acked: new Map(), waiting: [] };
  }

  protected override onStart(): void {
    this.setTimer("heartbeat", this.config.heartbeatMs);
  }

  protected override onRecover(): void {
    this.setTimer("heartbeat", 0);
  }

  get isLeader(): boolean {
    return this.durable.isLeader;
  }

  get lsn(): number {
    return this.durable.log.length;
  }

  read(key: string): string | null {
    for (let i = this.durable.log.length - 1; i >= 0; i--)
      if (this.durable.log[i]?.key === key) return this.durable.log[i]?.value ?? null;
    return null;
  }

  /** A copy of the log up to `lsn`: a consistent snapshot tied to an exact position in the log. */
  snapshot(lsn = this.lsn): ReplicatedWrite[] {
    return this.durable.log.slice(0, lsn).map((e) => ({ ...e }));
  }

  /** Set up a new follower from a snapshot (an operator's action, as in DDIA's four steps). */
  installSnapshot(entries: readonly ReplicatedWrite[]): void {
    this.durable.log = entries.map((e) => ({ ...e }));
    this.note(`is set up from a snapshot at LSN ${this.lsn}`);
  }

  /** The leader starts shipping to a new follower from the snapshot's position. */
  addFollower(follower: string, fromLsn: number): void {
    this.durable.followers = [...this.durable.followers, follower];
    this.volatile.acked.set(follower, fromLsn);
    this.note(`starts shipping its log to ${follower} from LSN ${fromLsn + 1}`);
    this.push(follower);
  }

  holds(requestId: string): boolean {
    return this.durable.log.some((e) => e.requestId === requestId);
  }

  override onTimer(name: string): void {
    if (name !== "heartbeat") return;
    if (this.durable.isLeader) for (const f of this.durable.followers) this.push(f);
    this.setTimer("heartbeat", this.config.heartbeatMs);
  }

  onMessage(from: string, msg: LeaderFollowerMessage): void {
    switch (msg.type) {
      case "Write":
        this.write(from, msg);
        break;
      case "Read":
        this.send(from, {
          type: "ReadOk",
          requestId: msg.requestId,
          value: this.read(msg.key),
          lsn: this.lsn,
        });
        break;
      case "Replicate":
        for (const e of msg.entries) if (e.lsn === this.lsn + 1) this.durable.log.push(e);
        this.send(from, { type: "ReplicateAck", lsn: this.lsn });
        break;
      case "ReplicateAck":
        if (msg.lsn > (this.volatile.acked.get(from) ?? 0)) this.volatile.acked.set(from, msg.lsn);
        this.answerWaiting();
        break;
      case "Ping":
        this.send(from, { type: "Pong", lsn: this.lsn, leader: this.durable.isLeader });
        break;
      case "Promote":
        this.durable.isLeader = true;
        this.durable.followers = [...msg.followers];
        this.volatile.acked = new Map();
        this.note(`is promoted to leader at LSN ${this.lsn}`, { level: "summary" });
        this.onTimer("heartbeat");
        break;
      case "FollowNewLeader":
        if (this.durable.isLeader) this.note(`steps down: ${msg.leader} is the new leader`);
        this.durable.isLeader = false;
        // The naive approach: keep whatever log this replica has; the new leader's entries with the
        // same LSNs are simply not applied (LSN already taken), a classic source of divergence.
        break;
      case "WriteOk":
      case "NotLeader":
      case "ReadOk":
      case "Pong":
        break;
    }
  }

  private write(from: string, msg: Extract<LeaderFollowerMessage, { type: "Write" }>): void {
    if (!this.durable.isLeader) {
      this.send(from, { type: "NotLeader", requestId: msg.requestId });
      return;
    }
    const existing = this.durable.log.find((e) => e.requestId === msg.requestId);
    const lsn = existing?.lsn ?? this.lsn + 1;
    if (existing === undefined)
      this.durable.log.push({ lsn, key: msg.key, value: msg.value, requestId: msg.requestId });
    this.volatile.waiting.push({ requestId: msg.requestId, client: from, lsn });
    for (const f of this.durable.followers) this.push(f);
    this.answerWaiting();
  }

  private push(follower: string): void {
    const from = this.volatile.acked.get(follower) ?? 0;
    this.send(follower, {
      type: "Replicate",
      entries: this.durable.log.slice(from, from + 50),
      leaderLsn: this.lsn,
    });
  }

  private answerWaiting(): void {
    const acked = (f: string) => this.volatile.acked.get(f) ?? 0;
    this.volatile.waiting = this.volatile.waiting.filter((w) => {
      const followers = this.durable.followers;
      const enough =
        this.config.mode === "async" ||
        followers.length === 0 ||
        (this.config.mode === "sync"
          ? followers.every((f) => acked(f) >= w.lsn)
          : acked(followers[0] as string) >= w.lsn);
      if (enough) this.send(w.client, { type: "WriteOk", requestId: w.requestId, lsn: w.lsn });
      return !enough;
    });
  }
}
