/**
 * Version vectors and the shopping cart (DDIA ch. 5, "Detecting Concurrent Writes": "Merging
 * concurrently written values" and "Version vectors").
 *
 * 1. The book's figure 5-13 on one replica shared by two clients: each value's dot, kept apart
 *    from its context, lets a write with an older context keep a newer concurrent value.
 * 2. Scripted, on two replicas: client 1 removes milk while client 2, on the other replica, adds
 *    eggs to a cart that still held milk. The version vectors show the two writes concurrent, so
 *    both replicas keep them as siblings. The application merges siblings by union, and milk comes
 *    back. The same script with tombstones: the removal leaves a marker and milk stays out.
 * 3. A random run (--replicas, --clients, --writes, --remove-ratio, --loss) under both merges,
 *    judged by an observer's happens-before: the converged siblings are exactly the writes no
 *    other write knew of; no added item is lost; and removed items come back under the union,
 *    never with tombstones.
 */

import { decimal, integer, option, probability, type Scenario } from "../../shared/cli.js";
import type { VectorClock } from "../../shared/clocks.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { VectorReplica } from "../../shared/versions.js";
import { plural } from "../../shared/words.js";
import {
  applyChange,
  type CartChange,
  type CartMerge,
  type CartValue,
  mergeCart,
  showCart,
  showValue,
} from "../conflicts/cart.js";
import {
  type CartMessage,
  CartReplica,
  showSiblings,
  showVector,
} from "../conflicts/cart-replica.js";
import { type CartResult, cartReplicaName, runCart } from "../conflicts/cart-run.js";
import { REF } from "../refs.js";

interface Options {
  replicas: number;
  clients: number;
  writes: number;
  removeRatio: number;
  loss: number;
}

const MERGE_LABEL: Record<CartMerge, string> = {
  union: "union of siblings",
  tombstones: "union minus tombstones",
};

// ---------------------------------------------------------------------------------------------
// Figure 5-13, on one replica shared by two clients.

/** A client of figure 5-13: what it last read (the replica's answer to its previous write). */
interface FigureClient {
  name: string;
  context: VectorClock;
  values: CartValue[];
}

function figure513(trace: Trace): string[][] {
  trace.section(
    "Figure 5-13: two clients, one replica, one shopping cart",
    REF.capturingHappensBefore,
  );
  trace.note(
    "Clients 1 and 2 both write through replica c1. As in the book, each write returns every sibling and the context to send with the next write; the client merges the siblings (a union: nothing is removed here) and adds its item. Each value keeps its dot (c1 and c1's counter for the write) apart from the context its client had read, and a write supersedes exactly the values whose dots its context covers.",
    { ref: REF.capturingHappensBefore },
  );
  const replica = new VectorReplica<CartValue>("c1");
  const one: FigureClient = { name: "client 1", context: {}, values: [] };
  const two: FigureClient = { name: "client 2", context: {}, values: [] };
  const add = (client: FigureClient, item: string) => {
    const merged = mergeCart(client.values, "union");
    const next = applyChange(merged, { kind: "add", item }, "union");
    const sentWith = client.context;
    replica.write({ writeId: `${client.name} adds ${item}`, ...next }, sentWith);
    const written = replica.siblings.at(-1);
    const answer = replica.read();
    client.context = answer.context;
    client.values = answer.values;
    trace.note(
      `${client.name} writes ${showCart(next.items)} with the context ${showVector(sentWith)}: c1 gives it the dot c1:${written?.dot.counter ?? "?"} and now holds ${replica.siblings.map((s) => `${showCart(s.value.items)} (dot c1:${s.dot.counter})`).join(" and ")}; it answers with the context ${showVector(answer.context)}`,
      { node: "c1" },
    );
  };
  add(one, "milk");
  add(two, "eggs");
  add(one, "flour");
  add(two, "ham");
  add(one, "bacon");
  const final = replica.siblings.map((s) => [...s.value.items]);
  const shown = final.map((items) => showCart(items)).join(" and ");
  trace.note(
    `c1 ends with two siblings, ${shown}, as in the book's figure. Eggs was written with the empty context, so it did not supersede milk (dot c1:1) though its own dot c1:2 is larger: with whole vectors and no dot apart, eggs' {c1: 2} would dominate milk's {c1: 1}, and milk would be dropped though client 2 never saw it. Likewise bacon, written with the context {c1: 3}, keeps client 2's ham (dot c1:4) beside it.`,
    { level: "summary", ref: REF.versionVectors },
  );
  // By hand from the book's figure 5-13: the final siblings are [milk, flour, eggs, bacon] and
  // [eggs, milk, ham], each sorted here.
  const expected = [
    ["bacon", "eggs", "flour", "milk"],
    ["eggs", "ham", "milk"],
  ];
  const sortedFinal = final.map((items) => items.join()).sort();
  trace.check(
    "two clients on one replica: the siblings are the book's, [bacon, eggs, flour, milk] and [eggs, ham, milk]",
    sortedFinal.join(" | ") === expected.map((items) => items.join()).join(" | "),
    { detail: shown, ref: REF.capturingHappensBefore },
  );
  return final;
}

