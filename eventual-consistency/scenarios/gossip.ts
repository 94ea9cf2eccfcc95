/**
 * Gossip: one update spreads by epidemic dissemination, push, pull or push-pull, across 10 to
 * 1,000 nodes (DDIA ch. 6, "Request Routing": Cassandra and Riak use a gossip protocol among the
 * nodes to disseminate changes in cluster state; ch. 5, "Read repair and anti-entropy").
 *
 * The story first: one cluster, round by round, who hears the update from whom. Then the
 * measure: rounds until every node that is up knows, for N = 10 to 1,000 and each mode, without
 * faults, with loss and with crashed nodes, averaged over several seeds, next to the papers'
 * formulas (Pittel 1987 for push, Karp et al. 2000 for push-pull; none of them is the book's),
 * and the message cost of each mode.
 */

import {
  choice,
  decimal,
  integer,
  invalidValue,
  option,
  type Parser,
  type Scenario,
} from "../../shared/cli.js";
import { mean } from "../../shared/stats.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { GOSSIP_MODES, type GossipMode } from "../gossip/node.js";
import {
  type GossipOptions,
  type GossipRun,
  ROUND_LIMIT,
  ROUND_MS,
  referenceRounds,
  runGossip,
  runSeeds,
} from "../gossip/run.js";
import { REF } from "../refs.js";

/** Sizes of the comparison table, as issue 11 asks: 10 to 1,000 nodes. */
export const TABLE_SIZES = [10, 30, 100, 300, 1_000] as const;
const NODES_MIN = 10;
const NODES_MAX = 1_000;
/** Past this many rounds the story's table shows the first and the last rounds only. */
const STORY_ROWS_MAX = 40;

export interface GossipFlags {
  nodes: number;
  nodesMax: number;
  mode: GossipMode;
  loss: number;
  crash: number;
  partitionRounds: number;
  stopAfter: number;
  seeds: number;
}

/** `--nodes`: 0 (the table's sizes) or one size from 10 to 1,000. */
const nodesParser: Parser<number> = {
  range: `0, or an integer ${NODES_MIN} to ${NODES_MAX}`,
  parse: (value) => {
    if (value === "0") return 0;
    try {
      return integer(NODES_MIN, NODES_MAX).parse(value);
    } catch {
      throw invalidValue(`must be 0 or an integer from ${NODES_MIN} to ${NODES_MAX}`);
    }
  },
};

/** The cluster sizes a run measures: `--nodes` alone, or the table's sizes up to `--nodes-max`. */
export function sizesOf(flags: Pick<GossipFlags, "nodes" | "nodesMax">): number[] {
  if (flags.nodes > 0) return [flags.nodes];
  const sizes: number[] = TABLE_SIZES.filter((n) => n <= flags.nodesMax);
  return sizes.length > 0 ? sizes : [NODES_MIN];
}

/**
 * The bound the push check uses. Pittel (1987) shows push informs everyone in log2 N + ln N +
 * O(1) rounds; past that point the last uninformed nodes each escape a round's pushes with
 * probability about 1/e, so the chance of needing x more rounds falls off like N e^-x over the
 * last ln N rounds, that is about e^-x beyond the formula. Twice the formula plus 10 rounds
 * leaves at least 15 rounds of margin at N = 10 (5.6 expected) and 27 at N = 1,000 (16.9
 * expected): a run that crosses it is slow for a reason, not by bad luck.
 */
export function pushRoundBound(n: number): number {
  return 2 * referenceRounds(n).push + 10;
}

function describeRounds(runs: readonly GossipRun[]): string {
  const finished = runs.flatMap((r) => (r.roundsToAll === undefined ? [] : [r.roundsToAll]));
  const never = runs.length - finished.length;
  if (finished.length === 0) return `never (${runs.length} of ${runs.length})`;
  const low = Math.min(...finished);
  const high = Math.max(...finished);
  const range = runs.length === 1 || low === high ? "" : ` (${low}–${high})`;
  const missed = never === 0 ? "" : `, ${never} of ${runs.length} never`;
  return `${mean(finished).toFixed(1)}${range}${missed}`;
}

