/**
 * Single-leader replication on the simulator: synchronous against asynchronous followers, naive
 * failover against failover by consensus, and reads from followers judged by the linearizability
 * checker (DDIA ch. 5, "Leaders and Followers" and "Problems with Replication Lag"; ch. 9).
 */

import {
  type CheckedOp,
  checkLinearizableOrUndecided,
  kvModel,
  type Verdict,
} from "../../shared/check/linearizability.js";
import { choice, faultOptions, integer, option, type Scenario } from "../../shared/cli.js";
import type { FaultFlags } from "../../shared/faults.js";
import { historyOperations, witnessOps } from "../../shared/render/diagram/model.js";
import { percentile } from "../../shared/stats.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { describeWitness, exportHistory, exportHistoryOption } from "../export.js";
import {
  type ReplicationMode,
  SWITCHES_NARRATED,
  SYNC_TIMEOUT_MS,
} from "../leader-follower/replica.js";
import { type LeaderFollowerResult, runLeaderFollower } from "../leader-follower/run.js";
import { runRaft } from "../raft/cluster.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

const NO_FAULTS: FaultFlags = { loss: 0, duplicate: 0, crash: 0, partition: 0 };

/** The checker's step budget for the leader-follower histories (see quorum's CHECK_STEPS). */
const CHECK_STEPS = 2_000_000;

const ms = (values: number[], p: number) => {
  if (values.length === 0) return "n/a";
  const value = percentile(values, p);
  return value === 0 ? "0 ms" : `${value.toFixed(1)} ms`;
};

/** The write each mode narrates: the first the leader receives at or after this time. */
const FOLLOW_FROM_MS = 300;

/** The first follower's links to the leader turn slow for a while in every sync-vs-async run. */
const SLOW_FOLLOWER = { follower: "r2", fromMs: 250, toMs: 450, latencyMs: 100 };

export const syncVsAsync: Scenario<
  {
    followers: number;
    operations: number;
    mode: ReplicationMode;
    exportHistory: string;
  } & FaultFlags
