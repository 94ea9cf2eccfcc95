/**
 * Two-phase commit on the simulated network (DDIA ch. 9, "Atomic Commit and Two-Phase Commit
 * (2PC)" and "Distributed Transactions in Practice"). An order reserves stock on one shard (p1)
 * and takes the payment on another (p2); the coordinator makes both happen or neither.
 *
 * The story, one run per failure the book names:
 *   1. both participants vote yes: the commit point, Commit, acknowledgements;
 *   2. a participant votes no: the transaction aborts everywhere;
 *   3. a participant crashes before voting: the coordinator times out and aborts;
 *   4. a participant crashes after voting yes: it recovers its prepared state and locks from its
 *      log, asks the coordinator, and commits;
 *   5. the coordinator crashes at the commit point, after the votes and before any Commit leaves:
 *      the participants are in doubt and hold their locks, a local transaction on p1 is blocked,
 *      until the coordinator recovers from its log;
 *   6. the coordinator crashes after the votes, before its commit record is on disk: on recovery
 *      it presumes abort;
 *   7. under --variant decision-before-log, its story; under --variant heuristic, two: a
 *      participant in doubt aborts what the coordinator committed, and one commits what the
 *      coordinator (crashed before its commit record) aborts;
 *   8. random orders under --loss and --crash, judged by the atomicity check.
 */

import { choice, integer, networkFaultOptions, option, type Scenario } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import { REF } from "../refs.js";
import { LOG_WRITE_MS, RETRY_MS, VOTE_TIMEOUT_MS } from "../two-phase-commit/coordinator.js";
import type { Write } from "../two-phase-commit/messages.js";
import {
  HEURISTIC_TIMEOUT_MS,
  type HeuristicGuess,
  QUERY_INTERVAL_MS,
} from "../two-phase-commit/participant.js";
import {
  type Order,
  runTwoPhaseCommit,
  type ScriptedCrash,
  type TwoPhaseCommitResult,
  type TwoPhaseCommitVariant,
} from "../two-phase-commit/run.js";

export const VARIANTS = ["correct", "decision-before-log", "heuristic"] as const;

export interface TwoPhaseCommitFlags {
  transactions: number;
  participants: number;
  loss: number;
  duplicate: number;
  crash: number;
  variant: TwoPhaseCommitVariant;
}

/** The order every story runs: 2 of item-a from p1's stock, 30 from customer x's balance on p2. */
const order = (balanceDelta = -30): Order => ({
  txid: "T1",
  atMs: 0,
  writes: new Map<string, readonly Write[]>([
    ["p1", [{ key: "item-a", delta: -2 }]],
    ["p2", [{ key: "balance-x", delta: balanceDelta }]],
  ]),
});

const NO_FAULTS = { loss: 0, duplicate: 0, crash: 0, partition: 0 };

const outcomes = (r: TwoPhaseCommitResult, txid = "T1") => {
  const t = r.transactions.find((x) => x.txid === txid);
  if (t === undefined) return `${txid} never began`;
  return [...t.outcomes].map(([p, o]) => `${p} ${o}`).join(", ");
};

/** Run one scripted story with the correct protocol (or the given variant) and check it. */
function story(
  trace: Trace,
  seed: number,
  options: {
    title: string;
    ref: string;
    intro: string;
    balanceDelta?: number;
    crashes?: readonly ScriptedCrash[];
    variant?: TwoPhaseCommitVariant;
    /** Under the heuristic variant: who decides on its own, and which way. */
    guesses?: Readonly<Record<string, HeuristicGuess>>;
    /** What every participant must have done with T1 in this story. */
    expect: "committed" | "aborted";
  },
): TwoPhaseCommitResult {
  trace.section(options.title, options.ref);
  trace.note(options.intro, { ref: options.ref });
  const variant = options.variant ?? "correct";
  const result = runTwoPhaseCommit(trace, {
    seed,
    participants: 2,
    variant,
    transactions: 1,
    faults: NO_FAULTS,
    orders: [order(options.balanceDelta)],
    crashes: options.crashes ?? [],
    ...(options.guesses === undefined ? {} : { guesses: options.guesses }),
  });
  const t = result.transactions[0];
  const broken = variant !== "correct";
  const name = `${options.title}: T1 ${options.expect === "committed" ? "committed" : "aborted"} at every participant`;
  if (t === undefined) trace.notExercised(name, "T1 never began");
  else
    trace.check(
      name,
      [...t.outcomes.values()].every((o) =>
        options.expect === "committed" ? o === "committed" : o === "aborted" || o === "no record",
      ),
      { expected: !broken, detail: outcomes(result), ref: REF.atomicCommit },
    );
  return result;
}

