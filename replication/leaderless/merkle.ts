/**
 * Anti-entropy with Merkle trees (DDIA ch. 5, "Read repair and anti-entropy"; the trees come from
 * Dynamo and Cassandra): each replica hashes its keys into 2^depth leaf ranges (by the hash of the
 * key), and each inner node hashes its two children. Two replicas compare roots, descend only into
 * children whose hashes differ, and exchange only the entries of the leaves that differ.
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

  constructor(
    readonly store: Store,
    readonly depth: number,
  ) {
    const leaves = 1 << depth;
    this.hashes = new Uint32Array(2 * leaves);
    const leafHash = new Uint32Array(leaves);
    for (const key of [...store.keys()].sort()) {
      const entry = store.get(key) as Versioned;
      const leaf = leafOf(key, depth);
      leafHash[leaf] = murmur3_32(
        `${key}=${entry.version}:${entry.value}`,
        leafHash[leaf] as number,
      );
    }
    for (let i = 0; i < leaves; i++) this.hashes[leaves + i] = leafHash[i] as number;
    for (let i = leaves - 1; i >= 1; i--) {
      this.hashes[i] = murmur3_32(`${this.hashes[2 * i]}:${this.hashes[2 * i + 1]}`);
    }
  }

  keysInLeaf(leaf: number): string[] {
    return [...this.store.keys()].filter((k) => leafOf(k, this.depth) === leaf);
  }
}

export function leafOf(key: string, depth: number): number {
  return murmur3_32(key) >>> (32 - depth);
}

export interface SyncCost {
  /** Tree hashes compared (each a small message in a real exchange). */
  hashesCompared: number;
  /** Entries sent, in both directions. */
  entriesSent: number;
  leavesDiffering: number;
}

/**
 * One anti-entropy exchange between two replicas: walk both trees from the root, descend where
 * hashes differ, and in each differing leaf send each side the entries the other lacks or holds
 * in an older version.
 */
export function antiEntropy(a: Store, b: Store, depth: number): SyncCost {
  const ta = new MerkleTree(a, depth);
  const tb = new MerkleTree(b, depth);
  const leaves = 1 << depth;
  const cost: SyncCost = { hashesCompared: 0, entriesSent: 0, leavesDiffering: 0 };
  const stack = [1];
  while (stack.length > 0) {
    const node = stack.pop() as number;
    cost.hashesCompared++;
    if (ta.hashes[node] === tb.hashes[node]) continue;
    if (node < leaves) {
      stack.push(2 * node, 2 * node + 1);
      continue;
    }
    cost.leavesDiffering++;
    const leaf = node - leaves;
    for (const key of new Set([...ta.keysInLeaf(leaf), ...tb.keysInLeaf(leaf)])) {
      const x = a.get(key);
      const y = b.get(key);
      if (x !== undefined && (y === undefined || x.version > y.version)) {
        b.set(key, { ...x });
        cost.entriesSent++;
      } else if (y !== undefined && (x === undefined || y.version > x.version)) {
        a.set(key, { ...y });
        cost.entriesSent++;
      }
    }
  }
  return cost;
}