> = {
  name: "sync-vs-async",
  networked: true,
  summary:
    "a leader and its followers: write latency and replication lag for synchronous, semi-synchronous and asynchronous replication",
  options: [
    option("--followers <count>", "followers of the leader", integer(1, 8), 2),
    option("--operations <count>", "operations per client", integer(1, 10_000), 60),
    option(
      "--mode <mode>",
      "the mode narrated in detail",
      choice(["sync", "semi-sync", "async"] as const),
      "semi-sync",
    ),
    ...describeLoss(
      faultOptions(NO_FAULTS, "replica"),
      "near 1 few writes or none are acknowledged, and a check with no acknowledged write to judge comes out not exercised",
    ),
    exportHistoryOption,
  ],
  run: ({ trace, seed }, options) => {
    const slow = SLOW_FOLLOWER;
    trace.section(
      `A leader, ${options.followers} follower${options.followers === 1 ? "" : "s"}, ${options.mode} replication`,
      REF.syncAsync,
    );
    const single = options.followers === 1;
    trace.note(
      `The leader gives each write the next log sequence number (LSN) and ships its log to ${single ? "its follower, r2" : "the followers"}. Synchronous: the client is answered once ${single ? "r2" : "every follower"} has the write. Semi-synchronous: ${single ? `r2, the only follower, is the synchronous one: the client is answered once it has the write, so that every acknowledged write is on at least two nodes; when a write has waited ${SYNC_TIMEOUT_MS} ms for r2, the leader has no asynchronous follower to make synchronous instead, and the write keeps waiting, as in synchronous replication` : `one follower is synchronous (r2 at first) and the client is answered once that one has the write; when a write has waited ${SYNC_TIMEOUT_MS} ms for it, the leader judges it unavailable or slow and makes the most up-to-date asynchronous follower synchronous, so that every acknowledged write is on at least two nodes`}. Asynchronous: at once, while ${single ? "r2 catches" : "the followers catch"} up in the background.`,
      { ref: REF.syncAsync },
    );
    trace.note(
      `From ${slow.fromMs} to ${slow.toMs} ms the links between the leader r1 and ${slow.follower} are slow (${slow.latencyMs} ms or more a message), as when a follower is overloaded. Synchronous replication waits for ${slow.follower}; ${options.followers === 1 ? `semi-synchronous replication has no other follower to make synchronous, so it waits too; ` : ""}asynchronous replication does not notice.`,
      { ref: REF.syncAsync },
    );
    const base = {
      seed,
      followers: options.followers,
      clients: 3,
      operations: options.operations,
      readFrom: "leader" as const,
      failover: false,
      latencyMsMax: 10,
      faults: options,
      slowFollower: slow,
      followWrite: { fromMs: FOLLOW_FROM_MS },
    };
    const detailed = runLeaderFollower(trace, { ...base, mode: options.mode });
    if (detailed.synchronousSwitches > SWITCHES_NARRATED)
      trace.note(
        `In all, the leader made another follower synchronous ${detailed.synchronousSwitches} times, the first ${SWITCHES_NARRATED} narrated above: each time no acknowledgement had come from the synchronous follower within ${SYNC_TIMEOUT_MS} ms (a lost message, a crash and a slow link look the same to the leader).`,
        { level: "summary", ref: REF.syncAsync },
      );
    exportHistory(trace, options.exportHistory, detailed.history);
    // Each mode runs once, on the same seed; the narrated one is the run already made.
    const runs = new Map(
      (["sync", "semi-sync", "async"] as const).map((mode) => [
        mode,
        mode === options.mode ? detailed : runLeaderFollower(Trace.silent(), { ...base, mode }),
      ]),
    );
    const rows: Cell[][] = [...runs].map(([mode, r]) => [
      mode,
      r.leaderAcknowledged,
      r.acknowledgedWrites.length,
      r.acknowledgedWhileSlow,
      r.ackedOnLeaderOnly,
      ms(r.writeLatencies, 50),
      ms(r.writeLatencies, 99),
      ms(r.replicationLagMs, 50),
      ms(r.replicationLagMs, 99),
    ]);
    narrateWritePaths(trace, runs, slow);
    trace.table(
      "Write latency and replication lag (simulated time)",
      [
        "mode",
        "acknowledged by the leader",
        "heard by the client",
        `acknowledged while ${slow.follower} was slow`,
        "on the leader only when acknowledged",
        "latency p50",
        "latency p99",
        "lag p50",
        "lag p99",
      ],
      rows,
      `Acknowledged: the leader sent WriteOk; the counts beside it are judged at that moment, from the replicas' logs (a client that had given up by then never hears it). Latency: from the client sending a write until it hears it acknowledged. Replication lag: from the leader appending a write until a follower appends it, one sample per write and follower. A follower appends a write at least one message after the leader in every mode; synchronous replication makes the client wait out every follower's lag, and so pays in latency, and blocks while a follower is slow or down; semi-synchronous replication waits out one follower's lag only${options.followers === 1 ? " (here the only follower's, so it blocks as synchronous replication does)" : ", and another's when that one is slow"}; asynchronous replication waits for none, and so may acknowledge writes that only the leader has.`,
    );
    const syncRun = runs.get("sync") as typeof detailed;
    const semiSyncRun = runs.get("semi-sync") as typeof detailed;
    const asyncRun = runs.get("async") as typeof detailed;
    const eachOf = (writes: number) =>
      writes === 1 ? "its one write" : `each of ${writes} writes`;
    const noneAcknowledged = (mode: string) =>
      `no write was acknowledged in ${mode} mode, so there was nothing to judge`;
    const checkAcknowledged = (
      name: string,
      mode: string,
      run: typeof detailed,
      held: () => boolean,
      detail: string,
    ) => {
      if (run.leaderAcknowledged === 0) trace.notExercised(name, noneAcknowledged(mode));
      else trace.check(name, held(), { detail, ref: REF.syncAsync });
    };
    checkAcknowledged(
      "synchronous replication: every acknowledged write was already on every follower",
      "sync",
      syncRun,
      () => syncRun.ackedAheadOfFollowers === 0,
      `checked as the leader acknowledged ${eachOf(syncRun.leaderAcknowledged)}`,
    );
    checkAcknowledged(
      "semi-synchronous replication: every acknowledged write was already on at least one follower",
      "semi-sync",
      semiSyncRun,
      () => semiSyncRun.ackedOnLeaderOnly === 0,
      `checked as the leader acknowledged ${eachOf(semiSyncRun.leaderAcknowledged)}; ${semiSyncRun.acknowledgedWhileSlow} acknowledged while ${slow.follower} was slow`,
    );
    checkAcknowledged(
      "asynchronous replication acknowledges writes the followers do not have yet",
      "async",
      asyncRun,
      () => asyncRun.ackedAheadOfFollowers > 0,
      `${asyncRun.ackedAheadOfFollowers} of ${asyncRun.leaderAcknowledged} write${asyncRun.leaderAcknowledged === 1 ? "" : "s"}, ${asyncRun.ackedOnLeaderOnly} of them on the leader only`,
    );
    const faster = "asynchronous replication answers faster than synchronous";
    if (syncRun.writeLatencies.length === 0 || asyncRun.writeLatencies.length === 0)
      trace.notExercised(
        faster,
        `no client heard a write acknowledged in ${syncRun.writeLatencies.length === 0 ? "sync" : "async"} mode, so there was no latency to compare`,
      );
    else
      trace.check(
        faster,
        percentile(asyncRun.writeLatencies, 50) < percentile(syncRun.writeLatencies, 50),
        {
          detail: `p50 ${ms(asyncRun.writeLatencies, 50)} against ${ms(syncRun.writeLatencies, 50)}`,
        },
      );
  },
};

