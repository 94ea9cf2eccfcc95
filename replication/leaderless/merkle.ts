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
   * A leaf's hash is the XOR of its entries' hashes, so one entry's change updates the leaf and the
   * path above it without rehashing the rest (`update`). `hashValues` false is a broken variant: an
   * entry hashes its key only, so replicas holding different versions of the same keys look
   * identical.
   */
  constructor(
    store: ReadonlyMap<string, Versioned>,
    readonly depth: number,
    private readonly hashValues = true,
  ) {
    const leaves = 1 << depth;
    this.hashes = new Uint32Array(2 * leaves);
    this.byLeaf = Array.from({ length: leaves }, () => []);
    for (const [key, entry] of store) {
      const leaf = leafOf(key, depth);
      (this.byLeaf[leaf] as string[]).push(key);
      this.hashes[leaves + leaf] =
        (this.hashes[leaves + leaf] as number) ^ this.entryHash(key, entry);
    }
    for (let i = leaves - 1; i >= 1; i--) this.rehash(i);
  }

  /** The number of leaves, which is also the heap index of the first leaf. */
  get leaves(): number {
    return 1 << this.depth;
  }

  keysInLeaf(leaf: number): readonly string[] {
    return this.byLeaf[leaf] ?? [];
  }

  /** Key `key` changed from `before` (undefined for a new key) to `after`. */
  update(key: string, before: Versioned | undefined, after: Versioned): void {
    const leaf = leafOf(key, this.depth);
    if (before === undefined) (this.byLeaf[leaf] as string[]).push(key);
    const at = this.leaves + leaf;
    const old = before === undefined ? 0 : this.entryHash(key, before);
    this.hashes[at] = ((this.hashes[at] as number) ^ old ^ this.entryHash(key, after)) >>> 0;
    for (let i = at >>> 1; i >= 1; i >>>= 1) this.rehash(i);
  }

  private entryHash(key: string, entry: Versioned): number {
    return murmur3_32(this.hashValues ? `${key}=${entry.version}:${entry.value}` : key);
  }

  private rehash(i: number): void {
    this.hashes[i] = murmur3_32(`${this.hashes[2 * i]}:${this.hashes[2 * i + 1]}`);
  }
}

export function leafOf(key: string, depth: number): number {
  return murmur3_32(key) >>> (32 - depth);
}
