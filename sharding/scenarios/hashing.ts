/**
 * Hash-based placement: hash mod N (how not to do it), consistent hashing with virtual nodes,
 * jump hash and rendezvous hashing, and the table that compares them all (DDIA ch. 6,
 * "Partitioning by Hash of Key" and "Rebalancing Partitions").
 *
 * Every scenario here runs the same experiment on its scheme: place the keys, add a node, remove
 * a node, and count which keys moved and where to.
 */

import type { Scenario } from "../../shared/cli.js";
import { maxOverMean, percent } from "../../shared/stats.js";
import type { Cell, Trace } from "../../shared/trace.js";
import {
  assign,
  bars,
  everyKeyHasOneOwner,
  keysFor,
  loadOf,
  movement,
  nodeNames,
} from "../measure.js";
import {
  keysOption,
  NODES_ADDED_AND_REMOVED,
  nodesOption,
  partitionsOption,
  vnodesOption,
} from "../options.js";
import {
  ConsistentHashRing,
  FixedPartitions,
  HashModN,
  JumpHash,
  type Placement,
  Rendezvous,
} from "../placement.js";
import { REF } from "../refs.js";
import { counted, listed } from "../words.js";

interface HashOptions {
  nodes: number;
  keys: number;
}

/** The node removed in every experiment: the second one, so that it is never the last. */
function victimOf(placement: Placement): string {
  return placement.nodes[Math.min(1, placement.nodes.length - 1)] as string;
}

/**
 * Place the keys, add a node, remove one; narrate the movement and check where keys went.
 * `minimal` says whether the scheme promises minimal movement (hash mod N does not).
 */
function addAndRemove(
  trace: Trace,
  placement: Placement,
  keys: readonly string[],
  options: { minimal: boolean; ref: string; victim?: string },
): void {
  const n = placement.nodes.length;
  const newNode = `node-${n + 1}`;
  const before = assign(placement, keys);
  const load = loadOf(before);
  trace.bars(
    `Keys per node: ${placement.scheme}, ${counted(n, "node")}, ${counted(keys.length, "key")}`,
    bars(load),
    "keys",
  );
  trace.note(
    `Load imbalance (busiest node ÷ mean): ${maxOverMean([...load.values()]).toFixed(3)}; 1.000 would be perfectly even.`,
  );

  const grown = assign(placement.withNode(newNode), keys);
  const add = movement(before, grown, newNode);
  trace.note(
    `Add ${newNode}: ${add.moved} of ${counted(keys.length, "key")} ${add.moved === 1 ? "changes" : "change"} owner (${percent(add.fraction)}). A scheme that gives the new node its fair share moves 1/(N+1) = ${percent(1 / (n + 1))} of the keys on average, and nothing less balances the load.`,
    { ref: options.ref, level: "summary" },
  );
  trace.bars(`Keys per node after adding ${newNode}`, bars(loadOf(grown)), "keys");

  // Removing the only node would leave the keys nowhere: with one node there is no removal.
  const victim = options.victim ?? victimOf(placement);
  const removal =
    n === 1
      ? undefined
      : { shrunk: assign(placement.withoutNode(victim), keys), owned: load.get(victim) ?? 0 };
  const remove = removal && movement(before, removal.shrunk, victim);
  if (removal === undefined || remove === undefined) {
    trace.note("With a single node there is none to remove: the removal step is skipped.");
  } else {
    trace.note(
      `Remove ${victim}: ${counted(remove.moved, "key")} ${remove.moved === 1 ? "changes" : "change"} owner (${percent(remove.fraction)}); ${victim} held ${removal.owned} (${percent(removal.owned / keys.length)}), which is the least that must move.`,
      { level: "summary" },
    );
  }

  trace.check(
    "every key has exactly one owner",
    [before, grown, removal?.shrunk].every((a) => a === undefined || everyKeyHasOneOwner(a, keys)),
  );
  // Where keys went is only judged if some key moved: with few keys, none may.
  const onAdd = "adding a node moves keys only to the new node";
  if (add.moved === 0) {
    trace.notExercised(
      onAdd,
      keys.length === 1
        ? `no key moved: ${newNode} did not take the 1 key`
        : `no key moved: ${newNode} took none of the ${keys.length}`,
      {
        ref: options.ref,
      },
    );
  } else {
    // With one node before the join, every moved key can only have gone to the new node.
    trace.check(onAdd, add.onlyInvolvesChanged, {
      expected: options.minimal || n === 1,
      detail: add.onlyInvolvesChanged
        ? add.moved === 1
          ? `the 1 moved key went to ${newNode}`
          : `all ${add.moved} moved keys went to ${newNode}`
        : `keys also moved between existing nodes`,
      ref: options.ref,
    });
  }
  if (remove === undefined) return;
  const onRemove = "removing a node moves keys only away from the removed node";
  if (remove.moved === 0) {
    trace.notExercised(
      onRemove,
      keys.length === 1
        ? `no key moved: ${victim} did not hold the 1 key`
        : `no key moved: ${victim} held none of the ${keys.length}`,
      {
        ref: options.ref,
      },
    );
    return;
  }
  // With two nodes, every moved key can only have come from the removed one.
  trace.check(onRemove, remove.onlyInvolvesChanged, {
    expected: options.minimal || n === 2,
    detail: remove.onlyInvolvesChanged
      ? remove.moved === 1
        ? `the 1 moved key came from ${victim}`
        : `all ${remove.moved} moved keys came from ${victim}`
      : `keys also moved between the remaining nodes`,
    ref: options.ref,
  });
}

