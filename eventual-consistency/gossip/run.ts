/**
 * One gossip run: N nodes, one update originated at the first node, rounds every `ROUND_MS`
 * until every node that is up knows the update or the round limit is reached. What the scenario
 * narrates, the tests check, and a benchmark of rounds against N needs (`runGossip`, `runSeeds`).
 *
 * Rounds are synchronous, as in the papers' model: every node's round timer fires at the same
 * instant, and latency (1 to 10 ms) is far below the round (100 ms), so every message of round r
 * (a pull's reply included) arrives within round r; and a node that learns in round r passes
 * the update on from round r + 1, since it answers pulls with what it held when round r began.
 */

import { Network } from "../../shared/network.js";
import { Random } from "../../shared/random.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import type { GossipMessage } from "./messages.js";
import { emptyCost, type GossipCost, type GossipMode, GossipNode } from "./node.js";

export const ROUND_MS = 100;
/** Rounds after which a run gives up: a limit on everything (TigerBeetle's rule). */
export const ROUND_LIMIT = 1_000;

export interface GossipOptions {
  seed: number;
  nodes: number;
  mode: GossipMode;
  /** Probability that a message is lost. */
  loss: number;
  /**
   * Nodes that crash and never come back, never the origin: the first half (rounded up) are down
   * from the start, the others crash during one of the first ceil(log2 N) rounds.
   */
  crash: number;
  /** Rounds during which the cluster is cut in two halves (the origin in the first); 0: none. */
  partitionRounds: number;
  /** Rumor mongering: a node stops pushing after this many pushes; 0: never (anti-entropy). */
  stopAfterPushes: number;
  /** Broken variant for the tests: each node always calls its successor on a ring. */
  peerChoice?: "random" | "successor";
  /** Variant for the tests: answer pulls with the latest update, not the round's first. */
  answerWith?: "round-start" | "latest";
  roundLimit?: number;
}

export interface LearnedInRound {
  id: string;
  from: string;
  via: "push" | "pull";
}

export interface RoundRecord {
  round: number;
  /** Nodes up at the end of the round that know the update, and nodes up. */
  informedLive: number;
  live: number;
  learned: LearnedInRound[];
  crashed: string[];
  messages: number;
}

export interface GossipRun {
  nodes: number;
  origin: string;
  /** Nodes up when the run ended. */
  live: number;
  downFromStart: string[];
  crashedDuring: { id: string; round: number }[];
  /** Rounds until every node that was up knew the update; undefined if the limit came first. */
  roundsToAll: number | undefined;
  roundLimit: number;
  rounds: RoundRecord[];
  /** Nodes up at the end that never heard the update. */
  uninformedLive: string[];
  cost: GossipCost;
  /** Every message sent, whatever its fate (lost, dropped at a crashed node, delivered). */
  messages: number;
  /**
   * Set when a run ended before the limit without reaching everyone because nothing could change
   * any more: under push with rumor mongering, no node that is up would ever push again.
   */
  quiescentAfterRound: number | undefined;
  /** The round after which the partition healed, if there was one. */
  healedAfterRound: number | undefined;
}

export function nodeName(index: number): string {
  return `n${index + 1}`;
}

