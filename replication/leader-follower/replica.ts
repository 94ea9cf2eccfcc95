/**
 * A replica of single-leader replication (DDIA ch. 5, "Leaders and Followers", "Synchronous
 * Versus Asynchronous Replication", "Handling Node Outages").
 *
 * The leader appends each write to its replication log with the next LSN, pushes entries to every
 * follower (again on every heartbeat, from what the follower last acknowledged, so a follower that
 * missed messages or restarted catches up), and answers the client according to the mode:
 * - sync: once every follower has the entry;
 * - semi-sync: once the synchronous follower has it. One follower is synchronous (the first, at
 *   start and after a restart of the leader), the others asynchronous. "If the synchronous follower
 *   becomes unavailable or slow, one of the asynchronous followers is made synchronous" (DDIA ch. 5,
 *   "Synchronous Versus Asynchronous Replication"), which keeps an up-to-date copy of every
 *   acknowledged write on at least two nodes. The leader judges the synchronous follower unavailable
 *   or slow when a write has waited `syncTimeoutMs` for its acknowledgement (a crashed follower, a
 *   slow link and lost messages look the same from here), and makes synchronous the asynchronous
 *   follower with the highest acknowledged LSN, which will have the waiting writes soonest;
 * - async: at once.
 * A follower applies entries in LSN order and acknowledges the highest it holds.
 *
 * Failover here is the naive kind: an outside monitor promotes a follower when the leader stops
 * answering (see failover.ts). Nothing stops a leader that comes back from believing it still leads.
 *
 * Durable: the log (and so the data), an index of it by request id (as a database keeps its
 * indexes on disk), and whether this replica believes it is the leader.
 * Volatile: followers' acknowledged LSNs, the writes waiting for acknowledgement, and which
 * follower is synchronous.
 *
 * Left out: real systems also let the old synchronous follower take its place back once it has
 * caught up, and MySQL's semi-synchronous replication falls back to asynchronous after a timeout
 * when no follower answers; here the leader keeps switching among the followers and the write
 * waits.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { REF } from "../refs.js";
import type { LeaderFollowerMessage, ReplicatedWrite } from "./messages.js";

export type ReplicationMode = "sync" | "semi-sync" | "async";

export interface ReplicaConfig {
  mode: ReplicationMode;
  heartbeatMs: number;
  /**
   * Semi-sync only: how long a write may wait for the synchronous follower's acknowledgement
   * before the leader judges that follower unavailable or slow and makes another synchronous.
   */
  syncTimeoutMs?: number;
}

/** Semi-sync's default patience: a few round trips at this project's 1 to 10 ms latencies. */
export const SYNC_TIMEOUT_MS = 40;

/**
 * Semi-sync: how many switches of the synchronous follower a leader narrates. Under heavy loss
 * every follower in turn looks slow, and the leader switches every `syncTimeoutMs`; one note for
 * each would bury the story, so after these it says once that it goes on switching, and
 * `synchronousSwitches` counts them all.
 */
export const SWITCHES_NARRATED = 3;

interface ReplicaDurable {
  log: ReplicatedWrite[];
  /** The LSN of each request id in the log: a retried or duplicated write is appended once. */
  lsnOfRequest: Map<string, number>;
  isLeader: boolean;
  followers: string[];
}

interface Waiting {
  requestId: string;
  client: string;
  lsn: number;
  /** When the write began to wait for the current synchronous follower. */
  sinceMs: number;
}

interface ReplicaVolatile {
  acked: Map<string, number>;
  waiting: Waiting[];
  /** Semi-sync: the follower whose acknowledgement releases a write. */
  synchronous: string | undefined;
  /** Whether the leader has said that it has no other follower to make synchronous. */
  toldNoOtherFollower: boolean;
}

