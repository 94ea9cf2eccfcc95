/**
 * Placement schemes: which node owns a key (DDIA chapter 6, "Partitioning" — chapter 7,
 * "Sharding", in the second edition — sections "Partitioning by Hash of Key" and "Rebalancing
 * Partitions").
 *
 * Each scheme is an immutable value: `withNode` and `withoutNode` return a new placement, so a
 * scenario can hold "before" and "after" side by side and count exactly which keys moved.
 *
 * - HashModN: hash(key) mod N. The book's "How not to do it": changing N moves most keys.
 * - ConsistentHashRing: Karger et al.'s ring with virtual nodes (tokens), as Cassandra and Riak
 *   place data; a key belongs to the first token clockwise from its hash.
 * - JumpHash: Lamping & Veach's jump consistent hash over numbered buckets; no metadata at all,
 *   but buckets can only be added or removed at the end.
 * - Rendezvous: highest random weight hashing (Thaler & Ravishankar): every node scores the key
 *   and the highest score wins; O(N) per lookup, minimal movement, no ring.
 * - FixedPartitions: many more partitions than nodes, hash(key) mod P picks the partition, and a
 *   partition map assigns whole partitions to nodes (Riak, Elasticsearch, Couchbase, Voldemort).
 */

import { hash64, jumpConsistentHash64, KeyHasher, murmur3_32 } from "../shared/hash.js";
import { lowerBound } from "../shared/sorted.js";

export interface Placement {
  readonly scheme: string;
  readonly nodes: readonly string[];
  ownerOf(key: string): string;
  withNode(node: string): Placement;
  withoutNode(node: string): Placement;
  /** Entries of routing metadata a router must hold (what ZooKeeper would store). */
  readonly metadataEntries: number;
  /** What a lookup costs, as the book or the paper states it. */
  readonly lookupCost: string;
}

function assertNewNode(nodes: readonly string[], node: string): void {
  if (nodes.includes(node)) throw new RangeError(`node ${node} is already placed`);
}

function indexOfNode(nodes: readonly string[], node: string): number {
  const index = nodes.indexOf(node);
  if (index < 0) throw new RangeError(`node ${node} is not placed`);
  return index;
}

export class HashModN implements Placement {
  readonly scheme = "hash mod N";
  readonly lookupCost = "O(1): one hash, one modulo";
  constructor(readonly nodes: readonly string[]) {}

  get metadataEntries(): number {
    return this.nodes.length;
  }

  ownerOf(key: string): string {
    return this.nodes[murmur3_32(key) % this.nodes.length] as string;
  }

  withNode(node: string): HashModN {
    assertNewNode(this.nodes, node);
    return new HashModN([...this.nodes, node]);
  }

  withoutNode(node: string): HashModN {
    indexOfNode(this.nodes, node);
    return new HashModN(this.nodes.filter((n) => n !== node));
  }
}

/**
 * A consistent-hashing ring. Each node owns `vnodes` tokens, pseudo-random points on the 32-bit
 * ring derived from (tokenSeed, node, i), the way Cassandra gives each node random tokens.
 */
export class ConsistentHashRing implements Placement {
  readonly scheme: string;
  readonly lookupCost: string;
  private readonly tokens: Uint32Array;
  private readonly owners: string[];

  constructor(
    readonly nodes: readonly string[],
    readonly vnodes: number,
    readonly tokenSeed = 0,
  ) {
    this.scheme = `consistent hashing (${vnodes} vnode${vnodes === 1 ? "" : "s"})`;
    this.lookupCost = `O(log NV): binary search over ${nodes.length * vnodes} token${nodes.length * vnodes === 1 ? "" : "s"}`;
    const points: { token: number; node: string }[] = [];
    for (const node of nodes) {
      for (let i = 0; i < vnodes; i++)
        points.push({ token: murmur3_32(`${node}#${i}`, tokenSeed), node });
    }
    // Ties between equal tokens are broken by node id, so the ring does not depend on insertion order.
    points.sort((a, b) => a.token - b.token || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    this.tokens = Uint32Array.from(points, (p) => p.token);
    this.owners = points.map((p) => p.node);
  }

  get metadataEntries(): number {
    return this.tokens.length;
  }

  /** The owner of the first token at or after the key's hash, wrapping around the ring. */
  ownerOf(key: string): string {
    return this.ownerOfHash(murmur3_32(key));
  }

  ownerOfHash(hash: number): string {
    const index = lowerBound(this.tokens, hash);
    return this.owners[index === this.tokens.length ? 0 : index] as string;
  }

  withNode(node: string): ConsistentHashRing {
    assertNewNode(this.nodes, node);
    return new ConsistentHashRing([...this.nodes, node], this.vnodes, this.tokenSeed);
  }

  withoutNode(node: string): ConsistentHashRing {
    indexOfNode(this.nodes, node);
    return new ConsistentHashRing(
      this.nodes.filter((n) => n !== node),
      this.vnodes,
      this.tokenSeed,
    );
  }
}

/**
 * Jump consistent hash. Bucket i is served by nodes[i]. Adding a node appends a bucket, which
 * moves only the keys that jump into it. Jump hash cannot remove a bucket from the middle: here,
 * removing node k moves the last node into slot k and shrinks the bucket count, so the removed
 * node's keys go to the last node and the last bucket's keys are spread over the rest — about
 * twice the minimal movement. The paper says as much: jump hash suits sharded storage whose
 * shards are numbered, with replication covering the loss of a server.
 */
export class JumpHash implements Placement {
  readonly scheme = "jump hash";
  readonly lookupCost = "O(ln N) loop steps, no metadata";
  constructor(readonly nodes: readonly string[]) {}

