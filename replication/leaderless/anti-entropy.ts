/**
 * Anti-entropy as a protocol between replicas on the simulated network (DDIA ch. 5, "Read repair
 * and anti-entropy"; Merkle trees as Dynamo and Cassandra use them). Every replica runs a
 * background process that, on a timer, starts an exchange with its next peer:
 *
 *   A ──Hashes [root]──▶ B       B compares each node with its own tree. For a differing inner
 *   A ◀──Hashes [children]── B   node it answers with its own hashes of the two children, and so
 *   A ──Hashes [grandchildren]─▶ B   on down, the two taking turns, level by level.
 *   ... ──Entries (leaf, reply)──▶   For a differing leaf, the side that finds it sends its entries
 *   ◀──Entries (leaf)──              of that leaf; the other keeps those newer than its own and
 *                                    sends back the ones the first lacks or holds older.
 *
 * Every message stands alone (no session), so a lost message only ends one exchange early: the
 * next round walks the trees again. A duplicated message repeats a step, harmlessly, since a
 * replica keeps the higher version of a key.
 *
 * Durable: the store. Volatile: the tree (built from the store when first needed, then kept up
 * to date entry by entry) and whose turn is next.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { MerkleTree, type Store, type Versioned } from "./merkle.js";

export interface KeyedEntry extends Versioned {
  key: string;
}

export type AntiEntropyMessage =
  | { readonly type: "Put"; readonly entry: KeyedEntry }
  | {
      readonly type: "Hashes";
      readonly nodes: readonly { readonly index: number; readonly hash: number }[];
    }
  | {
      readonly type: "Entries";
      readonly leaf: number;
      readonly entries: readonly KeyedEntry[];
      /** Whether the receiver should answer with what the sender lacks in this leaf. */
      readonly reply: boolean;
    };

/** What the anti-entropy process sent, across all replicas. */
export interface AntiEntropyCost {
  messages: number;
  /** Tree hashes carried by Hashes messages. */
  hashes: number;
  /** Entries carried by Entries messages. */
  entries: number;
}

export interface AntiEntropyConfig {
  peers: string[];
  depth: number;
  intervalMs: number;
  /** Broken variant when false: leaf hashes cover the keys only, not their versions and values. */
  hashValues: boolean;
  cost: AntiEntropyCost;
}

interface Volatile {
  tree: MerkleTree | undefined;
  nextPeer: number;
}

export class AntiEntropyReplica extends SimNode<AntiEntropyMessage, Store, Volatile> {
  /** Whether the background process runs (an operator's setting: it survives a restart). */
  private running = false;

  constructor(
    id: string,
    net: Network<AntiEntropyMessage>,
    readonly config: AntiEntropyConfig,
  ) {
    super(id, net, new Map());
  }

  protected initialVolatile(): Volatile {
    return { tree: undefined, nextPeer: 0 };
  }

  protected override onRecover(): void {
    if (this.running) this.setTimer("anti-entropy", this.config.intervalMs);
  }

  get store(): ReadonlyMap<string, Versioned> {
    return this.durable;
  }

  /** Start the background process; the first exchange begins after `delayMs`. */
  startAntiEntropy(delayMs: number): void {
    this.running = true;
    this.setTimer("anti-entropy", delayMs);
  }

  override onTimer(name: string): void {
    if (name !== "anti-entropy") return;
    const peers = this.config.peers;
    const peer = peers[this.volatile.nextPeer++ % peers.length] as string;
    this.sendHashes(peer, [1]);
    this.setTimer("anti-entropy", this.config.intervalMs);
  }

  onMessage(from: string, msg: AntiEntropyMessage): void {
    switch (msg.type) {
      case "Put":
        this.merge(msg.entry);
        break;
      case "Hashes":
        this.compare(from, msg.nodes);
        break;
      case "Entries":
        this.receiveEntries(from, msg);
        break;
    }
  }

  private tree(): MerkleTree {
    this.volatile.tree ??= new MerkleTree(this.durable, this.config.depth, this.config.hashValues);
    return this.volatile.tree;
  }

  private merge(entry: KeyedEntry): void {
    const before = this.durable.get(entry.key);
    if (entry.version <= (before?.version ?? 0)) return;
    const after = { value: entry.value, version: entry.version };
    this.durable.set(entry.key, after);
    this.volatile.tree?.update(entry.key, before, after);
  }

  private sendHashes(to: string, indexes: number[]): void {
    const tree = this.tree();
    const nodes = indexes.map((index) => ({ index, hash: tree.hashes[index] as number }));
    this.config.cost.messages++;
    this.config.cost.hashes += nodes.length;
    this.send(to, { type: "Hashes", nodes });
  }

  private sendEntries(to: string, leaf: number, entries: KeyedEntry[], reply: boolean): void {
    this.config.cost.messages++;
    this.config.cost.entries += entries.length;
    this.send(to, { type: "Entries", leaf, entries, reply });
  }

  private entriesOf(leaf: number): KeyedEntry[] {
    return this.tree()
      .keysInLeaf(leaf)
      .map((key) => ({ key, ...(this.durable.get(key) as Versioned) }));
  }

  /** Compare the peer's hashes with ours; go down where they differ, or send a differing leaf. */
  private compare(from: string, nodes: readonly { index: number; hash: number }[]): void {
    const tree = this.tree();
    const children: number[] = [];
    for (const { index, hash } of nodes) {
      if (tree.hashes[index] === hash) continue;
      if (index < tree.leaves) children.push(2 * index, 2 * index + 1);
      else this.sendEntries(from, index - tree.leaves, this.entriesOf(index - tree.leaves), true);
    }
    if (children.length > 0) this.sendHashes(from, children);
  }

  private receiveEntries(
    from: string,
    msg: Extract<AntiEntropyMessage, { type: "Entries" }>,
  ): void {
    const theirs = new Map(msg.entries.map((e) => [e.key, e.version]));
    for (const entry of msg.entries) this.merge(entry);
    if (!msg.reply) return;
    const newer = this.entriesOf(msg.leaf).filter((e) => e.version > (theirs.get(e.key) ?? 0));
    if (newer.length > 0) this.sendEntries(from, msg.leaf, newer, false);
  }
}
