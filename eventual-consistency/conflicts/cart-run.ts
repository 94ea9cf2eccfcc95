/**
 * A random run of the replicated shopping cart (cart-replica.ts): clients dealt to the replicas
 * in turn (client-i writes through replica c((i - 1) mod replicas + 1), so several clients may
 * share one replica), each reading its replica's siblings, merging them as the application does
 * (cart.ts), adding a new item or removing one it sees, and writing back, 1 to 10 ms later, with
 * the context it read. Replication is
 * asynchronous over a lossy network. Once every write has reached every replica, the observer
 * (causality.ts, never the store's own vectors) judges:
 * - siblings: the converged siblings must be exactly the writes no other write knew of (a write is
 *   dropped only when a write that knew of it superseded it, and nothing superseded lingers);
 * - additions: every item added and never removed is in the merged cart;
 * - removals: no removed item is in the merged cart (the naive union fails this).
 */

import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { clientName } from "../workload.js";
import { applyChange, type Cart, type CartChange, type CartMerge, mergeCart } from "./cart.js";
import { type CartMessage, CartReplica } from "./cart-replica.js";
import { Causality } from "./causality.js";

export interface CartRunOptions {
  merge: CartMerge;
  replicas: number;
  /** Clients, dealt to the replicas in turn; defaults to one per replica. */
  clients?: number;
  /** Cart changes (writes) in all, dealt to the clients in turn. */
  writes: number;
  /** Probability that a change removes an item the client sees (when it sees one). */
  removeRatio: number;
  loss: number;
  seed: number;
  trace?: Trace;
  /** The broken replica that keeps one of several concurrent siblings (tests only). */
  dropConcurrent?: boolean;
  /**
   * The broken replica that supersedes every value whose whole vector the new write's vector
   * dominates, as `VectorReplica` did before it kept dots apart (tests only).
   */
  wholeVectors?: boolean;
}

export interface CartWrite {
  id: string;
  client: string;
  replica: string;
  change: CartChange;
  /** The sibling writes the client read before writing. */
  read: string[];
}

export interface CartResult {
  writes: CartWrite[];
  converged: boolean;
  /** The converged siblings' write ids, sorted (replica 1's when not converged). */
  siblings: string[];
  /** The writes no other write knew of, sorted: what the siblings must be. */
  maximal: string[];
  /** The cart an application reads once everything has arrived: the merge of the siblings. */
  cart: Cart;
  added: string[];
  removed: string[];
  /** Removed items present in the merged cart. */
  resurrected: string[];
  /** Items added, never removed, and missing from the merged cart. */
  lost: string[];
  /**
   * Writes concurrent with an earlier write that another client made through the same replica:
   * the case that needs each value's dot kept apart from its context.
   */
  sameReplicaConcurrent: number;
  causality: Causality;
}

const GROCERIES = [
  "milk",
  "eggs",
  "flour",
  "ham",
  "bacon",
  "butter",
  "cheese",
  "bread",
  "apples",
  "rice",
];
const THINK_MS_MIN = 1;
const THINK_MS_MAX = 20;
/** Between a client's read and its write. */
const EDIT_MS_MIN = 1;
const EDIT_MS_MAX = 10;
const LIVENESS_MS = 600_000;

export const cartReplicaName = (i: number): string => `c${i + 1}`;

/** A fresh item name for the n-th addition: milk, eggs, ..., rice, milk#2, eggs#2, ... */
export function itemName(n: number): string {
  const round = Math.floor(n / GROCERIES.length);
  const name = GROCERIES[n % GROCERIES.length] as string;
  return round === 0 ? name : `${name}#${round + 1}`;
}