function perNode(runs: readonly GossipRun[], count: (r: GossipRun) => number): string {
  return mean(runs.map((r) => count(r) / r.nodes)).toFixed(1);
}

/** A share as a percentage: one decimal from 10% up, two significant digits below. */
function percent(share: number): string {
  const p = 100 * share;
  return `${p >= 10 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

function countRuns(count: number): string {
  return `${count.toLocaleString("en")} run${count === 1 ? "" : "s"}`;
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? "none" : ids.join(", ");
}

/** The story: one cluster, round by round. */
function tellStory(trace: Trace, seed: number, flags: GossipFlags, n: number): void {
  const mongering = flags.stopAfter > 0 && flags.mode !== "pull";
  trace.section(`The story: ${n} nodes, ${flags.mode}, one update from n1`, REF.requestRouting);
  trace.note(
    `A client writes an update (say, a change of cluster state) at n1. Every ${ROUND_MS} ms (a round) each node that is up picks one other node at random among all ${n - 1} others, up or down, since it cannot tell which are down. ${modeSentence(flags.mode)} Messages take 1 to 10 ms, so every message of a round that arrives at all, a pull's answer included, arrives within the round; rounds are synchronous, as in the papers.`,
  );
  if (mongering)
    trace.note(
      `Rumor mongering: a node stops pushing the update after ${flags.stopAfter} push${flags.stopAfter === 1 ? "" : "es"}, whether or not its peers already knew (blind, as Demers et al. call removal that ignores the recipient).${flags.mode === "push-pull" ? " It still calls every round with its digest and answers pulls." : " Nothing else brings the update to a node that no push reached."}`,
      { level: "summary" },
    );
  const options: GossipOptions = {
    seed,
    nodes: n,
    mode: flags.mode,
    loss: flags.loss,
    crash: flags.crash,
    partitionRounds: flags.partitionRounds,
    stopAfterPushes: flags.stopAfter,
  };
  const run = runGossip(trace, options);
  const faults: string[] = [];
  if (flags.loss > 0) faults.push(`each message is lost with probability ${flags.loss}`);
  if (run.downFromStart.length > 0) faults.push(`${list(run.downFromStart)} down from the start`);
  if (run.crashedDuring.length > 0)
    faults.push(run.crashedDuring.map((c) => `${c.id} crashes during round ${c.round}`).join(", "));
  if (flags.partitionRounds > 0)
    faults.push(
      `the cluster is cut in two halves (n1 to n${Math.ceil(n / 2)}, and the rest) for the first ${flags.partitionRounds} round${flags.partitionRounds === 1 ? "" : "s"}`,
    );
  trace.note(
    faults.length === 0
      ? "No faults in this run."
      : `Faults: ${faults.join("; ")}.${flags.crash > 0 ? " Crashed nodes never come back." : ""}`,
    { level: "summary" },
  );

  const named = n <= 30;
  const row = (r: GossipRun["rounds"][number]): Cell[] => [
    r.round,
    `${r.informedLive} of ${r.live}`,
    named
      ? r.learned.map((l) => `${l.id}←${l.from} (${l.via})`).join(", ") || "—"
      : r.learned.length,
    r.messages,
    r.crashed.length === 0 ? "" : r.crashed.join(", "),
  ];
  const shown =
    run.rounds.length <= STORY_ROWS_MAX
      ? run.rounds.map(row)
      : [
          ...run.rounds.slice(0, STORY_ROWS_MAX - 5).map(row),
          ["…", "", `${run.rounds.length - STORY_ROWS_MAX} rounds left out`, "", ""],
          ...run.rounds.slice(-5).map(row),
        ];
  trace.table(
    "Round by round: who knows the update",
    [
      "round",
      "up nodes that know",
      named ? "newly informed ← from whom (how)" : "newly informed",
      "messages",
      "crashed",
    ],
    shown,
    "A node counts once it is up and holds the update at the end of the round; crashed nodes drop out of 'up'.",
  );

  const reached = "every node that is up hears the update";
  // A run whose other half is all down can finish before the heal: no heal was needed then.
  const finishedBeforeHeal =
    run.roundsToAll !== undefined &&
    run.healedAfterRound !== undefined &&
    run.roundsToAll <= run.healedAfterRound;
  const name =
    run.healedAfterRound === undefined || finishedBeforeHeal
      ? reached
      : `${reached} once the network heals`;
  if (run.live <= 1) {
    trace.notExercised(name, "only n1 is up: there is nobody to tell", { ref: REF.readRepair });
    return;
  }
  const messages = `${run.messages.toLocaleString("en")} messages (${(run.messages / n).toFixed(1)} per node of the ${n.toLocaleString("en")}), ${run.cost.carryingUpdate.toLocaleString("en")} of them carrying the update`;
  if (run.roundsToAll !== undefined)
    trace.note(
      `All ${run.live} nodes that are up know the update after ${run.roundsToAll} round${run.roundsToAll === 1 ? "" : "s"}; ${messages}.`,
      { level: "summary" },
    );
  else
    trace.note(
      `${run.quiescentAfterRound === undefined ? `After ${run.rounds.length} rounds` : `After round ${run.quiescentAfterRound} no node that is up pushes any more, so nothing will change`}: ${run.uninformedLive.length} of the ${run.live} nodes that are up never heard the update (${list(run.uninformedLive.slice(0, 10))}${run.uninformedLive.length > 10 ? ", …" : ""}); ${messages}.`,
      { level: "summary" },
    );
  trace.check(name, run.roundsToAll !== undefined, {
    ref: REF.readRepair,
    expected: !(mongering && flags.mode === "push"),
    detail:
      run.roundsToAll === undefined
        ? `${run.uninformedLive.length} of ${run.live} never heard it${run.quiescentAfterRound === undefined ? ` within ${run.rounds.length} rounds` : ""}`
        : `in ${run.roundsToAll} rounds`,
  });
}

