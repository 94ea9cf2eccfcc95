/**
 * A client: one user's session (DDIA ch. 5, "Problems with Replication Lag"), running its script
 * of reads and writes one at a time. Writes go to the leader of the key's partition. Where a read
 * goes is the routing policy, which is what the three scenarios vary:
 *
 * - `any-follower`: any follower, at random, for every read: what "Problems with Replication Lag"
 *   starts from, and what breaks all three guarantees.
 * - `leader-after-write`: for `recentMs` after the user's last write, every read goes to the
 *   leader; otherwise to any follower ("Reading Your Own Writes": "track the time of the last
 *   update and, for one minute after the last update, make all reads from the leader").
 * - `position-after-write`: the client remembers the LSN of its last write and reads only from a
 *   replica that has applied that far: a follower that has not answers Behind and the client asks
 *   another, and finally the leader ("the client can remember the timestamp of its most recent
 *   write ... a logical timestamp ... such as the log sequence number").
 * - `sticky`: the user always reads from one follower, chosen by a hash of the user id
 *   (murmur3_32), and fails over to the next follower when that one does not answer within the
 *   timeout ("Monotonic Reads"). `failover` says what the next one must have: `naive`, anything;
 *   `position`, the position of the newest replica this user has read from (it answers Behind
 *   until it has caught up, and the leader comes last); `none` never fails over: a read its
 *   follower does not answer within the timeout fails (a broken variant for the tests).
 * - `causal`: sticky, and the session tracks the causal dependencies of what it has seen (the
 *   position of each of its own writes and of each value it read, and the dependencies that value
 *   carries, per partition); every write carries them, and a read on a partition goes only to a
 *   replica that has applied at least the session's position there ("Consistent Prefix Reads":
 *   "algorithms that explicitly keep track of causal dependencies").
 * - `leader`: every read from the leader (Mrs. Cake, who must see the question to answer it); with
 *   `dependencies`, the session tracks and carries them as `causal` does.
 *
 * A request that gets no answer within the timeout is sent again (a write to the same leader with
 * the same request id, so the leader appends it once; a read to the next replica the policy
 * allows), at most `MAX_ATTEMPTS` times, after which a write's outcome is unknown (`info`) and a
 * read fails. Every call and return goes into the history the consistency checker judges.
 */

import { type CheckedOp, recordCall, recordReturn } from "../../shared/check/linearizability.js";
import { murmur3_32 } from "../../shared/hash.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { ClientScript, PlannedOperation } from "../workload.js";
import type { Dependencies, LagMessage } from "./messages.js";

export type RoutingPolicy =
  | { kind: "any-follower" }
  | { kind: "leader-after-write"; recentMs: number }
  | {
      kind: "position-after-write";
      /** A deliberately broken variant for the tests: remember the first write's LSN, not the last. */
      remembers?: "last-write" | "first-write";
    }
  | { kind: "sticky"; failover: "naive" | "position" | "none" }
  | { kind: "causal" }
  | { kind: "leader"; dependencies?: boolean };

/** How long a client waits for an answer before it asks again (a few round trips of 1 to 10 ms). */
export const TIMEOUT_MS = 50;
/** Requests per operation before the client gives up on it. */
export const MAX_ATTEMPTS = 12;

export interface PartitionReplicas {
  leader: string;
  followers: readonly string[];
}

export interface ReadRecord {
  op: CheckedOp;
  partition: number;
  /** The replica that answered, and how far it had applied its partition's log then. */
  replica?: string;
  appliedLsn?: number;
  /** The LSN of the write whose value the read returned (0: nil). */
  valueLsn?: number;
  /** The position the client asked for (0: none). */
  minLsn: number;
  fromLeader: boolean;
  /** Requests sent for this read, Behind answers among them, and timeouts. */
  attempts: number;
  behind: number;
  timeouts: number;
}

export interface WriteRecord {
  op: CheckedOp;
  partition: number;
  lsn?: number;
  attempts: number;
}