export const hashModN: Scenario<HashOptions> = {
  name: "hash-mod-n",
  summary: "hash(key) mod N, then add a node: most keys move",
  options: [nodesOption(4, NODES_ADDED_AND_REMOVED), keysOption(10_000)],
  run: ({ trace, seed }, { nodes, keys }) => {
    trace.section("Hash mod N: how not to do it", REF.hashModN);
    trace.note(
      "The book's example: a key with hash 123456 lives on node 123456 mod 10 = 6 in a 10-node cluster. Add an 11th node and it must move to 123456 mod 11 = 3; with 12 nodes, to 123456 mod 12 = 0.",
      { ref: REF.hashModN },
    );
    trace.note(
      `Expect ${nodes === 1 ? "half the keys" : "most keys"} to move: a key stays put only if hash mod N = hash mod (N+1), which holds for 1 hash in N+1, so about N/(N+1) = ${percent(nodes / (nodes + 1))} of keys move when node ${nodes + 1} arrives.`,
    );
    const keySet = keysFor(seed, keys);
    const placement = new HashModN(nodeNames(nodes));
    addAndRemove(trace, placement, keySet, { minimal: false, ref: REF.hashModN });
  },
};

interface RingOptions extends HashOptions {
  vnodes: number;
}

export const consistentHashing: Scenario<RingOptions> = {
  name: "consistent-hashing",
  summary: "a ring with virtual nodes: adding a node moves only its fair share",
  options: [nodesOption(4, NODES_ADDED_AND_REMOVED), keysOption(10_000), vnodesOption(64)],
  run: ({ trace, seed }, { nodes, keys, vnodes }) => {
    trace.section(
      `A consistent-hashing ring, ${counted(vnodes, "virtual node")} per node`,
      REF.proportional,
    );
    trace.note(
      `Each node owns ${vnodes === 1 ? "one random point (token)" : `${vnodes} random points (tokens)`} on a ring of hash values; a key belongs to the first token clockwise from its hash. This is how Cassandra places data: a fixed number of tokens per node, 256 by default before Cassandra 4.0 and 16 since (num_tokens). The book calls this scheme partitioning proportionally to nodes.`,
      { ref: REF.proportional },
    );
    trace.note(
      'The book avoids the name consistent hashing. Karger et al. defined it to spread load over internet-wide caches such as a CDN; "consistent" there means neither replica consistency (chapter 5) nor ACID consistency (chapter 7), and the approach does not work very well for databases, so the book calls partitioning by a hash of the key simply hash partitioning.',
      { ref: REF.consistentHashing },
    );
    const keySet = keysFor(seed, keys);
    addAndRemove(trace, new ConsistentHashRing(nodeNames(nodes), vnodes, seed), keySet, {
      minimal: true,
      ref: REF.proportional,
    });
    trace.table(
      "More virtual nodes, more even load",
      [
        "vnodes per node",
        "max/mean load",
        `share taken by node-${nodes + 1}`,
        "ideal share",
        "tokens held by a router",
      ],
      [1, 8, 16, 64, 256].map((v) => {
        const ring = new ConsistentHashRing(nodeNames(nodes), v, seed);
        const before = assign(ring, keySet);
        const add = movement(
          before,
          assign(ring.withNode(`node-${nodes + 1}`), keySet),
          `node-${nodes + 1}`,
        );
        return [
          v,
          maxOverMean([...loadOf(before).values()]).toFixed(3),
          percent(add.fraction),
          percent(1 / (nodes + 1)),
          (nodes + 1) * v,
        ] as Cell[];
      }),
      "With one token per node, arcs differ wildly in length; many tokens average the arcs out, at the cost of metadata. Cassandra's default went from 256 tokens to 16 in 4.0, with a token allocator that places new tokens to balance load instead of at random.",
    );
  },
};