export class Replica extends SimNode<LeaderFollowerMessage, ReplicaDurable, ReplicaVolatile> {
  /**
   * Semi-sync: every switch of the synchronous follower this replica made, narrated or not, over
   * its whole life (a statistic for the narration, not state of the protocol: a crash keeps it).
   */
  synchronousSwitches = 0;

  constructor(
    id: string,
    net: Network<LeaderFollowerMessage>,
    readonly config: ReplicaConfig,
    isLeader: boolean,
    followers: string[],
  ) {
    super(id, net, { log: [], lsnOfRequest: new Map(), isLeader, followers });
  }

  protected initialVolatile(): ReplicaVolatile {
    return {
      acked: new Map(),
      waiting: [],
      synchronous: this.durable.followers[0],
      toldNoOtherFollower: false,
    };
  }

  /** Semi-sync: the follower currently synchronous (undefined in the other modes or without followers). */
  get synchronousFollower(): string | undefined {
    return this.config.mode === "semi-sync" ? this.volatile.synchronous : undefined;
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
    this.durable.log = [];
    this.durable.lsnOfRequest = new Map();
    for (const e of entries) this.append({ ...e });
    this.note(`is set up from a snapshot at LSN ${this.lsn}`);
  }

  /** The leader starts shipping to a new follower from the snapshot's position. */
  addFollower(follower: string, fromLsn: number): void {
    this.durable.followers = [...this.durable.followers, follower];
    this.volatile.acked.set(follower, fromLsn);
    this.volatile.synchronous ??= follower;
    this.note(`starts shipping its log to ${follower} from LSN ${fromLsn + 1}`);
    this.push(follower);
  }

  /** The entry at `lsn` (1-based), if this replica holds it. */
  entryAt(lsn: number): ReplicatedWrite | undefined {
    return this.durable.log[lsn - 1];
  }

  holds(requestId: string): boolean {
    return this.durable.lsnOfRequest.has(requestId);
  }

  private append(entry: ReplicatedWrite): void {
    this.durable.log.push(entry);
    this.durable.lsnOfRequest.set(entry.requestId, entry.lsn);
  }

  override onTimer(name: string): void {
    if (name === "sync-timeout") {
      this.checkSynchronousFollower();
      return;
    }
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
        for (const e of msg.entries) if (e.lsn === this.lsn + 1) this.append(e);
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
        this.volatile.waiting = [];
        this.volatile.synchronous = this.durable.followers[0];
        this.note(`is promoted to leader at LSN ${this.lsn}`, { level: "summary" });
        this.onTimer("heartbeat");
        break;
      case "FollowNewLeader":
        if (this.durable.isLeader) this.note(`steps down: ${msg.leader} is the new leader`);
        this.durable.isLeader = false;
        // Writes still waiting for followers will never be answered here; their clients time out.
        this.volatile.waiting = [];
        this.cancelTimer("sync-timeout");
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
    const existing = this.durable.lsnOfRequest.get(msg.requestId);
    const lsn = existing ?? this.lsn + 1;
    if (existing === undefined)
      this.append({ lsn, key: msg.key, value: msg.value, requestId: msg.requestId });
    this.volatile.waiting.push({
      requestId: msg.requestId,
      client: from,
      lsn,
      sinceMs: this.sim.now,
    });
    for (const f of this.durable.followers) this.push(f);
    this.answerWaiting();
    if (this.volatile.waiting.length > 0 && !this.hasTimer("sync-timeout")) this.armSyncTimeout();
  }

  private get syncTimeoutMs(): number {
    return this.config.syncTimeoutMs ?? SYNC_TIMEOUT_MS;
  }

  /** Semi-sync: wake up when the oldest waiting write will have waited `syncTimeoutMs`. */
  private armSyncTimeout(): void {
    if (this.config.mode !== "semi-sync" || !this.durable.isLeader) return;
    let oldestMs = Number.POSITIVE_INFINITY;
    for (const w of this.volatile.waiting) oldestMs = Math.min(oldestMs, w.sinceMs);
    if (oldestMs === Number.POSITIVE_INFINITY) return;
    this.setTimer("sync-timeout", Math.max(0, oldestMs + this.syncTimeoutMs - this.sim.now));
  }

