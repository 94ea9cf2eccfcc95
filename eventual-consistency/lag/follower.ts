/**
 * A follower of one partition (DDIA ch. 5, "Leaders and Followers"; "Problems with Replication
 * Lag"): it appends the entries the leader ships, in LSN order, acknowledges the position it has
 * received, and applies each entry `lagMs` after receiving it, as a busy follower applies its
 * relay log behind the leader. (MySQL's delayed replication, MASTER_DELAY, is close but counts its
 * delay from the event's execution on the source, not from its arrival: MySQL 5.7 manual, "Delayed
 * Replication".) Reads see only what has been applied: that gap is the replication lag the book's
 * anomalies live in.
 *
 * A read may name a minimum position (`minLsn`): a follower that has not applied that far answers
 * Behind instead of a stale value, and the client goes elsewhere (DDIA ch. 5, "Reading Your Own
 * Writes": "if a replica is not sufficiently up to date, either the read can be handled by another
 * replica or the query can wait until the replica has caught up").
 *
 * Durable: the received log, how far it is applied, and the applied data (a database's data
 * survives a restart). Volatile: when each received entry is due to be applied; after a restart
 * the entries not yet applied are applied `lagMs` later.
 * Messages: Replicate, Read.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { LagMessage, LogEntry } from "./messages.js";

interface FollowerDurable {
  log: LogEntry[];
  appliedLsn: number;
  latest: Map<string, LogEntry>;
}

interface FollowerVolatile {
  /** Received entries not yet applied, with the time each is due, in LSN order. */
  due: { lsn: number; atMs: number }[];
}

export class Follower extends SimNode<LagMessage, FollowerDurable, FollowerVolatile> {
  constructor(
    id: string,
    net: Network<LagMessage>,
    readonly leader: string,
    readonly lagMs: number,
  ) {
    super(id, net, { log: [], appliedLsn: 0, latest: new Map() });
  }

  protected initialVolatile(): FollowerVolatile {
    return { due: [] };
  }

  get appliedLsn(): number {
    return this.durable.appliedLsn;
  }

  protected override onRecover(): void {
    for (let lsn = this.durable.appliedLsn + 1; lsn <= this.durable.log.length; lsn++)
      this.volatile.due.push({ lsn, atMs: this.sim.now + this.lagMs });
    this.applyDue();
  }

  onMessage(from: string, msg: LagMessage): void {
    switch (msg.type) {
      case "Replicate": {
        for (const entry of msg.entries) {
          // Only the next entry in LSN order is appended: a gap waits for the leader's resend.
          if (entry.lsn !== this.durable.log.length + 1) continue;
          this.durable.log.push(entry);
          this.volatile.due.push({ lsn: entry.lsn, atMs: this.sim.now + this.lagMs });
        }
        this.send(from, { type: "ReplicateAck", lsn: this.durable.log.length });
        this.applyDue();
        return;
      }
      case "Read": {
        if (this.durable.appliedLsn < msg.minLsn) {
          this.send(from, {
            type: "Behind",
            requestId: msg.requestId,
            appliedLsn: this.durable.appliedLsn,
          });
          return;
        }
        const entry = this.durable.latest.get(msg.key);
        this.send(from, {
          type: "ReadOk",
          requestId: msg.requestId,
          value: entry?.value ?? null,
          valueLsn: entry?.lsn ?? 0,
          dependencies: entry?.dependencies ?? {},
          appliedLsn: this.durable.appliedLsn,
        });
        return;
      }
      case "Write":
      case "WriteOk":
      case "ReadOk":
      case "Behind":
      case "ReplicateAck":
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    if (name === "apply") this.applyDue();
  }

  /** Apply every entry that is due, in LSN order, and arm the timer for the next. */
  private applyDue(): void {
    const due = this.volatile.due;
    let applied = 0;
    while (applied < due.length && (due[applied] as { atMs: number }).atMs <= this.sim.now) {
      const entry = this.durable.log[this.durable.appliedLsn] as LogEntry;
      this.durable.latest.set(entry.key, entry);
      this.durable.appliedLsn = entry.lsn;
      applied++;
    }
    due.splice(0, applied);
    const next = due[0];
    if (next !== undefined) this.setTimer("apply", next.atMs - this.sim.now);
  }
}