/**
 * One write's path in each mode, step by step: client, leader, followers, acknowledgement. Every
 * step is read from the run (the leader's messages as they happened, the followers' appends, the
 * client's outcome), so the story holds whatever the flags do to it.
 */
function narrateWritePaths(
  trace: Trace,
  runs: Map<ReplicationMode, LeaderFollowerResult>,
  slow: { follower: string; fromMs: number; toMs: number },
): void {
  trace.section("One write's path, mode by mode", REF.syncAsync);
  const t = (x: number) => `${x.toFixed(1)} ms`;
  const list = (items: string[]) =>
    items.length <= 1
      ? (items[0] ?? "")
      : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
  for (const [mode, run] of runs) {
    const p = run.followed;
    if (p === undefined) {
      trace.note(`${mode}: the leader received no write.`);
      continue;
    }
    const slowNow = p.appendedAtMs >= slow.fromMs && p.appendedAtMs < slow.toMs;
    trace.note(
      `${mode}: ${p.client}'s write ${p.key} = ${p.value}, ${p.late ? `the first ${p.leader} received at or after ${FOLLOW_FROM_MS} ms` : `the last ${p.leader} received (none came at or after ${FOLLOW_FROM_MS} ms)`}${slowNow ? `, while ${slow.follower}'s links were slow` : ""}.`,
      { level: "summary" },
    );
    const steps: { atMs: number; node: string; text: string }[] = [
      { atMs: p.sentAtMs, node: p.client, text: `sends it to ${p.leader}` },
      {
        atMs: p.appendedAtMs,
        node: p.leader,
        text: `appends it as LSN ${p.lsn}${p.shippedTo.length > 0 ? ` and ships it to ${list(p.shippedTo)}` : ""}${p.followerAppends.length > p.shippedTo.length ? ` (${list(p.followerAppends.map((f) => f.follower).filter((f) => !p.shippedTo.includes(f)))} further behind, with a later batch)` : ""}`,
      },
    ];
    for (const f of p.followerAppends)
      if (f.atMs !== undefined) steps.push({ atMs: f.atMs, node: f.follower, text: "appends it" });
    for (const h of p.leaderHeard)
      steps.push({ atMs: h.atMs, node: p.leader, text: `hears that ${h.follower} has it` });
    const ack = p.acknowledgedAtMs;
    if (ack !== undefined) {
      const heldBefore = p.followerAppends.filter((f) => f.atMs !== undefined && f.atMs <= ack);
      const why =
        mode === "sync"
          ? "acknowledges the write: every follower has it"
          : mode === "semi-sync"
            ? `acknowledges the write: its synchronous follower ${p.synchronousAtAck ?? "(none)"} has it`
            : heldBefore.length === 0
              ? "acknowledges the write at once, before any follower has it"
              : "acknowledges the write at once, without waiting for the followers";
      steps.push({ atMs: ack, node: p.leader, text: why });
    }
    if (p.clientHeardAtMs !== undefined)
      steps.push({
        atMs: p.clientHeardAtMs,
        node: p.client,
        text: `hears it is acknowledged, ${t(p.clientHeardAtMs - p.sentAtMs)} after sending it`,
      });
    if (p.clientGaveUpAtMs !== undefined)
      steps.push({
        atMs: p.clientGaveUpAtMs,
        node: p.client,
        text: `gives up waiting after ${t(p.clientGaveUpAtMs - p.sentAtMs)} (its timeout): it cannot tell whether the write happened`,
      });
    // Stable order at equal times: the order the steps were listed in, which is causal.
    const ordered = steps.map((step, i) => ({ ...step, i }));
    ordered.sort((a, b) => a.atMs - b.atMs || a.i - b.i);
    for (const step of ordered) trace.note(step.text, { time: step.atMs, node: step.node });
    const missing = p.followerAppends.filter((f) => f.atMs === undefined).map((f) => f.follower);
    const appended = p.followerAppends.flatMap((f) =>
      f.atMs === undefined ? [] : [`${f.follower} ${t(f.atMs - p.appendedAtMs)}`],
    );
    const lacking = (atMs: number) =>
      p.followerAppends.filter((f) => f.atMs === undefined || f.atMs > atMs).map((f) => f.follower);
    const acknowledgement =
      ack === undefined
        ? `${p.leader} never acknowledges it.`
        : `${p.leader} acknowledged it ${t(ack - p.sentAtMs)} after ${p.client} sent it, ${lacking(ack).length === 0 ? "when every follower had it" : `while ${list(lacking(ack))} did not have it yet`}${p.clientHeardAtMs === undefined ? `${p.clientGaveUpAtMs !== undefined && p.clientGaveUpAtMs <= ack ? `, but ${p.client} had given up after ${t(p.clientGaveUpAtMs - p.sentAtMs)}` : ""}: ${p.client} never learns that it was acknowledged` : ""}.`;
    const lag =
      appended.length === 0
        ? ""
        : ` Replication lag, from ${p.leader}'s append to each follower's: ${list(appended)}${missing.length > 0 ? `; ${list(missing)} still lack${missing.length === 1 ? "s" : ""} it at the end of the run` : ""}.`;
    trace.note(`${acknowledgement}${lag}`, { level: "summary" });
  }
}