function modeSentence(mode: GossipMode): string {
  switch (mode) {
    case "push":
      return "Push: a node that knows the update sends it to the node it picked; a node that does not know it stays silent.";
    case "pull":
      return "Pull: every node sends the node it picked a digest of what it has, every round, whether or not anything is new; the picked node answers with the update if it held it when the round began and the digest shows the caller lacks it.";
    case "push-pull":
      return "Push-pull: every node sends the node it picked its digest and, if it knows the update, the update; the picked node keeps the update if it lacked it, and answers with the update if it held it when the round began and the caller lacked it.";
  }
}

interface Column {
  label: string;
  loss: number;
  crash: number;
}

/** The comparison: rounds and messages by N and mode, over several seeds. */
function compare(trace: Trace, seed: number, flags: GossipFlags, sizes: number[]): void {
  const seeds = runSeeds(seed, flags.seeds);
  const columns: Column[] = [
    { label: "no faults", loss: 0, crash: 0 },
    { label: `loss ${flags.loss}`, loss: flags.loss, crash: 0 },
    { label: `${flags.crash} crashed`, loss: 0, crash: flags.crash },
  ];
  trace.section(
    `Rounds until every node that is up knows: N = ${sizes.map((n) => n.toLocaleString("en")).join(", ")}, mean over ${flags.seeds} seed${flags.seeds === 1 ? "" : "s"}`,
    REF.requestRouting,
  );
  trace.note(
    `${flags.seeds === 1 ? `Each cell runs one seed (derived from --seed ${seed}) and shows its rounds` : `Each cell runs the same ${flags.seeds} seeds (derived from --seed ${seed}) and shows the mean rounds (lowest–highest)`}; a run that has not reached every node that is up after ${ROUND_LIMIT.toLocaleString("en")} rounds${flags.stopAfter > 0 ? ", or in which no node would push again," : ""} counts as 'never'.${flags.stopAfter > 0 ? ` Push rows are rumor mongering (a node stops after ${flags.stopAfter} push${flags.stopAfter === 1 ? "" : "es"}): their means count only the runs that reached everyone; push-pull rows stop pushing too but keep pulling; pull rows never push.` : ""}`,
  );
  const results = new Map<string, GossipRun[]>();
  const key = (n: number, mode: GossipMode, column: number) => `${n}/${mode}/${column}`;
  const rows: Cell[][] = [];
  for (const n of sizes) {
    for (const mode of GOSSIP_MODES) {
      const cells: Cell[] = [n.toLocaleString("en"), mode];
      columns.forEach((column, c) => {
        const runs = seeds.map((s) =>
          runGossip(Trace.silent(), {
            seed: s,
            nodes: n,
            mode,
            loss: column.loss,
            crash: column.crash,
            partitionRounds: 0,
            stopAfterPushes: flags.stopAfter,
          }),
        );
        results.set(key(n, mode, c), runs);
        cells.push(describeRounds(runs));
      });
      const clean = results.get(key(n, mode, 0)) ?? [];
      cells.push(
        perNode(clean, (r) => r.messages),
        perNode(clean, (r) => r.cost.carryingUpdate),
      );
      rows.push(cells);
    }
  }
  const stopping =
    flags.stopAfter > 0
      ? ` Rumor mongering is what stops: here a node pushes at most ${flags.stopAfter} time${flags.stopAfter === 1 ? "" : "s"}.`
      : "";
  trace.table(
    "Rounds until every node that is up knows, and messages per node without faults",
    [
      "N",
      "mode",
      ...columns.map((c) => `rounds, ${c.label}`),
      "messages per node",
      "of which carry the update",
    ],
    rows,
    `Messages are counted until the round every node that is up knew, or until the run stopped without that. Under pull and push-pull every node that is up sends one message per round whether or not anything is new, and a caller that lacks the update gets a second message back from a node that held it when the round began; under push a node that does not know the update sends nothing. The counts stop there, but anti-entropy does not: no node can tell that every other knows, so each keeps pushing or asking every round.${stopping}`,
  );

  // The papers' formulas next to the measured means, without faults.
  const referenceRows: Cell[][] = sizes.map((n) => {
    const ref = referenceRounds(n);
    const measured = (mode: GossipMode) => {
      // Nodes that stop pushing run neither Pittel's push nor Karp et al.'s push-pull.
      if (flags.stopAfter > 0 && mode !== "pull") return "— (stops)";
      const runs = results.get(key(n, mode, 0)) ?? [];
      const finished = runs.flatMap((r) => (r.roundsToAll === undefined ? [] : [r.roundsToAll]));
      return finished.length === runs.length ? mean(finished).toFixed(1) : describeRounds(runs);
    };
    return [
      n.toLocaleString("en"),
      ref.log2.toFixed(1),
      ref.push.toFixed(1),
      measured("push"),
      measured("pull"),
      ref.log3.toFixed(1),
      measured("push-pull"),
    ];
  });
  trace.table(
    "Measured mean rounds without faults, next to the papers' leading terms",
    ["N", "log2 N", "log2 N + ln N", "push", "pull", "log3 N", "push-pull"],
    referenceRows,
    `A round is the papers' (Karp et al.'s round, Demers et al.'s cycle, Pittel's stage): every node (under push, every node that knows) calls one random other, and what it passes on is what it held when the round began. Push: log2 N + ln N + O(1) rounds, ln the natural logarithm (Frieze and Grimmett 1985 showed the ratio tends to 1; Pittel 1987 the O(1), both in probability). Push-pull: log3 N + O(log log N) (Karp, Schindelhauer, Shenker and Vöcking 2000). Pull: about log2 N rounds to reach half the nodes, then the share still uninformed squares each round (Demers et al. 1987: p(i+1) = p(i)^2), O(log log N) more. The constant and log log terms are left out, so compare how the columns grow with N, not their values.${flags.stopAfter > 0 ? " With --stop-after, push and push-pull nodes stop pushing: neither is the protocol these formulas describe, so only pull is compared." : ""}`,
  );
  if (sizes.length > 1)
    growthNote(trace, sizes, (n, mode) => results.get(key(n, mode, 0)) ?? [], flags);

  // Checks over every run of the table.
  const allRuns = [...results.entries()];
  const mongered = (k: string) => flags.stopAfter > 0 && k.split("/")[1] === "push";
  const antiEntropy = allRuns.filter(([k]) => !mongered(k)).flatMap(([, runs]) => runs);
  const missed = antiEntropy.filter((r) => r.roundsToAll === undefined);
  trace.check(
    flags.stopAfter === 0
      ? "every mode reaches every node that is up, in every run of the table"
      : "pull and push-pull (every node keeps calling every round) reach every node that is up, in every run of the table",
    missed.length === 0,
    {
      ref: REF.readRepair,
      detail:
        missed.length === 0
          ? countRuns(antiEntropy.length)
          : `${missed.length} of ${countRuns(antiEntropy.length)} left nodes uninformed`,
    },
  );
  if (flags.stopAfter > 0) {
    const pushRuns = allRuns.filter(([k]) => mongered(k)).flatMap(([, runs]) => runs);
    const short = pushRuns.filter((r) => r.roundsToAll === undefined);
    const residue = mean(pushRuns.map((r) => r.uninformedLive.length / r.live));
    const uninformed = pushRuns.reduce((total, r) => total + r.uninformedLive.length, 0);
    trace.check(
      `rumor mongering by push (stop after ${flags.stopAfter} push${flags.stopAfter === 1 ? "" : "es"}) reaches every node that is up, in every run of the table`,
      short.length === 0,
      {
        expected: false,
        ref: REF.readRepair,
        detail: `${short.length} of ${countRuns(pushRuns.length)} left nodes uninformed: ${uninformed.toLocaleString("en")} node${uninformed === 1 ? "" : "s"} in all, a mean of ${percent(residue)} of the nodes that were up in a run`,
      },
    );
  }
  const boundName = "push without faults reaches every node within 2 × (log2 N + ln N) + 10 rounds";
  if (flags.stopAfter > 0) {
    trace.notExercised(
      boundName,
      "push is rumor mongering in this run (--stop-after), not the epidemic whose rounds Pittel's log2 N + ln N describes",
    );
  } else {
    const pushRuns = sizes.flatMap((n) => results.get(key(n, "push", 0)) ?? []);
    const over = pushRuns.filter(
      (r) => r.roundsToAll === undefined || r.roundsToAll > pushRoundBound(r.nodes),
    );
    trace.check(boundName, over.length === 0, {
      detail:
        over.length === 0
          ? `${countRuns(pushRuns.length)}; the slowest took ${Math.max(...pushRuns.map((r) => r.roundsToAll ?? 0))} rounds`
          : `${over.length} of ${countRuns(pushRuns.length)} took longer`,
    });
  }
}