  get metadataEntries(): number {
    return this.nodes.length;
  }

  ownerOf(key: string): string {
    const { high, low } = hash64(key);
    return this.nodes[jumpConsistentHash64(high, low, this.nodes.length)] as string;
  }

  withNode(node: string): JumpHash {
    assertNewNode(this.nodes, node);
    return new JumpHash([...this.nodes, node]);
  }

  withoutNode(node: string): JumpHash {
    const index = indexOfNode(this.nodes, node);
    const next = this.nodes.slice(0, -1);
    const last = this.nodes[this.nodes.length - 1] as string;
    if (index < next.length) next[index] = last;
    return new JumpHash(next);
  }
}

const keyHasher = new KeyHasher();

/** Rendezvous (highest random weight) hashing: the node with the highest hash of (node, key) wins. */
export class Rendezvous implements Placement {
  readonly scheme = "rendezvous hashing";
  readonly lookupCost = "O(N): one hash per node";
  private readonly nodeSeeds: number[];

  constructor(
    readonly nodes: readonly string[],
    readonly tokenSeed = 0,
  ) {
    this.nodeSeeds = nodes.map((n) => murmur3_32(n, tokenSeed));
  }

  get metadataEntries(): number {
    return this.nodes.length;
  }

  ownerOf(key: string): string {
    let best = -1;
    let owner = this.nodes[0] as string;
    keyHasher.load(key);
    for (let i = 0; i < this.nodes.length; i++) {
      const weight = keyHasher.hash(this.nodeSeeds[i] as number);
      const node = this.nodes[i] as string;
      if (weight > best || (weight === best && node < owner)) {
        best = weight;
        owner = node;
      }
    }
    return owner;
  }

  withNode(node: string): Rendezvous {
    assertNewNode(this.nodes, node);
    return new Rendezvous([...this.nodes, node], this.tokenSeed);
  }

  withoutNode(node: string): Rendezvous {
    indexOfNode(this.nodes, node);
    return new Rendezvous(
      this.nodes.filter((n) => n !== node),
      this.tokenSeed,
    );
  }
}

/** The partition of a key among `partitions` fixed partitions: hash(key) mod P. */
export function partitionOf(key: string, partitions: number): number {
  return murmur3_32(key) % partitions;
}

/**
 * A fixed number of partitions and a partition map. When a node joins it "steals a few
 * partitions from every existing node until partitions are fairly distributed once again"
 * (DDIA, "Fixed number of partitions"); when a node leaves, its partitions are handed to the
 * nodes with the fewest. Only whole partitions move, and only to (or from) the changed node.
 */
export class FixedPartitions implements Placement {
  readonly scheme: string;
  readonly lookupCost = "O(1): hash mod P, then one map lookup";

  constructor(
    readonly nodes: readonly string[],
    /** partitionMap[p] is the node that owns partition p. */
    readonly partitionMap: readonly string[],
  ) {
    this.scheme = `fixed partitions (${partitionMap.length})`;
  }

  /** Partitions dealt round-robin over the nodes, as a new cluster starts. */
  static create(nodes: readonly string[], partitions: number): FixedPartitions {
    if (nodes.length === 0) throw new RangeError("need at least one node");
    return new FixedPartitions(
      nodes,
      Array.from({ length: partitions }, (_, p) => nodes[p % nodes.length] as string),
    );
  }

  get metadataEntries(): number {
    return this.partitionMap.length;
  }

  ownerOf(key: string): string {
    return this.partitionMap[partitionOf(key, this.partitionMap.length)] as string;
  }

  partitionsOf(node: string): number[] {
    const out: number[] = [];
    this.partitionMap.forEach((owner, p) => {
      if (owner === node) out.push(p);
    });
    return out;
  }

  withNode(node: string): FixedPartitions {
    assertNewNode(this.nodes, node);
    const nodes = [...this.nodes, node];
    const map = [...this.partitionMap];
    const fairShare = Math.floor(map.length / nodes.length);
    for (let taken = 0; taken < fairShare; taken++) {
      // Steal from the node with the most partitions (ties: the first in node order), taking its
      // highest-numbered partition, so the plan is deterministic and easy to follow.
      const donor = mostLoaded(this.nodes, map);
      const p = map.lastIndexOf(donor);
      map[p] = node;
    }
    return new FixedPartitions(nodes, map);
  }

  withoutNode(node: string): FixedPartitions {
    indexOfNode(this.nodes, node);
    const nodes = this.nodes.filter((n) => n !== node);
    if (nodes.length === 0) throw new RangeError("cannot remove the last node");
    const map = [...this.partitionMap];
    map.forEach((owner, p) => {
      if (owner === node) map[p] = leastLoaded(nodes, map);
    });
    return new FixedPartitions(nodes, map);
  }
}

function countOwned(nodes: readonly string[], map: readonly string[]): Map<string, number> {
  const counts = new Map(nodes.map((n) => [n, 0]));
  for (const owner of map) if (counts.has(owner)) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

function mostLoaded(nodes: readonly string[], map: readonly string[]): string {
  const counts = countOwned(nodes, map);
  return nodes.reduce((best, n) => ((counts.get(n) ?? 0) > (counts.get(best) ?? 0) ? n : best));
}

function leastLoaded(nodes: readonly string[], map: readonly string[]): string {
  const counts = countOwned(nodes, map);
  return nodes.reduce((best, n) => ((counts.get(n) ?? 0) < (counts.get(best) ?? 0) ? n : best));
}
