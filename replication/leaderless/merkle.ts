/**
 * Merkle trees for anti-entropy (DDIA ch. 5, "Read repair and anti-entropy"; the trees come from
 * Dynamo and Cassandra): a replica hashes its keys into 2^depth leaf ranges (by the hash of the
 * key), and each inner node hashes its two children. Two replicas whose roots agree hold the same
 * data (up to a hash collision); where they differ, comparing children finds the differing ranges
 * without looking at the rest. The exchange itself is in anti-entropy.ts.
 */

import { murmur3_32 } from "../../shared/hash.js";

export interface Versioned {
  value: string;
  version: number;
}

export type Store = Map<string, Versioned>;

export class MerkleTree {
  /** Heap layout: node 1 is the root, node i has children 2i and 2i+1; leaves are the last 2^depth. */
  readonly hashes: Uint32Array;
  private readonly byLeaf: string[][];

  /**
   * `hashValues` false is a broken variant: a leaf hashes its keys only, so two replicas holding
   * different versions of the same keys look identical.
   */
  constructor(
    store: ReadonlyMap<string, Versioned>,
    readonly depth: number,
    hashValues = true,
  ) {
    const leaves = 1 << depth;
    this.hashes = new Uint32Array(2 * leaves);
    this.byLeaf = Array.from({ length: leaves }, () => []);
    const leafHash = new Uint32Array(leaves);
    for (const key of [...store.keys()].sort()) {
      const entry = store.get(key) as Versioned;
      const leaf = leafOf(key, depth);
      (this.byLeaf[leaf] as string[]).push(key);
      const text = hashValues ? `${key}=${entry.version}:${entry.value}` : key;
      leafHash[leaf] = murmur3_32(text, leafHash[leaf] as number);
    }
    for (let i = 0; i < leaves; i++) this.hashes[leaves + i] = leafHash[i] as number;
    for (let i = leaves - 1; i >= 1; i--) {
      this.hashes[i] = murmur3_32(`${this.hashes[2 * i]}:${this.hashes[2 * i + 1]}`);
    }
  }

  /** The number of leaves, which is also the heap index of the first leaf. */
  get leaves(): number {
    return 1 << this.depth;
  }

  keysInLeaf(leaf: number): readonly string[] {
    return this.byLeaf[leaf] ?? [];
  }
}

export function leafOf(key: string, depth: number): number {
  return murmur3_32(key) >>> (32 - depth);
}
