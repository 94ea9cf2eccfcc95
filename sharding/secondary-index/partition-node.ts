/**
 * One partition of the cars database. It stores the cars whose id falls in it and keeps two
 * indexes side by side, so the scenario can ask the same question of both:
 *
 * - A document-partitioned (local) index over its own cars only, updated in the same step as
 *   the write. A query must scatter to every partition and gather the answers
 *   (DDIA ch. 6, "Partitioning Secondary Indexes by Document").
 * - Its share of the term-partitioned (global) index: the terms whose value starts with a letter
 *   in its range, for cars on every partition (colors a–r on partition 0 and s–z on partition 1 in
 *   the book's figure). A query reads one partition; a write must update the partitions of all its
 *   terms, and like DynamoDB's global secondary indexes it does so asynchronously: an `IndexAdd`
 *   is applied by a background indexer `indexLagMs` after it arrives
 *   (DDIA ch. 6, "Partitioning Secondary Indexes by Term").
 *
 * Durable: cars and both indexes. Volatile: nothing. No faults are injected in this scenario.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { Car, IndexMessage } from "./messages.js";

export interface PartitionDurable {
  cars: Record<number, Car>;
  localIndex: Record<string, number[]>;
  globalIndex: Record<string, number[]>;
}

export interface IndexConfig {
  partitions: number;
  indexLagMs: number;
}

/** The partition a car lives in. */
export function carPartition(carId: number, partitions: number): number {
  return carId % partitions;
}

/** The partition that owns a term of the global index: by the first letter of the term's value. */
export function termPartition(term: string, partitions: number): number {
  const value = term.slice(term.indexOf(":") + 1);
  const letter = Math.min(25, Math.max(0, value.charCodeAt(0) - 97));
  return Math.floor((letter * partitions) / 26);
}

export function termsOf(car: Car): string[] {
  return [`color:${car.color}`, `make:${car.make}`];
}

export function partitionId(p: number): string {
  return `partition-${p}`;
}

function addTo(index: Record<string, number[]>, term: string, carId: number): void {
  const list = index[term] ?? [];
  if (!list.includes(carId)) list.push(carId);
  list.sort((a, b) => a - b);
  index[term] = list;
}

export class PartitionNode extends SimNode<IndexMessage, PartitionDurable, null> {
  private pendingUpdates = 0;

  constructor(
    id: string,
    net: Network<IndexMessage>,
    readonly config: IndexConfig,
  ) {
    super(id, net, { cars: {}, localIndex: {}, globalIndex: {} });
  }

  protected initialVolatile(): null {
    return null;
  }

  /** Load a car as part of the initial data set: both indexes already up to date. */
  preload(car: Car, partitionOfTerm: (term: string) => PartitionNode): void {
    this.durable.cars[car.id] = car;
    for (const term of termsOf(car)) {
      addTo(this.durable.localIndex, term, car.id);
      addTo(partitionOfTerm(term).durable.globalIndex, term, car.id);
    }
  }

  onMessage(from: string, msg: IndexMessage): void {
    switch (msg.type) {
      case "WriteCar": {
        this.durable.cars[msg.car.id] = msg.car;
        for (const term of termsOf(msg.car)) {
          addTo(this.durable.localIndex, term, msg.car.id);
          this.send(partitionId(termPartition(term, this.config.partitions)), {
            type: "IndexAdd",
            term,
            carId: msg.car.id,
          });
        }
        this.send(from, { type: "WriteOk", requestId: msg.requestId });
        break;
      }
      case "IndexAdd":
        // The background indexer applies each update after a lag; timers need distinct names.
        this.setTimer(
          `index ${msg.term} ${msg.carId} ${this.pendingUpdates++}`,
          this.config.indexLagMs,
        );
        break;
      case "QueryLocal":
        this.send(from, {
          type: "QueryResult",
          requestId: msg.requestId,
          carIds: [...(this.durable.localIndex[msg.term] ?? [])],
        });
        break;
      case "QueryGlobal":
        this.send(from, {
          type: "QueryResult",
          requestId: msg.requestId,
          carIds: [...(this.durable.globalIndex[msg.term] ?? [])],
        });
        break;
      case "WriteOk":
      case "QueryResult":
        break; // replies go to clients
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const [, term, carId] = name.split(" ");
    if (term === undefined || carId === undefined) return;
    addTo(this.durable.globalIndex, term, Number(carId));
    this.note(`background indexer adds car ${carId} to the global index entry ${term}`);
  }
}
