/**
 * A replica of a leaderless store: it keeps, per key, the value with the highest version it has
 * seen, and answers reads with what it has. It never coordinates with other replicas; clients do
 * the work (DDIA ch. 5, "Writing to the Database When a Node Is Down").
 *
 * Durable: the stored values. Volatile: nothing.
 */

import type { Network } from "../network.js";
import { SimNode } from "../node.js";
import type { LeaderlessMessage } from "./messages.js";

export class LeaderlessReplica extends SimNode<
  LeaderlessMessage,
  Map<string, { value: string; version: number }>,
  null
> {
  constructor(id: string, net: Network<LeaderlessMessage>) {
    super(id, net, new Map());
  }

  protected initialVolatile(): null {
    return null;
  }

  version(key: string): number {
    return this.durable.get(key)?.version ?? 0;
  }

  onMessage(from: string, msg: LeaderlessMessage): void {
    if (msg.type === "Store") {
      if (msg.version > this.version(msg.key))
        this.durable.set(msg.key, { value: msg.value, version: msg.version });
      this.send(from, { type: "Stored", requestId: msg.requestId });
    } else if (msg.type === "Fetch") {
      const stored = this.durable.get(msg.key);
      this.send(from, {
        type: "Fetched",
        requestId: msg.requestId,
        value: stored?.value ?? null,
        version: stored?.version ?? 0,
      });
    }
  }
}