// ---------------------------------------------------------------------------------------------
// Scripted: a removal undone by the union of siblings, and kept by a tombstone.

/** A client's step: read the siblings, merge them, change an item, write with the context read. */
function clientStep(
  trace: Trace,
  sim: Simulation,
  replica: CartReplica,
  client: string,
  change: CartChange,
  merge: CartMerge,
): void {
  const { context, values } = replica.read();
  const cart = mergeCart(values, merge);
  const next = applyChange(cart, change, merge);
  const siblingsRead = replica.siblings;
  replica.write(
    {
      writeId: `${client} ${change.kind}s ${change.item}`,
      items: next.items,
      removed: next.removed,
    },
    context,
  );
  const written = replica.siblings.at(-1);
  const readText =
    siblingsRead.length === 0
      ? "reads an empty cart"
      : siblingsRead.length === 1
        ? `reads ${showSiblings(siblingsRead)}`
        : `reads ${siblingsRead.length} siblings, ${showSiblings(siblingsRead)}, and merges them (${MERGE_LABEL[merge]}) into ${showValue(cart)}`;
  trace.note(
    `${client} ${readText}; ${change.kind === "add" ? "adds" : "removes"} ${change.item} and writes ${showValue(next)} with the context ${showVector(context)}: ${replica.id} gives it the vector ${written ? showVector(written.clock) : "?"}${siblingsRead.length > 0 ? ", which supersedes what the client read" : ""}`,
    { node: replica.id, time: sim.now },
  );
}

function scriptedCart(trace: Trace, seed: number, merge: CartMerge): string[] {
  const sim = new Simulation({ seed, trace });
  const net = new Network<CartMessage>(sim, { latencyMsMin: 2, latencyMsMax: 2 });
  const ids = ["c1", "c2"];
  const [c1, c2] = ids.map((id) =>
    net.add(new CartReplica(id, net, () => ids.filter((p) => p !== id), true)),
  ) as [CartReplica, CartReplica];
  sim.at(0, () => clientStep(trace, sim, c1, "client-1", { kind: "add", item: "milk" }, merge));
  sim.at(5, () => {
    clientStep(trace, sim, c1, "client-1", { kind: "remove", item: "milk" }, merge);
    clientStep(trace, sim, c2, "client-2", { kind: "add", item: "eggs" }, merge);
  });
  sim.at(10, () => clientStep(trace, sim, c2, "client-2", { kind: "add", item: "ham" }, merge));
  sim.run();
  return mergeCart(
    c1.siblings.map((s) => s.value),
    merge,
  ).items;
}

function scripted(trace: Trace, seed: number): void {
  trace.section("A removed item comes back: siblings merged by union", REF.merging);
  trace.note(
    "Two replicas, c1 and c2, each serving one client; each write reaches the other replica 2 ms after it is taken. Each value carries a version vector: the context its client read, plus the write's own dot (the replica and that replica's counter for it). A replica drops a value only when a write whose context covers that dot supersedes it, that is, only when the writer had seen it, and keeps concurrent values side by side as siblings. A client reads every sibling with their merged vector (its context) and writes back with that context.",
    { ref: REF.versionVectors },
  );
  const union = scriptedCart(trace, seed, "union");
  trace.note(
    `The cart converges to ${showCart(union)}. Client 1's removal of milk was concurrent with client 2's addition of eggs, to a cart in which milk was still present; the union of the two siblings puts milk back, and client 2's next write, based on both, makes that final.`,
    { level: "summary", ref: REF.merging },
  );
  trace.check(
    "union of siblings: milk, removed by client 1, stays out of the cart",
    !union.includes("milk"),
    {
      expected: false,
      detail: showCart(union),
      ref: REF.merging,
    },
  );

  trace.section("The same with tombstones", REF.merging);
  trace.note(
    "A removal now leaves a marker (a tombstone) in the value it writes, and the merge takes the union of the items minus every item some sibling marked removed.",
    { ref: REF.merging },
  );
  const tombstones = scriptedCart(trace, seed, "tombstones");
  trace.note(`The cart converges to ${showCart(tombstones)}: the tombstone kept milk out.`, {
    level: "summary",
    ref: REF.merging,
  });
  trace.check(
    "tombstones: milk, removed by client 1, stays out of the cart",
    !tombstones.includes("milk") && tombstones.includes("eggs") && tombstones.includes("ham"),
    { detail: showCart(tombstones), ref: REF.merging },
  );
}