/** How the measured rounds grew from the smallest N to the largest, next to the formulas. */
function growthNote(
  trace: Trace,
  sizes: number[],
  runsOf: (n: number, mode: GossipMode) => GossipRun[],
  flags: GossipFlags,
): void {
  const first = sizes[0] as number;
  const last = sizes[sizes.length - 1] as number;
  const meanOf = (n: number, mode: GossipMode) => {
    const runs = runsOf(n, mode);
    const finished = runs.flatMap((r) => (r.roundsToAll === undefined ? [] : [r.roundsToAll]));
    return finished.length === runs.length ? mean(finished) : undefined;
  };
  const growth = (mode: GossipMode) => {
    const a = meanOf(first, mode);
    const b = meanOf(last, mode);
    return a === undefined || b === undefined ? undefined : b - a;
  };
  // Nodes that stop pushing (--stop-after) run neither Pittel's push nor Karp et al.'s push-pull.
  const push = flags.stopAfter > 0 ? undefined : growth("push");
  const pushPull = flags.stopAfter > 0 ? undefined : growth("push-pull");
  const pull = growth("pull");
  const ref = (n: number) => referenceRounds(n);
  const parts: string[] = [];
  if (push !== undefined)
    parts.push(
      `push's mean grew by ${push.toFixed(1)} rounds, against ${(ref(last).push - ref(first).push).toFixed(1)} for log2 N + ln N`,
    );
  if (pushPull !== undefined)
    parts.push(
      `push-pull's mean ${parts.length === 0 ? "grew " : ""}by ${pushPull.toFixed(1)}, against ${(ref(last).log3 - ref(first).log3).toFixed(1)} for log3 N`,
    );
  if (pull !== undefined)
    parts.push(
      `pull's mean ${parts.length === 0 ? "grew " : ""}by ${pull.toFixed(1)}, against ${(ref(last).log2 - ref(first).log2).toFixed(1)} for log2 N`,
    );
  if (parts.length === 0) return;
  trace.note(
    `From N = ${first.toLocaleString("en")} to N = ${last.toLocaleString("en")} (×${(last / first).toFixed(0)}), without faults: ${parts.join("; ")}. ${flags.seeds === 1 ? "One seed per size" : `Means over ${flags.seeds} seeds`}; the papers' results are asymptotic, with additive terms left out, so at these sizes only a rough agreement in growth is to be expected.`,
    { level: "summary" },
  );
}

