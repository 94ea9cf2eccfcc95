/**
 * How a producer picks a partition, as Kafka's Java producer does (DDIA ch. 11, "Partitioned
 * Logs": messages with the same key go to the same partition, so they stay in order).
 *
 * - With a key: `toPositive(murmur2(keyBytes)) % numPartitions`, Kafka's
 *   `BuiltInPartitioner.partitionForKey`, with Kafka's exact murmur2; so a key lands on the same
 *   partition number here as with a real Kafka producer.
 * - Without a key: the sticky partitioner (KIP-480, Kafka 2.4 and later): keep sending to one
 *   partition until a batch's worth of records has gone there, then move to another. Kafka 3.3
 *   (KIP-794) refined how the next partition is chosen (by broker load); here the next one is
 *   drawn at random from the others, and `RoundRobinPartitioner` is offered for comparison.
 */

import { murmur2 } from "../shared/hash.js";
import type { Random } from "../shared/random.js";

/** Kafka's `Utils.toPositive`: clear the sign bit (not Math.abs, which fails on -2^31). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

export function kafkaPartition(key: Uint8Array | string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(
      `kafkaPartition: numPartitions must be a positive integer, got ${numPartitions}`,
    );
  }
  return toPositive(murmur2(key)) % numPartitions;
}

export interface KeylessPartitioner {
  readonly name: string;
  next(numPartitions: number): number;
}

/** Kafka's sticky partitioner for records without a key. */
export class StickyPartitioner implements KeylessPartitioner {
  readonly name = "sticky";
  private current = -1;
  private sentToCurrent = 0;

  constructor(
    private readonly random: Random,
    /** Records per batch: the partition changes after this many. */
    private readonly batchRecords: number,
  ) {}

  next(numPartitions: number): number {
    if (
      this.current < 0 ||
      this.current >= numPartitions ||
      this.sentToCurrent >= this.batchRecords
    ) {
      const previous = this.current;
      this.current = numPartitions === 1 ? 0 : this.random.int(0, numPartitions - 1);
      if (numPartitions > 1 && this.current === previous)
        this.current = (this.current + 1) % numPartitions;
      this.sentToCurrent = 0;
    }
    this.sentToCurrent++;
    return this.current;
  }
}

export class RoundRobinPartitioner implements KeylessPartitioner {
  readonly name = "round-robin";
  private counter = 0;

  next(numPartitions: number): number {
    return this.counter++ % numPartitions;
  }
}
