/**
 * Anti-entropy as a protocol between replicas on the simulated network (DDIA ch. 5, "Read repair
 * and anti-entropy"; Merkle trees as Dynamo and Cassandra use them). Every replica runs a
 * background process that, on a timer, starts an exchange with its next peer:
 *
 *   A ──Hashes [root]──▶ B       B compares each node with its own tree. For differing inner
 *   A ◀──Hashes [children]── B   nodes it answers with its own hashes of their children, and so
 *   A ──Hashes [grandchildren]─▶ B   on down, the two taking turns, level by level.
 *   ... ──Entries (leaves, reply)──▶  At the leaves, the side that finds some differing sends its
 *   ◀──Entries (leaves)──             entries of those leaves; the other keeps those newer than its
 *   ──Done──▶                         own and sends back the ones the first lacks or holds older.
 *                                     Done: nothing (more) differs; the exchange is over.
 *
 * An exchange is a conversation of numbered steps, each side answering the other's last step, and
 * every step but Done is answered. A side that has sent a step and hears no answer within
 * `retryMs` sends the same step again (a higher `attempt`), up to `retriesMax` times: so a lost
 * message repeats one step of the walk instead of abandoning it, and a walk down a ten-level tree
 * survives heavy loss. A step that arrives again after it was answered is ignored (the answer, if
 * lost, is sent again by its sender's own timer), except after Done, which nothing retries: a new
 * attempt of the step that Done answered gets the Done again. Merging entries keeps the higher
 * version of a key, so a repeated step is harmless.
 *
 * Durable: the store. Volatile: the tree (built from the store when first needed, then kept up
 * to date entry by entry), whose turn is next, and the state of each exchange under way (lost in
 * a crash: the next round walks the trees again).
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { MerkleTree, type Store, type Versioned } from "./merkle.js";

export interface KeyedEntry extends Versioned {
  key: string;
}

/** Which exchange a step belongs to: who began it, and when (unique per initiator and peer). */
export interface ExchangeId {
  readonly initiator: string;
  readonly startedAtMs: number;
}

interface Step {
  readonly exchange: ExchangeId;
  /** 1 for the initiator's first message, then one more for each answer. */
  readonly step: number;
  /** 1, then one more each time the same step is sent again for want of an answer. */
  readonly attempt: number;
}

export type AntiEntropyMessage =
  | { readonly type: "Put"; readonly entry: KeyedEntry }
  | (Step & {
      readonly type: "Hashes";
      readonly nodes: readonly { readonly index: number; readonly hash: number }[];
    })
  | (Step & {
      readonly type: "Entries";
      readonly leaves: readonly {
        readonly leaf: number;
        readonly entries: readonly KeyedEntry[];
      }[];
      /** Whether the receiver should answer with what the sender lacks in these leaves. */
      readonly reply: boolean;
    })
  | (Step & { readonly type: "Done" });

type StepMessage = Exclude<AntiEntropyMessage, { type: "Put" }>;

/** What the anti-entropy process sent, across all replicas. */
export interface AntiEntropyCost {
  messages: number;
  /** Of those, steps sent again for want of an answer (a lost message or a lost answer). */
  resent: number;
  /** Tree hashes carried by Hashes messages, sent again or not counted once. */
  hashes: number;
  /** Entries carried by Entries messages, sent again or not counted once. */
  entries: number;
}

export interface AntiEntropyConfig {
  peers: string[];
  depth: number;
  intervalMs: number;
  /** Broken variant when false: leaf hashes cover the keys only, not their versions and values. */
  hashValues: boolean;
  cost: AntiEntropyCost;
  /** How long a side waits for the answer to a step before sending the step again. */
  retryMs?: number;
  /** How many times a step is sent again before the exchange is given up (the next round walks again). */
  retriesMax?: number;
}

/** Over a network whose messages take 1 to 5 ms, an answer is late after twice the longest round trip. */
const RETRY_MS = 20;
const RETRIES_MAX = 20;