export const gossip: Scenario<GossipFlags> = {
  name: "gossip",
  networked: true,
  summary:
    "epidemic dissemination (push, pull, push-pull) across 10 to 1,000 nodes: rounds until every node knows, against log N, with loss and crashed nodes, and the message cost",
  options: [
    option(
      "--nodes <count>",
      "one cluster size for the story and the table; 0: the story on 10 nodes and the table on N = 10, 30, 100, 300, 1,000 up to --nodes-max",
      nodesParser,
      0,
    ),
    option(
      "--nodes-max <count>",
      "largest N of the table when --nodes is 0",
      integer(NODES_MIN, NODES_MAX),
      NODES_MAX,
    ),
    option(
      "--mode <mode>",
      "how the story's nodes gossip (the table runs all three)",
      choice(GOSSIP_MODES),
      "push",
    ),
    option(
      "--loss <p>",
      "probability that a message is lost, in the story and the table's loss column; at most 0.5: beyond it pull, whose request and answer must both arrive, needs rounds by the hundred",
      decimal(0, 0.5),
      0.1,
    ),
    option(
      "--crash <count>",
      "nodes that crash and never return (never n1, where the update starts; half, rounded up, down from the start, the rest crashing in one of the first ceil(log2 N) rounds), in the story and the table's crash column; at most half the smallest N",
      integer(0, NODES_MAX / 2),
      2,
    ),
    option(
      "--partition-rounds <rounds>",
      "rounds during which the story's cluster is cut in two halves before the partition heals (0: none)",
      integer(0, 50),
      0,
    ),
    option(
      "--stop-after <pushes>",
      "rumor mongering: a node stops pushing after this many pushes, whether or not its peers already knew (0: never, which is anti-entropy)",
      integer(0, 20),
      0,
    ),
    option("--seeds <count>", "runs averaged in each cell of the table", integer(1, 10), 5),
  ],
  validate: (o) => {
    const smallest = Math.min(...sizesOf(o));
    if (o.crash > Math.floor(smallest / 2))
      return `--crash ${o.crash} is more than half the smallest N of the run (${smallest}): at most ${Math.floor(smallest / 2)}${o.nodes === 0 ? "; pass --nodes for one larger N" : ""}`;
    return undefined;
  },
  run: ({ trace, seed }, flags) => {
    const sizes = sizesOf(flags);
    trace.section("Gossip: epidemic dissemination of one update", REF.requestRouting);
    trace.note(
      "The nodes of a cluster must learn of changes to its state (a node joins, a partition moves). Some databases rely on a coordination service such as ZooKeeper for this; Cassandra and Riak instead use a gossip protocol among the nodes.",
      { ref: REF.requestRouting, level: "summary" },
    );
    trace.note(
      "Chapter 5 calls anti-entropy a background process that constantly looks for differences in the data between replicas and copies any missing data, in no particular order and possibly after a significant delay; it does not say how a replica picks whom to compare with, nor count rounds. The term is Demers et al.'s (1987, 'Epidemic algorithms for replicated database maintenance'): each site periodically picks another at random and resolves their differences by push, pull or push-pull, which is what every node does here for one update. Without faults, while few nodes know, their number roughly doubles each round under push or pull and roughly triples under push-pull, so the rounds grow with log N, not with N; the round counts below are the papers', not the book's.",
      { ref: REF.readRepair },
    );
    tellStory(trace, seed, flags, sizes[0] as number);
    compare(trace, seed, flags, sizes);
  },
};