export const jumpHash: Scenario<HashOptions> = {
  name: "jump-hash",
  summary: "jump consistent hash: minimal movement with no metadata, but only at the end",
  options: [nodesOption(4, NODES_ADDED_AND_REMOVED), keysOption(10_000)],
  run: ({ trace, seed }, { nodes, keys }) => {
    trace.section("Jump consistent hash (Lamping & Veach, 2014)", REF.hash);
    trace.note(
      "Buckets are numbered 0..N-1 and a key jumps forward through them with a pseudo-random generator seeded by its 64-bit hash; growing to N+1 buckets moves exactly the keys that now jump into the new one. No ring and no table: the router only needs N.",
    );
    const keySet = keysFor(seed, keys);
    const placement = new JumpHash(nodeNames(nodes));
    const last = placement.nodes[placement.nodes.length - 1] as string;
    addAndRemove(trace, placement, keySet, { minimal: true, ref: REF.hash, victim: last });
    // Node-2 is in the middle only when some node comes after it.
    if (nodes > 2) {
      const victim = victimOf(placement);
      const victimKeys = loadOf(assign(placement, keySet)).get(victim) ?? 0;
      const middle = movement(
        assign(placement, keySet),
        assign(placement.withoutNode(victim), keySet),
        victim,
      );
      trace.note(
        `The catch: buckets can only be removed from the end. Removing ${victim} from the middle means renumbering (here, ${last} takes its bucket number), and ${counted(middle.moved, "key")} ${middle.moved === 1 ? "moves" : "move"} (${percent(middle.fraction)}) where only ${victim}'s own ${victimKeys} (${percent(victimKeys / keySet.length)}) had to. The paper pairs jump hash with replication for that reason.`,
        { level: "summary" },
      );
    }
  },
};

export const rendezvous: Scenario<HashOptions> = {
  name: "rendezvous",
  summary: "highest random weight: every node bids for a key, the highest bid wins",
  options: [nodesOption(4, NODES_ADDED_AND_REMOVED), keysOption(10_000)],
  run: ({ trace, seed }, { nodes, keys }) => {
    trace.section("Rendezvous (highest random weight) hashing", REF.hash);
    trace.note(
      "For each key, every node computes hash(node, key); the highest wins. Adding a node steals exactly the keys it now outbids everyone for; removing one hands each of its keys to that key's runner-up. A lookup costs one hash per node.",
    );
    addAndRemove(trace, new Rendezvous(nodeNames(nodes), seed), keysFor(seed, keys), {
      minimal: true,
      ref: REF.hash,
    });
  },
};