/** One exchange with one peer, as this side sees it. */
interface Exchange {
  readonly id: ExchangeId;
  readonly peer: string;
  /** The last step received from the peer and processed (0: none yet). */
  stepIn: number;
  /** The attempt of that step this side last answered. */
  attemptIn: number;
  /** This side's last message in the exchange, to send again if the peer did not get it. */
  lastOut: StepMessage | undefined;
  /** Whether this side waits for an answer to `lastOut` (not after Done). */
  waiting: boolean;
  retries: number;
}

interface Volatile {
  tree: MerkleTree | undefined;
  nextPeer: number;
  /** At most one exchange per peer and direction: "out:peer" begun here, "in:peer" begun there. */
  exchanges: Map<string, Exchange>;
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
    return { tree: undefined, nextPeer: 0, exchanges: new Map() };
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
    if (name.startsWith("retry:")) {
      this.retry(name.slice("retry:".length));
      return;
    }
    if (name !== "anti-entropy") return;
    const peers = this.config.peers;
    const peer = peers[this.volatile.nextPeer++ % peers.length] as string;
    // An exchange still under way with this peer (retrying a lost step) is let finish, not restarted.
    if (this.volatile.exchanges.get(`out:${peer}`)?.waiting !== true) {
      const exchange: Exchange = {
        id: { initiator: this.id, startedAtMs: this.sim.now },
        peer,
        stepIn: 0,
        attemptIn: 0,
        lastOut: undefined,
        waiting: false,
        retries: 0,
      };
      this.volatile.exchanges.set(`out:${peer}`, exchange);
      this.sendStep(`out:${peer}`, exchange, { type: "Hashes", nodes: this.hashesOf([1]) });
    }
    this.setTimer("anti-entropy", this.config.intervalMs);
  }

  onMessage(from: string, msg: AntiEntropyMessage): void {
    if (msg.type === "Put") this.merge(msg.entry);
    else this.receiveStep(from, msg);
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

  private receiveStep(from: string, msg: StepMessage): void {
    const key = `${msg.exchange.initiator === this.id ? "out" : "in"}:${from}`;
    let exchange = this.volatile.exchanges.get(key);
    // A peer's new exchange replaces its old one; a step of an older exchange is stale.
    if (
      msg.exchange.initiator !== this.id &&
      (exchange === undefined || exchange.id.startedAtMs < msg.exchange.startedAtMs)
    ) {
      exchange = {
        id: msg.exchange,
        peer: from,
        stepIn: 0,
        attemptIn: 0,
        lastOut: undefined,
        waiting: false,
        retries: 0,
      };
      this.volatile.exchanges.set(key, exchange);
    }
    if (exchange === undefined || exchange.id.startedAtMs !== msg.exchange.startedAtMs) return;
    if (msg.step <= exchange.stepIn) {
      // A step already answered. If the answer was Done, nothing here waits to send it again, so
      // a new attempt (the peer never got the Done) is answered with it; any other answer is sent
      // again by this side's own retry timer. A duplicated message (the same attempt) is ignored.
      if (
        msg.step === exchange.stepIn &&
        msg.attempt > exchange.attemptIn &&
        exchange.lastOut?.type === "Done"
      ) {
        exchange.attemptIn = msg.attempt;
        this.resend(exchange);
      }
      return;
    }
    exchange.stepIn = msg.step;
    exchange.attemptIn = msg.attempt;
    exchange.waiting = false;
    exchange.retries = 0;
    this.cancelTimer(`retry:${key}`);
    const answer = this.answer(msg);
    if (answer === undefined) {
      exchange.lastOut = undefined;
      return;
    }
    this.sendStep(key, exchange, answer);
  }

  /** What the next step says, given the peer's last; undefined after Done, which ends the exchange. */
  private answer(
    msg: StepMessage,
  ):
    | { type: "Hashes"; nodes: { index: number; hash: number }[] }
    | { type: "Entries"; leaves: { leaf: number; entries: KeyedEntry[] }[]; reply: boolean }
    | { type: "Done" }
    | undefined {
    switch (msg.type) {
      case "Hashes": {
        // Compare the peer's hashes with ours; go down where they differ, or send differing leaves.
        const tree = this.tree();
        const children: number[] = [];
        const leaves: { leaf: number; entries: KeyedEntry[] }[] = [];
        for (const { index, hash } of msg.nodes) {
          if (tree.hashes[index] === hash) continue;
          if (index < tree.leaves) children.push(2 * index, 2 * index + 1);
          else
            leaves.push({
              leaf: index - tree.leaves,
              entries: this.entriesOf(index - tree.leaves),
            });
        }
        if (children.length > 0) return { type: "Hashes", nodes: this.hashesOf(children) };
        if (leaves.length > 0) return { type: "Entries", leaves, reply: true };
        return { type: "Done" };
      }
      case "Entries": {
        const newer: { leaf: number; entries: KeyedEntry[] }[] = [];
        for (const { leaf, entries } of msg.leaves) {
          const theirs = new Map(entries.map((e) => [e.key, e.version]));
          for (const entry of entries) this.merge(entry);
          if (!msg.reply) continue;
          const mine = this.entriesOf(leaf).filter((e) => e.version > (theirs.get(e.key) ?? 0));
          if (mine.length > 0) newer.push({ leaf, entries: mine });
        }
        return newer.length > 0
          ? { type: "Entries", leaves: newer, reply: false }
          : { type: "Done" };
      }
      case "Done":
        return undefined;
    }
  }

  private hashesOf(indexes: number[]): { index: number; hash: number }[] {
    const tree = this.tree();
    return indexes.map((index) => ({ index, hash: tree.hashes[index] as number }));
  }

  private sendStep(
    key: string,
    exchange: Exchange,
    body:
      | { type: "Hashes"; nodes: { index: number; hash: number }[] }
      | { type: "Entries"; leaves: { leaf: number; entries: KeyedEntry[] }[]; reply: boolean }
      | { type: "Done" },
  ): void {
    const msg = {
      ...body,
      exchange: exchange.id,
      step: exchange.stepIn + 1,
      attempt: 1,
    } as StepMessage;
    exchange.lastOut = msg;
    exchange.waiting = msg.type !== "Done";
    this.transmit(exchange.peer, msg);
    if (exchange.waiting) this.setTimer(`retry:${key}`, this.config.retryMs ?? RETRY_MS);
  }

  /** No answer in time: send the same step again, or give the exchange up after `retriesMax`. */
  private retry(key: string): void {
    const exchange = this.volatile.exchanges.get(key);
    if (exchange === undefined || !exchange.waiting) return;
    if (exchange.retries >= (this.config.retriesMax ?? RETRIES_MAX)) {
      this.volatile.exchanges.delete(key);
      return;
    }
    exchange.retries++;
    this.resend(exchange);
    this.setTimer(`retry:${key}`, this.config.retryMs ?? RETRY_MS);
  }

  private resend(exchange: Exchange): void {
    const last = exchange.lastOut as StepMessage;
    const again = { ...last, attempt: last.attempt + 1 };
    exchange.lastOut = again;
    this.transmit(exchange.peer, again);
  }

  /** Send a step, counting its cost: a step sent again counts as a message, and only as that. */
  private transmit(to: string, msg: StepMessage): void {
    const cost = this.config.cost;
    cost.messages++;
    if (msg.attempt > 1) cost.resent++;
    else if (msg.type === "Hashes") cost.hashes += msg.nodes.length;
    else if (msg.type === "Entries")
      for (const { entries } of msg.leaves) cost.entries += entries.length;
    this.send(to, msg);
  }

  private entriesOf(leaf: number): KeyedEntry[] {
    return this.tree()
      .keysInLeaf(leaf)
      .map((key) => ({ key, ...(this.durable.get(key) as Versioned) }));
  }
}
