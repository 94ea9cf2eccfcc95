/**
 * The client of the secondary-index scenario: it sends a request and collects the replies, so the
 * scenario can ask "what did the query return, and how many messages did it take?".
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { Car, IndexMessage } from "./messages.js";
import { carPartition, partitionId, termPartition } from "./partition-node.js";

export interface QueryOutcome {
  carIds: number[];
  replies: number;
}

export class IndexClient extends SimNode<IndexMessage, null, null> {
  private nextRequestId = 1;
  private readonly outcomes = new Map<number, QueryOutcome>();
  private readonly acked = new Set<number>();

  constructor(
    id: string,
    net: Network<IndexMessage>,
    readonly partitions: number,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  write(car: Car): number {
    const requestId = this.nextRequestId++;
    this.send(partitionId(carPartition(car.id, this.partitions)), {
      type: "WriteCar",
      requestId,
      car,
    });
    return requestId;
  }

  writeAcknowledged(requestId: number): boolean {
    return this.acked.has(requestId);
  }

  /** Scatter the query to every partition's local index. */
  queryLocal(term: string): number {
    const requestId = this.nextRequestId++;
    this.outcomes.set(requestId, { carIds: [], replies: 0 });
    for (let p = 0; p < this.partitions; p++)
      this.send(partitionId(p), { type: "QueryLocal", requestId, term });
    return requestId;
  }

  /** Ask the one partition that owns the term in the global index. */
  queryGlobal(term: string): number {
    const requestId = this.nextRequestId++;
    this.outcomes.set(requestId, { carIds: [], replies: 0 });
    this.send(partitionId(termPartition(term, this.partitions)), {
      type: "QueryGlobal",
      requestId,
      term,
    });
    return requestId;
  }

  outcome(requestId: number): QueryOutcome | undefined {
    return this.outcomes.get(requestId);
  }

  onMessage(_from: string, msg: IndexMessage): void {
    if (msg.type === "WriteOk") this.acked.add(msg.requestId);
    if (msg.type !== "QueryResult") return;
    const outcome = this.outcomes.get(msg.requestId);
    if (outcome === undefined) return;
    outcome.replies++;
    outcome.carIds = [...new Set([...outcome.carIds, ...msg.carIds])].sort((a, b) => a - b);
  }
}