interface Pending {
  requestId: string;
  planned: PlannedOperation;
  partition: number;
  candidates: string[];
  attempt: number;
  read?: ReadRecord;
  write?: WriteRecord;
  dependencies: Dependencies;
  minLsn: number;
}

export class Client extends SimNode<LagMessage, Record<string, never>, Record<string, never>> {
  readonly history: CheckedOp[];
  readonly reads: ReadRecord[] = [];
  readonly writes: WriteRecord[] = [];
  done = false;
  /** The session's position per partition: what every read there must have reached. */
  private readonly position = new Map<number, number>();
  private readonly dependencies = new Map<number, number>();
  private lastWriteCallMs = Number.NEGATIVE_INFINITY;
  private next = 0;
  private pending: Pending | undefined;
  private requests = 0;

  constructor(
    readonly script: ClientScript,
    net: Network<LagMessage>,
    history: CheckedOp[],
    readonly policy: RoutingPolicy,
    readonly partitions: readonly PartitionReplicas[],
    readonly partitionOf: (key: string) => number,
  ) {
    super(script.client, net, {});
    this.history = history;
  }

  protected initialVolatile(): Record<string, never> {
    return {};
  }

  protected override onStart(): void {
    this.schedule();
  }

  private schedule(): void {
    const planned = this.script.operations[this.next];
    if (planned === undefined) {
      this.done = true;
      return;
    }
    this.setTimer("think", planned.thinkMs);
  }

  override onTimer(name: string): void {
    if (name === "think") this.begin();
    else if (name === "timeout") this.timedOut();
  }

  private begin(): void {
    const planned = this.script.operations[this.next] as PlannedOperation;
    const partition = this.partitionOf(planned.key);
    const replicas = this.partitions[partition] as PartitionReplicas;
    const op = recordCall(this.history, {
      process: this.id,
      f: planned.f,
      key: planned.key,
      input: planned.value,
      callTime: this.sim.now,
    });
    const requestId = `${this.id}#${++this.requests}`;
    if (planned.f === "write") {
      this.lastWriteCallMs = this.sim.now;
      const write: WriteRecord = { op, partition, attempts: 0 };
      this.writes.push(write);
      const dependencies = this.tracksDependencies() ? Object.fromEntries(this.dependencies) : {};
      this.pending = {
        requestId,
        planned,
        partition,
        candidates: [replicas.leader],
        attempt: 0,
        write,
        dependencies,
        minLsn: 0,
      };
    } else {
      const minLsn = this.needsPosition() ? (this.position.get(partition) ?? 0) : 0;
      const read: ReadRecord = {
        op,
        partition,
        minLsn,
        fromLeader: false,
        attempts: 0,
        behind: 0,
        timeouts: 0,
      };
      this.reads.push(read);
      this.pending = {
        requestId,
        planned,
        partition,
        candidates: this.route(replicas),
        attempt: 0,
        read,
        dependencies: {},
        minLsn,
      };
    }
    this.attempt();
  }

  private tracksDependencies(): boolean {
    const p = this.policy;
    return p.kind === "causal" || (p.kind === "leader" && p.dependencies === true);
  }

  private needsPosition(): boolean {
    const p = this.policy;
    return (
      p.kind === "position-after-write" ||
      p.kind === "causal" ||
      (p.kind === "sticky" && p.failover === "position")
    );
  }

  /** The replicas a read tries, in order (the last one is repeated if attempts remain). */
  private route(replicas: PartitionReplicas): string[] {
    const { leader, followers } = replicas;
    const home = murmur3_32(this.id) % followers.length;
    const ring = followers.map((_, i) => followers[(home + i) % followers.length] as string);
    const p = this.policy;
    switch (p.kind) {
      case "any-follower":
        return this.random.shuffle(followers);
      case "leader-after-write":
        return this.sim.now - this.lastWriteCallMs < p.recentMs
          ? [leader]
          : this.random.shuffle(followers);
      case "position-after-write":
        return [...this.random.shuffle(followers), leader];
      case "sticky":
        return p.failover === "none"
          ? [ring[0] as string]
          : p.failover === "naive"
            ? ring
            : [...ring, leader];
      case "causal":
        return [...ring, leader];
      case "leader":
        return [leader];
    }
  }