interface CompareOptions extends RingOptions {
  partitions: number;
}

export const compare: Scenario<CompareOptions> = {
  name: "compare",
  summary: "one table of every placement scheme: keys moved, load, metadata, lookup cost",
  options: [
    nodesOption(4, NODES_ADDED_AND_REMOVED),
    keysOption(10_000),
    vnodesOption(256),
    partitionsOption(256),
  ],
  run: ({ trace, seed }, { nodes, keys, vnodes, partitions }) => {
    trace.section("Every placement scheme on the same keys", REF.hash);
    const keySet = keysFor(seed, keys);
    const names = nodeNames(nodes);
    const newNode = `node-${nodes + 1}`;
    const schemes: Placement[] = [
      new HashModN(names),
      new ConsistentHashRing(names, 1, seed),
      new ConsistentHashRing(names, vnodes, seed),
      new JumpHash(names),
      new Rendezvous(names, seed),
      FixedPartitions.create(names, partitions),
    ];
    const assignments = schemes.map((placement) => assign(placement, keySet));
    const rows: Cell[][] = assignments.map((before) => {
      const placement = before.placement;
      const victim = victimOf(placement);
      const add = movement(before, assign(placement.withNode(newNode), keySet), newNode);
      const remove =
        nodes > 1
          ? movement(before, assign(placement.withoutNode(victim), keySet), victim)
          : undefined;
      return [
        placement.scheme,
        percent(add.fraction),
        remove === undefined ? "n/a" : percent(remove.fraction),
        maxOverMean([...loadOf(before).values()]).toFixed(3),
        placement.metadataEntries,
        placement.lookupCost,
      ];
    });
    const victimName = victimOf(schemes[0] as Placement);
    trace.table(
      nodes === 1
        ? `1 node, ${counted(keys, "key")}: add ${newNode} (with one node there is none to remove)`
        : `${nodes} nodes, ${counted(keys, "key")}: add ${newNode}, or remove ${victimName}`,
      ["scheme", "moved on add", "moved on remove", "max/mean load", "router metadata", "lookup"],
      rows,
      `On add, a scheme that gives the new node its fair share moves 1/(N+1) = ${percent(1 / (nodes + 1))} of the keys on average${nodes === 1 ? "" : "; on remove, at least the removed node's own keys"}.${nodes > 2 ? ` Jump hash renumbers on a removal from the middle (${victimName}).` : ""} Fixed partitions move whole partitions.`,
    );
    trace.check(
      "every scheme gives every key exactly one owner",
      assignments.every((a) => everyKeyHasOneOwner(a, keySet)),
    );
  },
};

interface FixedOptions {
  nodes: number;
  keys: number;
  partitions: number;
}