  /**
   * Semi-sync: a write has waited `syncTimeoutMs` for the synchronous follower, which is judged
   * unavailable or slow; the most up-to-date asynchronous follower is made synchronous instead
   * (DDIA ch. 5, "Synchronous Versus Asynchronous Replication").
   */
  private checkSynchronousFollower(): void {
    const waiting = this.volatile.waiting;
    // A microsecond's slack: the timer fires at now + (deadline - now), which floating point
    // arithmetic may leave a hair short of the deadline.
    const late = waiting.find((w) => w.sinceMs + this.syncTimeoutMs <= this.sim.now + 1e-3);
    const current = this.volatile.synchronous;
    if (late !== undefined && current !== undefined && this.durable.isLeader) {
      const acked = (f: string) => this.volatile.acked.get(f) ?? 0;
      let next: string | undefined;
      for (const f of this.durable.followers)
        if (f !== current && (next === undefined || acked(f) > acked(next))) next = f;
      if (next === undefined) {
        if (!this.volatile.toldNoOtherFollower)
          this.note(
            `has no acknowledgement of LSN ${late.lsn} from ${current} after ${this.syncTimeoutMs} ms, but no other follower to make synchronous: the write waits for ${current}`,
            { ref: REF.syncAsync },
          );
        this.volatile.toldNoOtherFollower = true;
        // Waiting longer for the only follower: give it another full timeout before saying more.
        for (const w of waiting) w.sinceMs = this.sim.now;
      } else {
        this.volatile.synchronous = next;
        const switches = ++this.synchronousSwitches;
        const candidates = this.durable.followers.filter((f) => f !== current);
        const tied = candidates.filter((f) => acked(f) === acked(next));
        const chosen =
          candidates.length === 1
            ? `${next}, the only asynchronous follower (acknowledged LSN ${acked(next)}), synchronous`
            : tied.length > 1
              ? `${next} synchronous, the first of the asynchronous followers tied as most up to date (${tied.slice(0, -1).join(", ")} and ${tied.at(-1)}: acknowledged LSN ${acked(next)})`
              : `${next}, the most up-to-date asynchronous follower (acknowledged LSN ${acked(next)}), synchronous`;
        if (switches <= SWITCHES_NARRATED)
          this.note(
            `has no acknowledgement of LSN ${late.lsn} from ${current} after ${this.syncTimeoutMs} ms: judges ${current} unavailable or slow, and makes ${chosen}; ${current} continues as asynchronous`,
            { level: "summary", ref: REF.syncAsync },
          );
        else if (switches === SWITCHES_NARRATED + 1)
          this.note(
            `has no acknowledgement of LSN ${late.lsn} from ${current} after ${this.syncTimeoutMs} ms either, and makes ${next} synchronous (switch ${switches}); whenever its synchronous follower does not acknowledge within ${this.syncTimeoutMs} ms it switches again, from here on without a note for each`,
            { level: "summary", ref: REF.syncAsync },
          );
        // The waiting writes now wait for the new synchronous follower, with a full timeout.
        for (const w of waiting) w.sinceMs = this.sim.now;
        this.answerWaiting();
      }
    }
    this.armSyncTimeout();
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
    const synchronous = this.volatile.synchronous;
    this.volatile.waiting = this.volatile.waiting.filter((w) => {
      const followers = this.durable.followers;
      const enough =
        this.config.mode === "async" ||
        followers.length === 0 ||
        (this.config.mode === "sync"
          ? followers.every((f) => acked(f) >= w.lsn)
          : acked(synchronous ?? (followers[0] as string)) >= w.lsn);
      if (enough) this.send(w.client, { type: "WriteOk", requestId: w.requestId, lsn: w.lsn });
      return !enough;
    });
  }
}