// ---------------------------------------------------------------------------------------------
// Random run.

function row(merge: CartMerge, r: CartResult): (string | number)[] {
  return [
    MERGE_LABEL[merge],
    r.writes.length,
    r.siblings.length,
    r.cart.items.length,
    r.removed.length,
    r.resurrected.length,
    r.lost.length,
  ];
}

function checks(trace: Trace, merge: CartMerge, r: CartResult, options: Options): void {
  const label = MERGE_LABEL[merge];
  trace.check(
    `${label}: the replicas converge: every replica holds the same siblings`,
    r.converged,
    { ref: REF.versionVectors },
  );
  if (!r.converged) {
    const why = "the replicas did not converge, so there is no final cart to judge";
    trace.notExercised(
      `${label}: the converged siblings are exactly the writes no other write knew of`,
      why,
      { ref: REF.versionVectors },
    );
    trace.notExercised(`${label}: no added item is lost`, why, { ref: REF.merging });
    trace.notExercised(`${label}: no removed item comes back`, why, { ref: REF.merging });
    return;
  }
  trace.check(
    `${label}: the converged siblings are exactly the writes no other write knew of`,
    r.siblings.join() === r.maximal.join(),
    {
      detail: `siblings ${r.siblings.join(", ")}; writes no other write knew of ${r.maximal.join(", ")}`,
      ref: REF.versionVectors,
    },
  );
  const keptAdds = r.added.length - r.removed.length;
  if (keptAdds === 0)
    trace.notExercised(`${label}: no added item is lost`, "every item added was removed later", {
      ref: REF.merging,
    });
  else
    trace.check(`${label}: no added item is lost`, r.lost.length === 0, {
      detail:
        r.lost.length === 0
          ? `${plural(keptAdds, "item", "items")} added and never removed, all in the cart`
          : `lost: ${r.lost.join(", ")}`,
      ref: REF.merging,
    });
  if (r.removed.length === 0)
    trace.notExercised(
      `${label}: no removed item comes back`,
      options.removeRatio === 0
        ? "--remove-ratio 0: no item was removed"
        : "no item was removed in this run",
      { ref: REF.merging },
    );
  else {
    // One client makes every write after the last, knowing of it: no two writes are concurrent,
    // so there are never two siblings for the union to merge, and even it must keep removals.
    const oneWriter = options.clients === 1;
    trace.check(`${label}: no removed item comes back`, r.resurrected.length === 0, {
      expected: merge === "tombstones" || oneWriter,
      detail:
        r.resurrected.length === 0
          ? `${plural(r.removed.length, "item", "items")} removed, none back${merge === "union" && oneWriter ? "; one client: no two writes were concurrent, so the union had no siblings to merge" : ""}`
          : `${r.resurrected.length} of ${r.removed.length} removed items back: ${r.resurrected.slice(0, 5).join(", ")}${r.resurrected.length > 5 ? ", ..." : ""}`,
      ref: REF.merging,
    });
  }
}