export function runCart(options: CartRunOptions): CartResult {
  const trace = options.trace ?? Trace.silent();
  const sim = new Simulation({ seed: options.seed, trace });
  const net = new Network<CartMessage>(sim, { loss: options.loss });
  const ids = Array.from({ length: options.replicas }, (_, i) => cartReplicaName(i));
  const replicas = ids.map((id) =>
    net.add(
      new CartReplica(
        id,
        net,
        () => ids.filter((p) => p !== id),
        false,
        options.dropConcurrent,
        options.wholeVectors,
      ),
    ),
  );
  const clients = options.clients ?? options.replicas;
  const causality = new Causality();
  const writes: CartWrite[] = [];
  const workload = sim.random.fork("workload");
  const clientTimeMs = Array.from({ length: clients }, () => 0);
  let additions = 0;
  let done = 0;
  for (let n = 0; n < options.writes; n++) {
    const c = n % clients;
    const replica = replicas[c % options.replicas] as CartReplica;
    const client = clientName(c);
    const readMs = (clientTimeMs[c] ?? 0) + workload.uniform(THINK_MS_MIN, THINK_MS_MAX);
    const writeMs = readMs + workload.uniform(EDIT_MS_MIN, EDIT_MS_MAX);
    clientTimeMs[c] = writeMs;
    // The draws are made now, in plan order, so both merges see the same plan.
    const wantsRemove = workload.chance(options.removeRatio);
    const pick = workload.next();
    // The client reads, takes a while to change the cart, then writes with the context it read:
    // meanwhile another client may write through the same replica, or a replicated write arrive.
    sim.at(readMs, () => {
      const { context, values } = replica.read();
      for (const v of values) causality.read(client, v.writeId);
      const cart = mergeCart(values, options.merge);
      const item = cart.items[Math.floor(pick * cart.items.length)];
      const change: CartChange =
        wantsRemove && item !== undefined
          ? { kind: "remove", item }
          : { kind: "add", item: itemName(additions++) };
      const next = applyChange(cart, change, options.merge);
      sim.at(writeMs, () => {
        const id = `w${writes.length + 1}`;
        causality.write(client, id);
        replica.write({ writeId: id, items: next.items, removed: next.removed }, context);
        writes.push({
          id,
          client,
          replica: replica.id,
          change,
          read: values.map((v) => v.writeId),
        });
        done++;
      });
    });
  }
  sim.runUntil(
    () => done === options.writes && replicas.every((r) => r.quiescent),
    Math.max(0, ...clientTimeMs) + LIVENESS_MS,
  );

  const siblingIds = (r: CartReplica) => r.siblings.map((s) => s.value.writeId).sort();
  const first = replicas[0] as CartReplica;
  const siblings = siblingIds(first);
  const converged =
    done === options.writes && replicas.every((r) => siblingIds(r).join() === siblings.join());
  const maximal = maximalWrites(writes, causality);
  const cart = mergeCart(
    first.siblings.map((s) => s.value),
    options.merge,
  );
  const added = writes.flatMap((w) => (w.change.kind === "add" ? [w.change.item] : []));
  const removed = [
    ...new Set(writes.flatMap((w) => (w.change.kind === "remove" ? [w.change.item] : []))),
  ];
  const gone = new Set(removed);
  return {
    writes,
    converged,
    siblings,
    maximal,
    cart,
    added,
    removed,
    resurrected: cart.items.filter((i) => gone.has(i)),
    lost: added.filter((i) => !gone.has(i) && !cart.items.includes(i)),
    sameReplicaConcurrent: sameReplicaConcurrent(writes, causality),
    causality,
  };
}

/**
 * How many writes did not know of an earlier write that another client made through the same
 * replica. Write v knows of client a's write w (a's k-th) exactly when v's vector counts at least
 * k writes of a; checking a's last write through the replica before v is enough, since v cannot
 * know of it and not of a's earlier ones.
 */
export function sameReplicaConcurrent(writes: readonly CartWrite[], causality: Causality): number {
  /** Per replica, per client: the count of that client's last write through it. */
  const last = new Map<string, Map<string, number>>();
  let n = 0;
  for (const v of writes) {
    const clock = causality.clockOf(v.id);
    const here = last.get(v.replica) ?? new Map<string, number>();
    if ([...here].some(([client, k]) => client !== v.client && (clock[client] ?? 0) < k)) n++;
    here.set(v.client, clock[v.client] ?? 0);
    last.set(v.replica, here);
  }
  return n;
}

/**
 * The writes that no other write knew of, sorted. Write w (the k-th of its client) happened
 * before write v exactly when v's vector counts at least k writes of w's client; so w is maximal
 * when no other write's vector reaches k for that client. Linear in writes times clients.
 */
export function maximalWrites(writes: readonly CartWrite[], causality: Causality): string[] {
  // For each client: the largest count of its writes known to a write of another client, and
  // the count of its own last write.
  const knownByOthers = new Map<string, number>();
  const last = new Map<string, number>();
  for (const w of writes) {
    const clock = causality.clockOf(w.id);
    for (const [client, count] of Object.entries(clock)) {
      if (client === w.client) last.set(client, Math.max(last.get(client) ?? 0, count));
      else knownByOthers.set(client, Math.max(knownByOthers.get(client) ?? 0, count));
    }
  }
  return writes
    .filter((w) => {
      const own = causality.clockOf(w.id)[w.client] ?? 0;
      return own === last.get(w.client) && (knownByOthers.get(w.client) ?? 0) < own;
    })
    .map((w) => w.id)
    .sort();
}