  private attempt(): void {
    const pending = this.pending as Pending;
    // Sticky routing that never fails over has nowhere else to ask: its read fails at the timeout.
    const noFailover =
      pending.read !== undefined &&
      this.policy.kind === "sticky" &&
      this.policy.failover === "none";
    if (pending.attempt >= (noFailover ? 1 : MAX_ATTEMPTS)) {
      // Out of attempts: a write may or may not have happened; a read returned nothing.
      if (pending.write !== undefined) this.finish();
      else {
        recordReturn((pending.read as ReadRecord).op, "fail", this.sim.now);
        this.finish();
      }
      return;
    }
    const { candidates } = pending;
    // Naive sticky and any-follower cycle through their list; the others end on their last replica.
    const cycles =
      this.policy.kind === "any-follower" ||
      (this.policy.kind === "sticky" && this.policy.failover === "naive");
    const index = cycles
      ? pending.attempt % candidates.length
      : Math.min(pending.attempt, candidates.length - 1);
    const to = candidates[index] as string;
    pending.attempt++;
    if (pending.write !== undefined) {
      pending.write.attempts++;
      this.send(to, {
        type: "Write",
        requestId: pending.requestId,
        key: pending.planned.key,
        value: pending.planned.value as string,
        dependencies: pending.dependencies,
      });
    } else {
      (pending.read as ReadRecord).attempts++;
      this.send(to, {
        type: "Read",
        requestId: pending.requestId,
        key: pending.planned.key,
        minLsn: pending.minLsn,
      });
    }
    this.setTimer("timeout", TIMEOUT_MS);
  }

  private timedOut(): void {
    if (this.pending === undefined) return;
    if (this.pending.read !== undefined) this.pending.read.timeouts++;
    this.attempt();
  }

  onMessage(from: string, msg: LagMessage): void {
    const pending = this.pending;
    if (pending === undefined || !("requestId" in msg) || msg.requestId !== pending.requestId)
      return; // an answer to an earlier attempt, or a duplicate
    switch (msg.type) {
      case "WriteOk": {
        const write = pending.write as WriteRecord;
        write.lsn = msg.lsn;
        recordReturn(write.op, "ok", this.sim.now);
        const stale =
          this.policy.kind === "position-after-write" &&
          this.policy.remembers === "first-write" &&
          this.position.has(pending.partition);
        if ((this.policy.kind === "position-after-write" && !stale) || this.tracksDependencies())
          this.advance(pending.partition, msg.lsn);
        this.finish();
        return;
      }
      case "ReadOk": {
        const read = pending.read as ReadRecord;
        read.replica = from;
        read.appliedLsn = msg.appliedLsn;
        read.valueLsn = msg.valueLsn;
        read.fromLeader = from === (this.partitions[pending.partition] as PartitionReplicas).leader;
        recordReturn(read.op, "ok", this.sim.now, msg.value);
        if (this.policy.kind === "sticky" && this.policy.failover === "position")
          this.advance(pending.partition, msg.appliedLsn);
        if (this.tracksDependencies()) {
          this.advance(pending.partition, msg.valueLsn);
          for (const [partition, lsn] of Object.entries(msg.dependencies))
            this.advance(Number(partition), lsn);
        }
        this.finish();
        return;
      }
      case "Behind": {
        (pending.read as ReadRecord).behind++;
        this.cancelTimer("timeout");
        this.attempt();
        return;
      }
      case "Write":
      case "Read":
        return;
    }
  }

  /** Raise the session's position (and, for `causal`, what its writes depend on). */
  private advance(partition: number, lsn: number): void {
    this.position.set(partition, Math.max(this.position.get(partition) ?? 0, lsn));
    this.dependencies.set(partition, Math.max(this.dependencies.get(partition) ?? 0, lsn));
  }

  private finish(): void {
    this.cancelTimer("timeout");
    this.pending = undefined;
    this.next++;
    this.schedule();
  }
}