export function runGossip(trace: Trace, options: GossipOptions): GossipRun {
  const n = options.nodes;
  const roundLimit = options.roundLimit ?? ROUND_LIMIT;
  const sim = new Simulation({ seed: options.seed, trace, maxEvents: 50_000_000 });
  const net = new Network<GossipMessage>(sim, {
    latencyMsMin: 1,
    latencyMsMax: 10,
    loss: options.loss,
  });
  const cost = emptyCost();
  const members = Array.from({ length: n }, (_, i) => nodeName(i));
  const nodes = members.map((id, index) =>
    net.add(
      new GossipNode(id, net, {
        members,
        index,
        mode: options.mode,
        roundMs: ROUND_MS,
        stopAfterPushes: options.stopAfterPushes,
        peerChoice: options.peerChoice ?? "random",
        answerWith: options.answerWith ?? "round-start",
        cost,
      }),
    ),
  );
  const origin = nodes[0] as GossipNode;
  origin.originate({ version: 1, value: "new cluster state" });

  // Crashes: chosen among the nodes other than the origin, from their own stream.
  const crashRandom = sim.random.fork("crashes");
  const victims = crashRandom.shuffle(members.slice(1)).slice(0, options.crash);
  const fromStart = Math.ceil(victims.length / 2);
  const downFromStart = victims.slice(0, fromStart);
  const spreadRounds = Math.max(1, Math.ceil(Math.log2(n)));
  const crashedDuring = victims
    .slice(fromStart)
    .map((id) => ({ id, round: crashRandom.int(1, spreadRounds) }));
  for (const id of downFromStart) net.node(id).crash();
  for (const { id, round } of crashedDuring)
    sim.at(round * ROUND_MS + 5, () => net.node(id).crash());

  let healedAfterRound: number | undefined;
  if (options.partitionRounds > 0) {
    const half = Math.ceil(n / 2);
    net.partition([members.slice(0, half), members.slice(half)]);
    healedAfterRound = options.partitionRounds;
    sim.at(options.partitionRounds * ROUND_MS + ROUND_MS / 2, () => net.heal());
  }

  const everyLiveNodeKnows = () => nodes.every((node) => node.crashed || node.version > 0);
  const rounds: RoundRecord[] = [];
  let roundsToAll: number | undefined = everyLiveNodeKnows() ? 0 : undefined;
  const known = new Set<string>([origin.id]);
  // Under push only a node that knows and still pushes can inform anyone; pull and push-pull
  // keep calling every round. Messages of a round have all arrived by the round's end.
  const quiescent = () =>
    options.mode === "push" && nodes.every((node) => node.crashed || !node.willPush());
  let quiescentAfterRound: number | undefined;
  let sentBefore = 0;
  for (
    let round = 1;
    roundsToAll === undefined && quiescentAfterRound === undefined && round <= roundLimit;
    round++
  ) {
    // Half-way through the round every message of the round has arrived (latency <= 20 ms for a
    // request and its reply); the heal, if any, is scheduled at that instant too, before this.
    sim.run(round * ROUND_MS + ROUND_MS / 2);
    const learned: LearnedInRound[] = [];
    for (const node of nodes) {
      if (known.has(node.id) || node.learned === undefined) continue;
      known.add(node.id);
      const { from, via } = node.learned;
      if (via !== "origin") learned.push({ id: node.id, from, via });
    }
    const live = nodes.filter((node) => !node.crashed);
    rounds.push({
      round,
      informedLive: live.filter((node) => node.version > 0).length,
      live: live.length,
      learned,
      crashed: crashedDuring.filter((c) => c.round === round).map((c) => c.id),
      messages: net.stats.sent - sentBefore,
    });
    sentBefore = net.stats.sent;
    if (everyLiveNodeKnows()) roundsToAll = round;
    else if (quiescent()) quiescentAfterRound = round;
  }
  const live = nodes.filter((node) => !node.crashed);
  return {
    nodes: n,
    origin: origin.id,
    live: live.length,
    downFromStart,
    crashedDuring,
    roundsToAll,
    roundLimit,
    rounds,
    uninformedLive: live.filter((node) => node.version === 0).map((node) => node.id),
    cost,
    messages: net.stats.sent,
    quiescentAfterRound,
    healedAfterRound,
  };
}

/** `count` run seeds derived from one seed: the same seeds for every configuration compared. */
export function runSeeds(seed: number, count: number): number[] {
  const random = new Random(seed).fork("runs");
  return Array.from({ length: count }, () => random.nextUint32());
}

/**
 * The round-count formulas of the papers, for one cluster size (none is the book's):
 * - push: log2 N + ln N + O(1) rounds in probability (Pittel 1987, "On spreading a rumor",
 *   sharpening Frieze and Grimmett 1985, who showed the ratio to log2 N + ln N tends to 1), the
 *   log2 N of the doubling phase plus the ln N of the last few nodes; ln is the natural log.
 * - push-pull: log3 N + O(log log N) rounds (Karp, Schindelhauer, Shenker and Vöcking 2000,
 *   "Randomized rumor spreading").
 * - pull: log2 N to reach half the nodes, then the uninformed share squares each round (Demers et
 *   al. 1987: p(i+1) = p(i)^2), so O(log log N) more.
 * The constants are left out, so these are to be compared by how they grow with N.
 */
export function referenceRounds(n: number): {
  log2: number;
  ln: number;
  log3: number;
  push: number;
} {
  const log2 = Math.log2(n);
  const ln = Math.log(n);
  return { log2, ln, log3: Math.log(n) / Math.log(3), push: log2 + ln };
}
