/**
 * The leader of one partition (DDIA ch. 5, "Leaders and Followers"; "Synchronous Versus
 * Asynchronous Replication"): it appends each write to its replication log with the next log
 * sequence number (LSN), acknowledges it at once, and ships the log to its followers without
 * waiting for them (asynchronous replication, the setting of "Problems with Replication Lag").
 * Every heartbeat it resends what each follower has not acknowledged, so a follower that missed a
 * message, or restarted, catches up.
 *
 * Durable: the log, and the LSN of each request id (a retried or duplicated write is appended
 * once). Volatile: the position each follower has acknowledged.
 * Messages: Write, Read (answered from the whole log), ReplicateAck.
 *
 * Left out: failover. The leader never crashes in these scenarios; only followers do.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { LagMessage, LogEntry } from "./messages.js";

/** How often the leader resends what a follower has not acknowledged. */
export const HEARTBEAT_MS = 20;

/** At most this many entries in one Replicate message. */
const BATCH_MAX = 256;

interface LeaderDurable {
  log: LogEntry[];
  lsnOfRequest: Map<string, number>;
  /** The latest entry of each key: the leader's copy of the data. */
  latest: Map<string, LogEntry>;
}

interface LeaderVolatile {
  acknowledged: Map<string, number>;
}

export class Leader extends SimNode<LagMessage, LeaderDurable, LeaderVolatile> {
  constructor(
    id: string,
    net: Network<LagMessage>,
    readonly followers: readonly string[],
  ) {
    super(id, net, { log: [], lsnOfRequest: new Map(), latest: new Map() });
  }

  protected initialVolatile(): LeaderVolatile {
    return { acknowledged: new Map(this.followers.map((f) => [f, 0])) };
  }

  protected override onStart(): void {
    this.setTimer("heartbeat", HEARTBEAT_MS);
  }

  get lsn(): number {
    return this.durable.log.length;
  }

  onMessage(from: string, msg: LagMessage): void {
    switch (msg.type) {
      case "Write": {
        let lsn = this.durable.lsnOfRequest.get(msg.requestId);
        if (lsn === undefined) {
          lsn = this.durable.log.length + 1;
          const entry: LogEntry = {
            lsn,
            key: msg.key,
            value: msg.value,
            requestId: msg.requestId,
            dependencies: msg.dependencies,
          };
          this.durable.log.push(entry);
          this.durable.lsnOfRequest.set(msg.requestId, lsn);
          this.durable.latest.set(msg.key, entry);
          for (const follower of this.followers) this.ship(follower);
        }
        this.send(from, { type: "WriteOk", requestId: msg.requestId, lsn });
        return;
      }
      case "Read": {
        // The leader has every write it acknowledged: it is never behind any position.
        const entry = this.durable.latest.get(msg.key);
        this.send(from, {
          type: "ReadOk",
          requestId: msg.requestId,
          value: entry?.value ?? null,
          valueLsn: entry?.lsn ?? 0,
          dependencies: entry?.dependencies ?? {},
          appliedLsn: this.lsn,
        });
        return;
      }
      case "ReplicateAck": {
        const known = this.volatile.acknowledged.get(from) ?? 0;
        this.volatile.acknowledged.set(from, Math.max(known, msg.lsn));
        return;
      }
      case "WriteOk":
      case "ReadOk":
      case "Behind":
      case "Replicate":
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    if (name !== "heartbeat") return;
    for (const follower of this.followers)
      if ((this.volatile.acknowledged.get(follower) ?? 0) < this.lsn) this.ship(follower);
    this.setTimer("heartbeat", HEARTBEAT_MS);
  }

  /** Send a follower every entry after the position it acknowledged. */
  private ship(follower: string): void {
    const from = this.volatile.acknowledged.get(follower) ?? 0;
    const entries = this.durable.log.slice(from, from + BATCH_MAX);
    if (entries.length > 0) this.send(follower, { type: "Replicate", entries });
  }
}