/** Which clients write through which replica: client i through replica ((i - 1) mod R) + 1. */
function clientsText({ replicas, clients }: Options): string {
  if (clients === replicas) return "Each replica serves one client.";
  if (clients === 1)
    return `One client writes through c1; ${replicas === 2 ? "c2 only receives" : "the other replicas only receive"} replicated writes.`;
  if (clients < replicas)
    return `${clients} clients write through the first ${clients} replicas, one each; ${replicas - clients === 1 ? "the last replica only receives" : `the other ${replicas - clients} replicas only receive`} replicated writes.`;
  const shared = Array.from({ length: replicas }, (_, r) =>
    Array.from({ length: clients }, (_, c) => c).filter((c) => c % replicas === r),
  ).find((cs) => cs.length > 1);
  const [a = 0, b = 0] = shared ?? [];
  return `The clients are dealt to the replicas in turn, so several write through one replica (client-${a + 1} and client-${b + 1} through ${cartReplicaName(a % replicas)}). When two of them write from the same context, each write gets its own dot, neither covers the other, and both are kept as siblings.`;
}

function randomRun(trace: Trace, seed: number, options: Options): void {
  trace.section(
    `Random run: ${options.replicas} replicas, ${plural(options.clients, "client", "clients")}, ${plural(options.writes, "cart change", "cart changes")}`,
    REF.versionVectors,
  );
  trace.note(
    `${clientsText(options)} Each change reads the siblings at the client's replica, merges them, adds a new item or (with probability ${options.removeRatio}, when the cart is not empty) removes one the client sees, and 1 to 10 ms later writes back with the context it read (meanwhile other writes may reach the replica). Replication is asynchronous, resent until acknowledged (loss ${options.loss}). The same plan runs once with each merge. Once every write has reached every replica, an observer that knows who read what judges the outcome.`,
    { ref: REF.versionVectors },
  );
  const union = runCart({ merge: "union", seed, trace, ...options });
  const tombstones = runCart({ merge: "tombstones", seed, trace, ...options });
  trace.table(
    "The converged cart",
    [
      "merge",
      "writes",
      "siblings",
      "items in cart",
      "items removed",
      "removed, back",
      "added, lost",
    ],
    [row("union", union), row("tombstones", tombstones)],
    "Each row is its own run of the same plan: what a client reads depends on the merge, so the counts may differ in every column.",
  );
  if (options.clients > options.replicas) {
    const n = tombstones.sameReplicaConcurrent;
    trace.note(
      n === 0
        ? "In the run with tombstones, no write was concurrent with an earlier write another client had made through the same replica."
        : `In the run with tombstones, ${plural(n, "write was", "writes were")} concurrent with an earlier write another client had made through the same replica: the case where a vector without a separate dot would let the later write silently replace the earlier. The check of the converged siblings below catches any write so replaced that no later write knew of.`,
      { level: "summary", ref: REF.versionVectors },
    );
  }
  const back = union.resurrected;
  if (back.length > 0)
    trace.note(
      `Under the union, ${back.length === union.removed.length ? `${back.length === 1 ? "the one removed item is" : `all ${back.length} removed items are`}` : `${back.length} of the ${union.removed.length} removed items are`} back in the cart (${back.slice(0, 5).join(", ")}${back.length > 5 ? ", ..." : ""}): each was removed by a write concurrent with another write that still held it, and the union of their siblings put it back. With tombstones, ${tombstones.resurrected.length} are.`,
      { level: "summary", ref: REF.merging },
    );
  else
    trace.note(
      `Under the union, no removed item is in the converged cart in this run${union.removed.length === 0 ? " (nothing was removed)" : ""}.`,
      { level: "summary", ref: REF.merging },
    );
  checks(trace, "union", union, options);
  checks(trace, "tombstones", tombstones, options);
}

export const versionVectors: Scenario<Options> = {
  name: "version-vectors",
  networked: true,
  summary:
    "version vectors keep concurrent writes as siblings; merged by union, a removed item comes back, unless a tombstone records the removal",
  options: [
    option("--replicas <count>", "replicas", integer(2, 9), 2),
    option(
      "--clients <count>",
      "clients, dealt to the replicas in turn (more clients than replicas: several share one)",
      integer(1, 18),
      3,
    ),
    option(
      "--writes <count>",
      "cart changes in all, dealt to the clients in turn",
      integer(1, 2000),
      30,
    ),
    option(
      "--remove-ratio <p>",
      "probability that a change removes an item (when the client sees one)",
      probability,
      0.35,
    ),
    option(
      "--loss <p>",
      "probability that a message is lost (replication is resent until acknowledged)",
      decimal(0, 0.5),
      0.05,
    ),
  ],
  run: ({ trace, seed }, options) => {
    figure513(trace);
    scripted(trace, seed);
    randomRun(trace, seed, options);
  },
};
