/**
 * The simulated network (DDIA chapter 8, "Unreliable Networks"): messages may be lost, delayed,
 * duplicated and reordered, and a network partition cuts nodes apart. Every send, delivery and
 * drop becomes a trace event carrying its reason.
 *
 * Each message is deep-frozen when it is sent, so no two nodes can ever share a mutable object:
 * a receiver that tried to change a message it was given (or a sender that tried to change one
 * it already sent) throws at once, instead of silently corrupting another node's state. Freezing
 * costs one walk of the message, much less than copying it for every delivery. Build messages
 * from copies of your state, never from the state itself.
 */

import { AssertionFailed } from "./assert.js";
import type { SimNode } from "./node.js";
import type { Random } from "./random.js";
import type { Simulation } from "./simulation.js";
import type { DropReason } from "./trace.js";

/** Every message is a plain object with a `type` tag (a discriminated union per algorithm). */
export interface Message {
  readonly type: string;
}

export interface LinkOptions {
  latencyMsMin: number;
  latencyMsMax: number;
}

export interface NetworkOptions extends Partial<LinkOptions> {
  /** Probability that a message is lost. */
  loss?: number;
  /** Probability that a message is delivered twice (each copy with its own latency). */
  duplicate?: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  duplicated: number;
  dropped: Record<DropReason, number>;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === "object" && child !== null && !Object.isFrozen(child)) deepFreeze(child);
  }
  return value;
}

export class Network<M extends Message = Message> {
  readonly sim: Simulation;
  readonly random: Random;
  readonly nodes = new Map<string, SimNode<M>>();
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: { loss: 0, partition: 0, crashed: 0, "unknown-node": 0 },
  };
  loss: number;
  duplicate: number;
  private readonly defaultLink: LinkOptions;
  private readonly links = new Map<string, LinkOptions>();
  /** Directed pairs "from\0to" that cannot talk while a partition stands. */
  private readonly blocked = new Set<string>();
  private nextMessageId = 1;

  constructor(sim: Simulation, options: NetworkOptions = {}) {
    this.sim = sim;
    this.random = sim.random.fork("network");
    this.loss = options.loss ?? 0;
    this.duplicate = options.duplicate ?? 0;
    this.defaultLink = {
      latencyMsMin: options.latencyMsMin ?? 1,
      latencyMsMax: options.latencyMsMax ?? 10,
    };
    if (sim.trace.messages) sim.trace.emit({ kind: "run", time: sim.now });
  }

  /** Register a node and start it. */
  add<N extends SimNode<M>>(node: N): N {
    if (this.nodes.has(node.id)) throw new AssertionFailed(`node ${node.id} added twice`);
    this.nodes.set(node.id, node);
    node.start();
    return node;
  }

  node(id: string): SimNode<M> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new AssertionFailed(`no node ${id}`);
    return node;
  }

  /** Set the latency of the directed link from → to. */
  setLink(from: string, to: string, link: LinkOptions): void {
    this.links.set(`${from}\0${to}`, link);
  }

  /** Cut the network into groups: nodes in different groups cannot reach each other. */
  partition(groups: string[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] ?? [])
          for (const b of groups[j] ?? []) this.blocked.add(`${a}\0${b}`);
      }
    }
    this.sim.trace.emit({
      kind: "partition",
      time: this.sim.now,
      groups: groups.map((g) => [...g]),
    });
  }

  /** Cut one node off from every other. */
  isolate(id: string): void {
    const others = [...this.nodes.keys()].filter((n) => n !== id);
    this.partition([[id], others]);
  }

  /** Remove every partition. */
  heal(): void {
    this.blocked.clear();
    this.sim.trace.emit({ kind: "heal", time: this.sim.now });
  }

  canReach(from: string, to: string): boolean {
    return this.blocked.size === 0 || !this.blocked.has(`${from}\0${to}`);
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  send(from: string, to: string, msg: M): void {
    deepFreeze(msg);
    const id = this.nextMessageId++;
    const trace = this.sim.trace;
    this.stats.sent++;
    if (trace.messages) trace.emit({ kind: "send", time: this.sim.now, id, from, to, msg });
    const target = this.nodes.get(to);
    const reason: DropReason | undefined =
      target === undefined
        ? "unknown-node"
        : !this.canReach(from, to)
          ? "partition"
          : this.loss > 0 && this.random.chance(this.loss)
            ? "loss"
            : undefined;
    if (target === undefined || reason !== undefined) {
      this.drop(id, from, to, msg, reason ?? "unknown-node");
      return;
    }
    const copies = this.duplicate > 0 && this.random.chance(this.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    // A message addressed to a node's current incarnation is lost if the node crashes before it
    // arrives: its connections and its inbox die with it.
    const incarnation = target.incarnation;
    for (let copy = 0; copy < copies; copy++) {
      this.sim.schedule(this.latency(from, to), () =>
        this.deliver(id, from, target, incarnation, msg),
      );
    }
  }

  private latency(from: string, to: string): number {
    const link =
      this.links.size === 0
        ? this.defaultLink
        : (this.links.get(`${from}\0${to}`) ?? this.defaultLink);
    return this.random.uniform(link.latencyMsMin, link.latencyMsMax);
  }

  private deliver(id: number, from: string, target: SimNode<M>, incarnation: number, msg: M): void {
    // A partition that started while the message was in flight cuts it too.
    const reason: DropReason | undefined =
      target.crashed || target.incarnation !== incarnation
        ? "crashed"
        : !this.canReach(from, target.id)
          ? "partition"
          : undefined;
    if (reason !== undefined) {
      this.drop(id, from, target.id, msg, reason);
      return;
    }
    this.stats.delivered++;
    const trace = this.sim.trace;
    if (trace.messages)
      trace.emit({ kind: "deliver", time: this.sim.now, id, from, to: target.id, msg });
    target.receive(from, msg);
  }

  private drop(id: number, from: string, to: string, msg: M, reason: DropReason): void {
    this.stats.dropped[reason]++;
    const trace = this.sim.trace;
    if (trace.messages) trace.emit({ kind: "drop", time: this.sim.now, id, from, to, msg, reason });
  }
}