export const twoPhaseCommit: Scenario<TwoPhaseCommitFlags> = {
  name: "two-phase-commit",
  networked: true,
  summary:
    "atomic commit across shards: prepare, votes, the commit point, presumed abort; a participant votes no or crashes, the coordinator crashes and its participants stay in doubt, holding their locks",
  options: [
    option(
      "--transactions <count>",
      "orders in the random run (the stories run one each)",
      integer(1, 2_000),
      20,
    ),
    option(
      "--participants <count>",
      "shards in the random run (the stories use two)",
      integer(2, 8),
      3,
    ),
    ...networkFaultOptions({ loss: 0.1, duplicate: 0 }).map((o) => ({
      ...o,
      description: `${o.description} in the random run, until its faults stop`,
    })),
    option(
      "--crash <count>",
      "crashes (each followed by a restart) of the coordinator or a participant in the random run",
      integer(0, 20),
      2,
    ),
    option(
      "--variant <name>",
      "correct, or a broken variant: decision-before-log (Commit sent before the commit record is on disk), heuristic (a participant in doubt too long commits or aborts on its own)",
      choice(VARIANTS),
      "correct",
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.note(
      "On a single node, a transaction commits when its commit record reaches the disk. Across nodes it is not enough to send each node a commit request and let it commit on its own: one may commit while another aborts (a constraint violation, a lost request, a crash), and a committed transaction cannot be retracted. Two-phase commit makes them all commit or all abort.",
      { level: "summary", ref: REF.singleToDistributed },
    );
    story(trace, seed, {
      title: "Both participants vote yes",
      ref: REF.introduction,
      intro: `The order T1 reserves 2 of item-a on p1 and takes 30 from balance-x on p2 (every shard starts with 50 of each item and 1000 in each balance). Phase 1: the coordinator sends each participant a Prepare with its writes; a participant that can commit writes its write set and its locks to disk and only then votes yes. Phase 2: once every vote is yes, the coordinator writes its decision to its log (a forced write, ${LOG_WRITE_MS} ms here): that is the commit point, and only then does any participant hear Commit. It resends Commit every ${RETRY_MS} ms to any participant that has not acknowledged it.`,
      expect: "committed",
    });
    story(trace, seed, {
      title: "A participant votes no",
      ref: REF.introduction,
      intro:
        "The same order, but it takes 5000 from balance-x, which holds 1000: p2 cannot commit it, so it votes no. Before voting yes a participant may abort on its own; one no vote aborts the transaction at every participant.",
      balanceDelta: -5000,
      expect: "aborted",
    });
    story(trace, seed, {
      title: "A participant crashes before voting",
      ref: REF.coordinatorFailure,
      intro: `p2 crashes as T1's Prepare reaches it, before it has written or promised anything, and stays down 400 ms. The coordinator, with no vote from p2 within ${VOTE_TIMEOUT_MS} ms, aborts: "if any of the prepare requests fail or time out, the coordinator aborts the transaction". p2 restarts with nothing about T1 in its log.`,
      crashes: [{ node: "p2", point: "before-vote", txid: "T1", downMs: 400 }],
      expect: "aborted",
    });
    story(trace, seed, {
      title: "A participant crashes after voting yes",
      ref: REF.promises,
      intro:
        "p1 crashes just after its yes vote leaves, and stays down 200 ms. Having voted yes it has promised to commit if told to: on restart it finds T1 prepared in its log, takes T1's locks again and asks the coordinator what was decided.",
      crashes: [{ node: "p1", point: "after-vote", txid: "T1", downMs: 200 }],
      expect: "committed",
    });
    const downMs = 500;
    const blocked = story(trace, seed, {
      title: "The coordinator crashes at the commit point",
      ref: REF.coordinatorFailure,
      intro: `The coordinator crashes just after its commit record reaches the disk, before any Commit leaves, and stays down ${downMs} ms. Both participants voted yes: they are in doubt, can neither commit nor abort on their own, and keep T1's locks. 20 ms after the crash another client's local transaction L1 on p1 tries to add 5 to item-a, the row T1 locked.`,
      crashes: [
        {
          node: "coordinator",
          point: "commit-point",
          txid: "T1",
          downMs,
          local: { participant: "p1", id: "L1", key: "item-a", delta: 5, afterMs: 20 },
        },
      ],
      expect: "committed",
    });
    narrateBlocked(trace, blocked, downMs);
    trace.note(
      "The coordinator here runs on one node and is not replicated: while it is down, every participant that voted yes and has not heard the decision keeps its locks, so it is a single point of failure for the whole system.",
      { level: "summary", ref: REF.limitations },
    );
    trace.note(
      "Because it can get stuck waiting for the coordinator to recover, 2PC is called a blocking atomic commit protocol. Three-phase commit was proposed as a nonblocking alternative, but it assumes bounded network delay and bounded response times; with unbounded network delay and process pauses it cannot guarantee atomicity. Nonblocking atomic commit needs a perfect failure detector, and a timeout is not one: a request can time out because of the network while no node has crashed.",
      { level: "summary", ref: REF.threePhaseCommit },
    );
    story(trace, seed, {
      title: "The coordinator crashes before its commit record is on disk",
      ref: REF.coordinatorFailure,
      intro: `The coordinator crashes as the last yes vote arrives, before its commit record reaches the disk, and stays down ${downMs} ms. The participants are in doubt, asking every ${QUERY_INTERVAL_MS} ms; when the coordinator restarts, its log has no commit record for T1, so it answers Abort. This is presumed abort, and the book's recovery rule: "Any transactions that don't have a commit record in the coordinator's log are aborted."`,
      crashes: [{ node: "coordinator", point: "votes-collected", txid: "T1", downMs }],
      expect: "aborted",
    });
    if (options.variant === "decision-before-log")
      story(trace, seed, {
        title: "Broken: Commit sent before the commit record is on disk",
        ref: REF.coordinatorFailure,
        intro: `This coordinator sends Commit as soon as the votes are in and writes its commit record afterwards. It crashes after sending Commit to p1 and before sending it to p2, with the record not yet on disk, and stays down ${downMs} ms. p1 commits; p2 stays in doubt and asks; the restarted coordinator finds no commit record and answers Abort.`,
        variant: "decision-before-log",
        crashes: [{ node: "coordinator", point: "decision-sent", txid: "T1", downMs }],
        expect: "committed",
      });
    if (options.variant === "heuristic") {
      story(trace, seed, {
        title: "Broken: a participant in doubt aborts what the coordinator committed",
        ref: REF.recovering,
        intro: `Here p2, once it has been in doubt for at least ${HEURISTIC_TIMEOUT_MS} ms (it looks each time it would ask the coordinator again, every ${QUERY_INTERVAL_MS} ms), decides on its own to free its locks, and aborts: the book's "heuristic decision", where "heuristic here is a euphemism for probably breaking atomicity". The coordinator commits T1, sends Commit to p1 and crashes before sending it to p2, and stays down ${downMs} ms.`,
        variant: "heuristic",
        guesses: { p2: "abort" },
        crashes: [{ node: "coordinator", point: "decision-sent", txid: "T1", downMs }],
        expect: "committed",
      });
      story(trace, seed, {
        title: "Broken: a participant in doubt commits what the coordinator aborts",
        ref: REF.recovering,
        intro: `A heuristic decision may go either way: a participant may "unilaterally decide to abort or commit an in-doubt transaction". Here p1, once in doubt for at least ${HEURISTIC_TIMEOUT_MS} ms, commits on its own; p2 waits, as 2PC requires. The coordinator crashes as the last yes vote arrives, before its commit record is on disk, and stays down ${downMs} ms; on restart it has no commit record for T1 and answers Abort.`,
        variant: "heuristic",
        guesses: { p1: "commit" },
        crashes: [{ node: "coordinator", point: "votes-collected", txid: "T1", downMs }],
        expect: "aborted",
      });
    }
    randomRun(trace, seed, options);
  },
};

function narrateBlocked(trace: Trace, r: TwoPhaseCommitResult, downMs: number): void {
  const crashAtMs = r.crashedAtMs.get("coordinator/commit-point/T1");
  const local = r.locals.find((l) => l.id === "L1");
  const wait = r.waits.find((w) => w.what === "L1");
  const name = "L1 was blocked by T1's locks while the coordinator was down";
  if (crashAtMs === undefined || local === undefined) {
    trace.notExercised(name, "the coordinator did not crash at T1's commit point");
    return;
  }
  const finished = local.finishedAtMs;
  trace.note(
    wait === undefined
      ? `L1 was not blocked: ${local.outcome} at once.`
      : `While T1 was in doubt its lock on ${wait.key} stayed held, so L1 waited ${finished === undefined ? "to the end of the run" : "until T1's Commit reached p1 from the restarted coordinator"}: no other transaction can write the rows an in-doubt transaction wrote (in some databases, not even read them).`,
    { level: "summary", ref: REF.holdingLocks },
  );
  trace.check(
    name,
    wait !== undefined && finished !== undefined && finished >= crashAtMs + downMs,
    {
      detail:
        wait === undefined
          ? "L1 did not wait"
          : `blocked from ${wait.fromMs.toFixed(0)} ms ${finished === undefined ? "to the end of the run" : `to ${finished.toFixed(0)} ms (${(finished - wait.fromMs).toFixed(0)} ms)`}; the coordinator was down from ${crashAtMs.toFixed(0)} to ${(crashAtMs + downMs).toFixed(0)} ms`,
      ref: REF.holdingLocks,
    },
  );
}

function randomRun(trace: Trace, seed: number, options: TwoPhaseCommitFlags): void {
  const p = options.participants;
  trace.section(
    `${options.transactions} random order${options.transactions === 1 ? "" : "s"} on ${p} shards, variant ${options.variant}`,
    REF.inPractice,
  );
  trace.note(
    `Each order reserves stock on one shard and takes the payment on another; a participant votes no when a row would fall below zero, and a Prepare waits while another transaction holds a row it writes (the coordinator aborts after ${VOTE_TIMEOUT_MS} ms without every vote). Once the faults stop, the run goes on until no participant is in doubt (for at most 10 s). The atomicity check reads each participant's own log, not the coordinator's. The nodes' step-by-step narration of this run shows with --verbose; the table and checks below sum it up.`,
    { level: "summary", ref: REF.atomicCommit },
  );
  const r = runTwoPhaseCommit(trace.detailed(), {
    seed,
    participants: p,
    variant: options.variant,
    transactions: options.transactions,
    faults: {
      loss: options.loss,
      duplicate: options.duplicate,
      crash: options.crash,
      partition: 0,
    },
  });
  const heard = (t: (typeof r.transactions)[number]) =>
    [...t.outcomes.values()].some((v) => v !== "no record");
  const everywhere = (o: string) =>
    r.transactions.filter(
      (t) =>
        heard(t) &&
        [...t.outcomes.values()].every((v) =>
          o === "committed" ? v === "committed" : v === "aborted" || v === "no record",
        ),
    ).length;
  const waited = r.waits.filter((w) => w.toMs !== undefined);
  const longest = waited.reduce((m, w) => Math.max(m, (w.toMs ?? 0) - w.fromMs), 0);
  trace.table(
    "Outcomes, from the participants' logs",
    ["", "count"],
    [
      ["orders", options.transactions],
      ["not begun (the coordinator was down)", r.notBegun.length],
      ["committed at every participant", everywhere("committed")],
      ["aborted at every participant (that heard of it)", everywhere("aborted")],
      [
        "heard of by no participant (presumed aborted)",
        r.transactions.filter((t) => !heard(t)).length,
      ],
      ["committed at some, aborted at others", r.notAtomic.length],
      ["heuristic commits", r.heuristicCommits],
      ["heuristic aborts", r.heuristicDecisions - r.heuristicCommits],
      ["Prepares that waited for a lock", waited.length],
      ["longest wait (ms)", Math.round(longest)],
      ["in doubt at the end", r.inDoubtAtEnd.length],
    ],
    `The fault window closed at ${r.faultsEndMs.toFixed(0)} ms; the run ended at ${r.endMs.toFixed(0)} ms.`,
  );
  for (const t of r.notAtomic.slice(0, 5))
    trace.note(
      `${t.txid} is not atomic: ${[...t.outcomes].map(([q, o]) => `${q} ${o}`).join(", ")}${t.onTheirOwn.length > 0 ? ` (${t.onTheirOwn.join(" and ")} decided on ${t.onTheirOwn.length === 1 ? "its" : "their"} own: a heuristic decision)` : ""}.`,
      { level: "summary", ref: REF.recovering },
    );
  if (r.notAtomic.length > 5)
    trace.note(`${r.notAtomic.length - 5} more transactions are not atomic.`, { level: "summary" });
  const correct = options.variant === "correct";
  const atomicity = "atomicity: every transaction committed at all its participants or at none";
  // A transaction no participant logged anything about (every Prepare lost, or the shards down)
  // is trivially "all or none": only those some participant prepared, committed or aborted count.
  const judged = r.transactions.filter(heard);
  if (r.transactions.length === 0)
    trace.notExercised(atomicity, "no order began: the coordinator was down for every one");
  else if (judged.length === 0)
    trace.notExercised(
      atomicity,
      "no participant's log mentions any transaction: every message to a participant was lost, or forgotten by the coordinator in a crash (it logs no abort)",
    );
  else
    trace.check(atomicity, r.notAtomic.length === 0, {
      expected: correct,
      detail: `${judged.length} transaction${judged.length === 1 ? "" : "s"} reached a participant's log, ${r.notAtomic.length} not atomic`,
      ref: REF.atomicCommit,
    });
  const doubt = "nothing stays in doubt once the faults stop and every node is up";
  if (r.prepared === 0)
    trace.notExercised(doubt, "no participant voted yes, so none was ever in doubt");
  else
    trace.check(doubt, r.settled && r.inDoubtAtEnd.length === 0, {
      detail: r.settled
        ? `${r.prepared} prepared, ${r.inDoubtAtEnd.length} in doubt at the end`
        : `${r.inDoubtAtEnd.length} still in doubt 10 s after the faults stopped`,
      ref: REF.coordinatorFailure,
    });
  // The book's claim: the recovering coordinator reads its log and resolves what was in doubt.
  const recovered = "what was in doubt when the coordinator restarted was resolved";
  const atRestart = r.inDoubtAtCoordinatorRestart;
  const unresolved = r.unresolvedAfterCoordinatorRestart;
  if (r.coordinatorRecoveries.length === 0)
    trace.notExercised(recovered, "the coordinator did not crash in this run");
  else if (atRestart.length === 0)
    trace.notExercised(
      recovered,
      `the coordinator restarted ${r.coordinatorRecoveries.length === 1 ? "once" : `${r.coordinatorRecoveries.length} times`} with no participant in doubt`,
    );
  else
    trace.check(recovered, unresolved.length === 0, {
      detail: `in doubt when it restarted (${r.coordinatorRecoveries.length === 1 ? "once" : `${r.coordinatorRecoveries.length} times`}): ${atRestart
        .slice(0, 4)
        .map((d) => `${d.txid} at ${d.participant}`)
        .join(
          ", ",
        )}${atRestart.length > 4 ? ` and ${atRestart.length - 4} more` : ""}; ${unresolved.length === 0 ? "none" : unresolved.length} still in doubt at the end`,
      ref: REF.coordinatorFailure,
    });
}
