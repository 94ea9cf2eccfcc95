/**
 * Key-range partitioning (DDIA ch. 6, "Partitioning by Key Range"): each partition holds a
 * continuous range of keys, from its lower boundary up to the next, like the volumes of a paper
 * encyclopedia. Keys stay sorted, so a range scan reads only the partitions the range overlaps.
 * Bigtable, HBase, RethinkDB and MongoDB before 2.4 partition this way.
 */

import { lowerBound, upperBound } from "../shared/sorted.js";

export class KeyRangePartitioning {
  /**
   * `boundaries[i]` is the first key of partition i+1: partition 0 holds keys below
   * boundaries[0], and the last partition holds keys from the last boundary up.
   */
  constructor(readonly boundaries: readonly string[]) {
    for (let i = 1; i < boundaries.length; i++) {
      if ((boundaries[i - 1] as string) >= (boundaries[i] as string)) {
        throw new RangeError("boundaries must be strictly increasing");
      }
    }
  }

  /** Boundaries at the quantiles of a sample, as a pre-split from existing data would choose them. */
  static fromSample(sample: readonly string[], partitions: number): KeyRangePartitioning {
    const sorted = [...new Set(sample)].sort();
    const boundaries: string[] = [];
    for (let i = 1; i < partitions; i++) {
      const boundary = sorted[Math.floor((i * sorted.length) / partitions)];
      if (
        boundary !== undefined &&
        (boundaries.length === 0 || boundary > (boundaries[boundaries.length - 1] as string))
      ) {
        boundaries.push(boundary);
      }
    }
    return new KeyRangePartitioning(boundaries);
  }

  get partitions(): number {
    return this.boundaries.length + 1;
  }

  /** The partition holding `key`: the number of boundaries at or below it. */
  partitionOf(key: string): number {
    return upperBound(this.boundaries, key);
  }

  /** The partitions a scan of [start, end) must read: one contiguous run. */
  partitionsForScan(start: string, end: string): number[] {
    if (end <= start) return [];
    const first = this.partitionOf(start);
    const last = this.partitionOf(end);
    // If `end` is exactly a boundary, the scan stops before that partition begins.
    const lastRead = this.boundaries[last - 1] === end ? last - 1 : last;
    return Array.from({ length: lastRead - first + 1 }, (_, i) => first + i);
  }

  /** The range partition p covers, for display: [lower, upper). */
  rangeOf(p: number): { lower: string | undefined; upper: string | undefined } {
    return { lower: this.boundaries[p - 1], upper: this.boundaries[p] };
  }
}

/**
 * Dynamic partitioning (DDIA ch. 6, "Dynamic partitioning"): a key-range partition that grows past
 * a size threshold splits in two at its median key, and one half moves to another node, as HBase
 * splits regions and MongoDB splits chunks. An empty database starts with a single partition.
 */
export interface RangePartition {
  /** Inclusive lower bound; "" for the first partition. */
  lower: string;
  /** Keys in sorted order. */
  keys: string[];
  node: string;
}

export interface Split {
  splitKey: string;
  leftNode: string;
  rightNode: string;
  leftSize: number;
  rightSize: number;
}

export class DynamicPartitions {
  readonly partitions: RangePartition[];
  /** The partitions' lower bounds, in order, kept beside them for binary search. */
  private readonly lowers: string[] = [""];
  /** Partitions held by each node, kept up to date at every split. */
  private readonly held: Map<string, number>;

  constructor(
    readonly nodes: readonly string[],
    readonly splitThreshold: number,
  ) {
    if (nodes.length === 0) throw new RangeError("need at least one node");
    if (splitThreshold < 2) throw new RangeError("the split threshold must be at least 2 keys");
    this.partitions = [{ lower: "", keys: [], node: nodes[0] as string }];
    this.held = new Map(nodes.map((n, i) => [n, i === 0 ? 1 : 0]));
  }

  /** The index of the partition whose range holds `key`: the last one whose lower bound is <= key. */
  indexOf(key: string): number {
    return upperBound(this.lowers, key) - 1;
  }

  /** Insert a key; returns the node that took the write and the split it caused, if any. */
  insert(key: string): { node: string; split: Split | undefined } {
    const index = this.indexOf(key);
    const partition = this.partitions[index] as RangePartition;
    const at = lowerBound(partition.keys, key);
    if (partition.keys[at] !== key) partition.keys.splice(at, 0, key);
    const node = partition.node;
    if (partition.keys.length <= this.splitThreshold) return { node, split: undefined };

    // Split at the median; the upper half moves to the node holding the fewest partitions
    // (ties: the earliest node), the way HBase's balancer hands a daughter region to another server.
    const middle = partition.keys.length >>> 1;
    const upperKeys = partition.keys.slice(middle);
    partition.keys = partition.keys.slice(0, middle);
    const rightNode = this.leastLoadedNode();
    const upper: RangePartition = {
      lower: upperKeys[0] as string,
      keys: upperKeys,
      node: rightNode,
    };
    this.partitions.splice(index + 1, 0, upper);
    this.lowers.splice(index + 1, 0, upper.lower);
    this.held.set(rightNode, (this.held.get(rightNode) ?? 0) + 1);
    return {
      node,
      split: {
        splitKey: upper.lower,
        leftNode: partition.node,
        rightNode,
        leftSize: partition.keys.length,
        rightSize: upperKeys.length,
      },
    };
  }

  partitionsPerNode(): Map<string, number> {
    return new Map(this.held);
  }

  private leastLoadedNode(): string {
    const held = (n: string) => this.held.get(n) ?? 0;
    return this.nodes.reduce((best, n) => (held(n) < held(best) ? n : best));
  }
}