const RAFT_FAULTS: FaultFlags = { loss: 0.05, duplicate: 0.05, crash: 2, partition: 2 };

export const failover: Scenario<{ exportHistory: string } & FaultFlags> = {
  name: "failover",
  networked: true,
  summary:
    "the leader is cut off: naive asynchronous failover loses acknowledged writes and splits the brain; Raft does neither",
  options: [
    exportHistoryOption,
    ...describeLoss(
      faultOptions(RAFT_FAULTS, "Raft server"),
      "only while the faults last: the Raft run then stops them and lets the cluster converge, so even at 1 its clients get answers once the faults stop",
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Naive failover with asynchronous replication", REF.outages);
    trace.note(
      "At 200 ms the leader r1 and client-1 are cut off from everyone else. A monitor that no longer hears r1 promotes the most up-to-date follower. client-1 never notices and keeps writing to r1, which still believes it leads and, being asynchronous, acknowledges. At 500 ms the network heals; r1 is told to step down, and everything only it had is gone (the book's GitHub incident began this way: an out-of-date follower promoted, the old leader's writes discarded).",
      { ref: REF.outages },
    );
    const naive = runLeaderFollower(trace, {
      seed,
      followers: 2,
      mode: "async",
      clients: 3,
      operations: 60,
      readFrom: "leader",
      failover: true,
      cutLeader: { atMs: 200, healAtMs: 500 },
      latencyMsMax: 10,
    });
    exportHistory(trace, options.exportHistory, naive.history);
    trace.section("Failover by consensus: Raft", REF.consensus);
    trace.note(
      "Five Raft servers under the faults below (--loss, --duplicate, --crash, --partition). A leader needs a majority's votes, a vote goes only to a candidate whose log is at least as up to date, and a write is acknowledged only once a majority has it in the leader's term; a deposed leader cannot commit anything, because its term is stale. Two clients put and get; a get is answered only after a majority confirms the leader still leads (a read index: see read-from-followers).",
      { ref: REF.consensus },
    );
    const raft = runRaft(trace, {
      seed,
      servers: 5,
      clients: 2,
      writes: 30,
      reads: 30,
      loss: options.loss,
      duplicate: options.duplicate,
      crash: options.crash,
      partition: options.partition,
    });
    trace.history(
      "Raft: linearizability of the clients' puts and gets",
      historyOperations(raft.history),
      witnessOps(raft.linearizability),
    );
    trace.table(
      "Naive failover against Raft",
      [
        "",
        "acknowledged writes",
        "acknowledged, then lost",
        "time with two leaders",
        "safety violations",
      ],
      [
        [
          "naive (async + monitor)",
          naive.acknowledgedWrites.length,
          naive.lost.length,
          `${naive.splitBrainMs} ms`,
          "n/a",
        ],
        [
          "Raft",
          raft.acknowledged.length,
          raft.unappliedAcknowledged.length,
          "none that can act",
          raft.violations.length,
        ],
      ],
      "In Raft a deposed leader may go on believing it leads until it hears of a newer term, but its term is stale: it cannot commit a write or answer a get, so only one leader at a time can act.",
    );
    trace.check("naive failover loses no acknowledged write", naive.lost.length === 0, {
      expected: false,
      detail:
        naive.lost.length === 0
          ? "none lost"
          : `${naive.lost.length} lost: ${naive.lost.slice(0, 5).join(", ")}${naive.lost.length > 5 ? ", ..." : ""}`,
    });
    trace.check("naive failover never has two leaders at once", naive.splitBrainMs === 0, {
      expected: false,
      detail: `${naive.splitBrainMs} ms of split brain`,
    });
    const applied = "Raft: every acknowledged write is applied on every server";
    if (raft.acknowledged.length === 0)
      trace.notExercised(applied, "no put was acknowledged", { ref: REF.consensus });
    else
      trace.check(applied, raft.unappliedAcknowledged.length === 0, {
        ref: REF.consensus,
        detail: `${raft.acknowledged.length} acknowledged`,
      });
    checkReadsLinearizable(
      trace,
      "Raft: the clients' puts and gets (reads through a read index) are linearizable",
      raft.history,
      raft.linearizability,
      { ref: REF.linearizability },
    );
    trace.check(
      "Raft: election safety, log matching, leader completeness and state machine safety held",
      raft.violations.length === 0,
      {
        detail: raft.violations.slice(0, 2).join("; ") || `${raft.terms} terms`,
      },
    );
  },
};

export const readFromFollowers: Scenario<
  { operations: number; exportHistory: string } & FaultFlags
> = {
  name: "read-from-followers",
  networked: true,
  summary:
    "reads from lagging followers, and from a deposed leader, are stale; the linearizability checker rejects them and accepts reads through Raft's read index",
  options: [
    option("--operations <count>", "operations per client", integer(1, 10_000), 60),
    ...describeLoss(
      faultOptions(NO_FAULTS, "replica"),
      "near 1 few gets complete or none, and a check with no get to judge comes out not exercised (the Raft part scripts its own partition and loses nothing)",
    ),
    exportHistoryOption,
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Reading from followers under replication lag", REF.lag);
    trace.note(
      "Three clients write and read three keys; replication is asynchronous. First every read goes to a random follower, then, with the same seed, every read goes to the leader. Each history goes to the linearizability checker.",
      { ref: REF.lag },
    );
    const base = {
      seed,
      followers: 2,
      mode: "async" as const,
      clients: 3,
      operations: options.operations,
      failover: false,
      latencyMsMax: 10,
      faults: options,
    };
    const fromFollowers = runLeaderFollower(trace, { ...base, readFrom: "followers" });
    const fromLeader = runLeaderFollower(Trace.silent(), { ...base, readFrom: "leader" });
    exportHistory(trace, options.exportHistory, fromFollowers.history);
    // As in quorum: a history it cannot decide would cost the checker's whole default budget, twice.
    const followerVerdict = checkLinearizableOrUndecided(
      kvModel,
      fromFollowers.history,
      CHECK_STEPS,
    );
    const leaderVerdict = checkLinearizableOrUndecided(kvModel, fromLeader.history, CHECK_STEPS);
    trace.history(
      "linearizability of the reads from followers",
      historyOperations(fromFollowers.history),
      witnessOps(followerVerdict),
    );
    const w = followerVerdict?.witness;
    if (w !== undefined)
      trace.note(describeWitness(w), { level: "summary", ref: REF.linearizability });
    checkReadsLinearizable(
      trace,
      "reads from followers are linearizable",
      fromFollowers.history,
      followerVerdict,
      { expected: false, ref: REF.linearizability },
    );
    checkReadsLinearizable(
      trace,
      "reads from the leader are linearizable",
      fromLeader.history,
      leaderVerdict,
      { ref: REF.linearizability },
    );
    raftReads(trace, seed);
  },
};

/**
 * A linearizability verdict as a check; "not exercised" when no read completed (puts alone, with
 * no get to observe them, can always be put in some order); and a note instead of a check when
 * the checker could not decide within its step budget, as `quorum` does.
 */
function checkReadsLinearizable(
  trace: Trace,
  name: string,
  history: readonly CheckedOp[],
  verdict: Verdict | undefined,
  options: { expected?: boolean; ref: string },
): void {
  const reads = history.filter((op) => op.f === "get" && op.outcome === "ok").length;
  if (reads === 0)
    trace.notExercised(
      name,
      "no get completed, and a history of puts alone is always linearizable",
      { ref: options.ref },
    );
  else if (verdict === undefined)
    trace.note(
      `The linearizability checker could not decide whether ${name} within its step budget (${CHECK_STEPS.toLocaleString("en")} steps): every put that timed out may take effect at any later point, and the search grows exponentially in them. Fewer --operations, or less --loss, keep it decidable.`,
      { level: "summary", ref: options.ref },
    );
  else
    trace.check(name, verdict.linearizable, {
      ...options,
      detail: `${reads} get${reads === 1 ? "" : "s"}`,
    });
}

/**
 * The leader above never changes. Where it can, a node may believe it leads after a majority has
 * elected another: reading from it is linearizable only if it first confirms its leadership.
 */
function raftReads(trace: Trace, seed: number): void {
  const cut = { atMs: 400, healAtMs: 1_200 };
  trace.section("Reads from a leader that may have been deposed: Raft", REF.leaderReads);
  trace.note(
    `Five Raft servers; three clients put and get k0..k2 (three gets to each put) and abandon an operation after 250 ms. At ${cut.atMs} ms whoever leads is cut off together with client-1; the other four elect a new leader and the other clients write through it, while the old leader, hearing nothing, still believes it leads. First every leader answers a get at once from its own state machine.`,
    { ref: REF.leaderReads },
  );
  const base = {
    seed,
    servers: 5,
    clients: 3,
    writes: 10,
    reads: 30,
    deadlineMs: 250,
    loss: 0,
    duplicate: 0,
    crash: 0,
    partition: 0,
    isolateLeader: cut,
  };
  const local = runRaft(trace, { ...base, readMode: "local" });
  trace.note(
    "Then, same seed, with a read index (the Raft paper, section 8): once it has committed an entry of its own term, the leader notes its commit index, sends a round of heartbeats, and answers only when a majority of servers has answered that round in its term, from a state machine at or past that index. The cut-off leader never hears from a majority, so client-1's gets go unanswered until the network heals and it finds the new leader.",
    { ref: REF.leaderReads },
  );
  const readIndex = runRaft(Trace.silent(), { ...base, readMode: "read-index" });
  const gets = (r: typeof local, during: boolean) =>
    r.history.filter(
      (op) =>
        op.f === "get" &&
        op.outcome === "ok" &&
        (!during ||
          (op.process === "client-1" && op.callTime >= cut.atMs && op.returnTime < cut.healAtMs)),
    ).length;
  trace.table(
    `Gets from Raft's leader, the leader and client-1 cut off from ${cut.atMs} to ${cut.healAtMs} ms`,
    ["reads", "gets answered", "client-1's gets answered during the cut", "linearizable"],
    [
      [
        "leader's own state",
        gets(local, false),
        gets(local, true),
        local.linearizability.linearizable ? "yes" : "no",
      ],
      [
        "read index",
        gets(readIndex, false),
        gets(readIndex, true),
        readIndex.linearizability.linearizable ? "yes" : "no",
      ],
    ],
  );
  const w = local.linearizability.witness;
  if (w !== undefined)
    trace.note(describeWitness(w), { level: "summary", ref: REF.linearizability });
  trace.check(
    "a Raft leader answering gets from its own state is linearizable",
    local.linearizability.linearizable,
    { expected: false, ref: REF.leaderReads },
  );
  trace.check(
    "a Raft leader answering gets through a read index is linearizable",
    readIndex.linearizability.linearizable,
    { ref: REF.leaderReads },
  );
}