export const fixedPartitions: Scenario<FixedOptions> = {
  name: "fixed-partitions",
  summary: "many more partitions than nodes; a new node steals whole partitions",
  options: [
    nodesOption(3, "nodes at the start, before one joins"),
    keysOption(10_000),
    partitionsOption(12),
  ],
  run: ({ trace, seed }, { nodes, keys, partitions }) => {
    trace.section(
      `${counted(partitions, "fixed partition")} on ${counted(nodes, "node")}`,
      REF.fixed,
    );
    trace.note(
      "Create many more partitions than nodes and assign several to each node; the number of partitions never changes, only their assignment. Riak, Elasticsearch, Couchbase and Voldemort work this way.",
      { ref: REF.fixed },
    );
    const keySet = keysFor(seed, keys);
    const before = FixedPartitions.create(nodeNames(nodes), partitions);
    const newNode = `node-${nodes + 1}`;
    const after = before.withNode(newNode);
    const moved = before.partitionMap
      .map((owner, p) => (owner === after.partitionMap[p] ? -1 : p))
      .filter((p) => p >= 0);
    const idle = after.nodes.filter((n) => after.partitionsOf(n).length === 0);
    trace.note(
      moved.length === 0
        ? `${newNode} joins but steals no partition: ${counted(partitions, "partition")} over ${after.nodes.length} nodes come${partitions === 1 ? "s" : ""} to less than one each, so ${listed(idle)} ${idle.length === 1 ? "holds" : "hold"} nothing.`
        : `${newNode} joins and steals ${moved.length === 1 ? `partition ${moved[0]}` : `${moved.length} partitions, ${moved.length <= 12 ? listed(moved) : "listed below"},`} ${moved.length === 1 ? "from the node that holds the most" : "one at a time from whichever node holds the most"}.`,
      { level: "summary" },
    );
    // A large map is shown by what changed: the moved partitions, and partitions per node.
    const mapRowsMax = 32;
    if (partitions <= mapRowsMax) {
      trace.table(
        "The partition map before and after",
        ["partition", "before", "after", ""],
        before.partitionMap.map((owner, p) => [
          p,
          owner,
          after.partitionMap[p] as string,
          moved.includes(p) ? "← moved" : "",
        ]),
      );
    } else {
      trace.table(
        moved.length === 0
          ? `The partition map: none of the ${partitions} partitions changes owner`
          : `The partition map: the ${counted(moved.length, "partition")} that moved; the other ${partitions - moved.length} keep their owner`,
        ["partition", "before", "after"],
        moved.map((p) => [p, before.partitionMap[p] as string, after.partitionMap[p] as string]),
      );
      trace.table(
        "Partitions per node, before and after",
        ["node", "before", "after"],
        after.nodes.map((n) => [
          n,
          n === newNode ? "-" : before.partitionsOf(n).length,
          after.partitionsOf(n).length,
        ]),
      );
    }
    const afterAssignment = assign(after, keySet);
    trace.bars("Keys per node after the join", bars(loadOf(afterAssignment)), "keys");

    const counts = after.nodes.map((n) => after.partitionsOf(n).length);
    const fairLow = Math.floor(partitions / after.nodes.length);
    const keyMove = movement(assign(before, keySet), afterAssignment, newNode);
    trace.check("every key has exactly one owner", everyKeyHasOneOwner(afterAssignment, keySet));
    const wholePartitions = "only whole partitions move, and only to the new node";
    if (moved.length === 0) {
      trace.notExercised(
        wholePartitions,
        `${newNode} took no partition: ${counted(partitions, "partition")} over ${after.nodes.length} nodes come${partitions === 1 ? "s" : ""} to less than one each`,
      );
    } else {
      trace.check(
        wholePartitions,
        moved.every((p) => after.partitionMap[p] === newNode) && keyMove.onlyInvolvesChanged,
        {
          detail:
            keyMove.moved === 0
              ? `${counted(moved.length, "partition")} moved to ${newNode}, holding none of the ${counted(keys, "key")}`
              : `${counted(keyMove.moved, "key")} moved (${percent(keyMove.fraction)}), all inside the ${counted(moved.length, "moved partition")}`,
        },
      );
    }
    // With fewer partitions than nodes some nodes must sit idle: no share is fair, so the check
    // has nothing to judge (the cap the note below explains).
    const fair = "every node ends with its fair share of partitions";
    if (partitions < after.nodes.length) {
      trace.notExercised(
        fair,
        `${counted(partitions, "partition")} cannot go round ${after.nodes.length} nodes: ${listed(idle)} ${idle.length === 1 ? "holds" : "hold"} none`,
      );
    } else {
      trace.check(
        fair,
        counts.every((c) => c >= fairLow && c <= Math.ceil(partitions / after.nodes.length)),
        { detail: `partitions per node: ${counts.join(", ")}` },
      );
    }
    trace.note(
      "The partition count caps the cluster: with P partitions, no more than P nodes can share the load, and each partition's size grows with the data. Choosing P up front is the hard part.",
      { ref: REF.fixed },
    );
  },
};
