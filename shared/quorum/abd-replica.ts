/**
 * A replica of the ABD register (DDIA ch. 9, "Linearizability and quorums"; see abd-messages.ts):
 * per key, the value with the highest timestamp it has been sent. It answers a Query with what it
 * holds and an Update with an acknowledgement, taking the update's value only when its timestamp
 * is higher. It never talks to other replicas: the clients carry values between them, as in the
 * leaderless store of replica.ts (DDIA ch. 5, "Leaderless Replication").
 *
 * Durable: the stored (timestamp, value) per key. Volatile: nothing.
 *
 * Left out: background repair. Cassandra's reads at QUORUM come close to the reader's half (their
 * blocking read repair writes the newest value back to the replicas the read touched before
 * answering, for "monotonic quorum reads"; Cassandra docs, "Read repair"), but its writes take a
 * timestamp from the coordinator or client instead of reading a quorum's first, and it also repairs
 * replicas in the background (anti-entropy repair). Here a replica catches up only when a later
 * operation on the key sends it an Update.
 */

import type { Network } from "../network.js";
import { SimNode } from "../node.js";
import { type AbdMessage, compareTimestamps, type Timestamp, ZERO } from "./abd-messages.js";

export interface Stamped {
  timestamp: Timestamp;
  value: string | null;
}

export class AbdReplica extends SimNode<AbdMessage, Map<string, Stamped>, null> {
  constructor(id: string, net: Network<AbdMessage>) {
    super(id, net, new Map());
  }

  protected initialVolatile(): null {
    return null;
  }

  /** What this replica holds for `key` (nil at timestamp zero when never written). */
  stored(key: string): Stamped {
    return this.durable.get(key) ?? { timestamp: ZERO, value: null };
  }

  onMessage(from: string, msg: AbdMessage): void {
    switch (msg.type) {
      case "Query": {
        const { timestamp, value } = this.stored(msg.key);
        this.send(from, { type: "QueryReply", requestId: msg.requestId, timestamp, value });
        return;
      }
      case "Update":
        if (compareTimestamps(msg.timestamp, this.stored(msg.key).timestamp) > 0)
          this.durable.set(msg.key, { timestamp: msg.timestamp, value: msg.value });
        this.send(from, { type: "UpdateAck", requestId: msg.requestId });
        return;
      case "QueryReply":
      case "UpdateAck":
        return; // Replies go to clients; a replica is never sent one.
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }
}
