/**
 * Kafka-style replication: leaders and followers, the in-sync replica set, the high watermark,
 * and what each acks setting promises when a broker crashes (DDIA ch. 11, "Partitioned Logs";
 * ch. 5, "Handling Node Outages").
 */

import { faultOptions, integer, option, type Scenario } from "../../shared/cli.js";
import type { Fault } from "../../shared/faults.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { type ClusterOptions, latencySummary, runCluster } from "../cluster/run.js";
import {
  acksOption,
  brokersOption,
  clusterMessagesOption,
  clusterPartitionsOption,
  minInsyncOption,
  replicationFactorOption,
  uncleanFlag,
} from "../options.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";

type Options = Omit<ClusterOptions, "seed" | "idempotence"> & { compareSeeds: number };

/** Where the book weighs waiting for followers against not waiting: what acks=all and acks=1 choose between. */
const SYNC_ASYNC = "DDIA ch. 5, Synchronous Versus Asynchronous Replication";

const label = (o: Pick<ClusterOptions, "acks" | "minInsync" | "unclean">) =>
  `acks=${o.acks}${o.acks === "all" ? `, min.insync=${o.minInsync}` : ""}${o.unclean ? ", unclean election" : ""}`;

export const replication: Scenario<Options> = {
  name: "replication",
  networked: true,
  summary:
    "leader, followers, ISR and high watermark: which acks settings lose acknowledged messages when a broker crashes",
  options: [
    brokersOption(3),
    clusterPartitionsOption(1),
    replicationFactorOption(3),
    acksOption("all"),
    minInsyncOption(2),
    uncleanFlag,
    clusterMessagesOption(200),
    ...faultOptions({ loss: 0.02, duplicate: 0, crash: 1, partition: 0 }, "broker"),
    option(
      "--compare-seeds <count>",
      "seeds per setting in a table comparing every acks setting (0 skips it; each seed is six runs of 100 messages, so the range stops at 50)",
      integer(0, 50),
      0,
    ),
  ],
  validate: (o) =>
    o.replicationFactor > o.brokers
      ? `--replication-factor ${o.replicationFactor} needs at least as many --brokers (got ${o.brokers})`
      : o.minInsync > o.replicationFactor
        ? `--min-insync ${o.minInsync} cannot exceed --replication-factor ${o.replicationFactor}`
        : undefined,
  run: ({ trace, seed }, options) => {
    const cluster: ClusterOptions = { ...options, seed, idempotence: false, follow: "m1" };
    trace.section(
      `${options.brokers} brokers, replication factor ${options.replicationFactor}, ${label(options)}`,
      REF.partitionedLogs,
    );
    trace.note(
      "Each partition has a leader and followers; followers fetch from the leader. The in-sync replicas (ISR) and the high watermark are Kafka's mechanisms, not the book's: the ISR is the set of replicas that have kept up, and the high watermark is the end of what every ISR member has; records below it are committed, and consumers see only those. acks=all answers the producer once its record is committed, waiting for the in-sync followers as synchronous replication waits; acks=1 as soon as the leader has it, as asynchronous replication does; acks=0 never.",
      { ref: SYNC_ASYNC },
    );
    const result = runCluster(trace, cluster);
    trace.table(
      "What the clients saw",
      ["measure", "count"],
      [
        ["messages sent", result.sent.length],
        ["acknowledged", result.acknowledged.length],
        ["acknowledged, then lost", result.lost.length],
        ["sent and missing from the log", result.missing.length],
        ["producer retries", result.retries],
        ["duplicates in the log (retries after a lost acknowledgement)", result.duplicates],
        [
          "leader elections: clean / unclean",
          `${result.cleanElections} / ${result.uncleanElections}`,
        ],
      ],
    );
    const safe = options.acks === "all" && !options.unclean;
    trace.section("Checks");
    const lostName = "no acknowledged message is lost";
    if (result.acknowledged.length === 0)
      trace.notExercised(
        lostName,
        options.acks === "0"
          ? "with acks=0 the producer never hears back, so nothing is acknowledged"
          : "nothing was acknowledged",
        { ref: REF.leaders },
      );
    else
      trace.check(lostName, result.lost.length === 0, {
        expected: safe,
        ref: REF.leaders,
        detail:
          result.lost.length === 0
            ? `${result.acknowledged.length} acknowledged, all in the log`
            : `${result.lost.length} lost: ${shortList(result.lost, 6)}`,
      });
    const committedName =
      "consumers read only committed messages: everything read is still in the log";
    if (result.consumed === 0) trace.notExercised(committedName, "the consumer read nothing");
    else
      trace.check(committedName, result.readThenLost.length === 0, {
        expected: !options.unclean,
        detail:
          result.readThenLost.length === 0
            ? `${result.consumed} read, the high watermark held`
            : `read, then lost: ${shortList(result.readThenLost)}`,
      });
    const orderName = "each partition's messages reached the consumer in offset order";
    if (result.partitionsReadTwice === 0)
      trace.notExercised(
        orderName,
        "the consumer read fewer than two messages from every partition",
      );
    else trace.check(orderName, result.outOfOrder === 0, { expected: !options.unclean });
    const livenessName = "every replica's log equals its leader's once the faults stop (liveness)";
    const records = [...result.finalLog.values()].reduce((n, log) => n + log.length, 0);
    if (result.followersCompared === 0 || records === 0)
      trace.notExercised(
        livenessName,
        options.replicationFactor === 1
          ? "replication factor 1: no partition has a follower"
          : records === 0
            ? "no record reached a leader's log, so there was nothing to replicate"
            : "no partition has a leader to compare its followers with",
        { ref: REF.leaders },
      );
    else
      trace.check(livenessName, result.diverged.length === 0, {
        ref: REF.leaders,
        detail:
          result.diverged.length === 0
            ? `${result.followersCompared} follower replica(s), each holding exactly its leader's records`
            : shortList(result.diverged, 6, "; "),
      });
    trace.check(
      "every partition has a leader once the faults stop",
      result.leaderless.length === 0,
      {
        detail:
          result.leaderless.length === 0
            ? "all online"
            : `offline: ${result.leaderless.join(", ")}`,
      },
    );

    if (options.compareSeeds > 0) compare(trace, options);
    else
      trace.note(
        "One seed shows one story. For what each acks setting promises over many seeds (losses and produce latency), add --compare-seeds 30.",
        { level: "summary" },
      );
    uncleanStepByStep(trace, options);
  },
};

/** The same workload under each setting, over several seeds with a crash and a partition each. */
function compare(trace: Trace, options: Options): void {
  trace.section(
    `Every acks setting, ${options.compareSeeds} seeds each, two broker crashes and two network partitions per seed`,
    REF.leaders,
  );
  const settings: Pick<ClusterOptions, "acks" | "minInsync" | "unclean">[] = [
    { acks: "0", minInsync: 1, unclean: false },
    { acks: "1", minInsync: 1, unclean: false },
    { acks: "1", minInsync: 1, unclean: true },
    { acks: "all", minInsync: 1, unclean: true },
    { acks: "all", minInsync: 1, unclean: false },
    { acks: "all", minInsync: 2, unclean: false },
  ];
  const base = {
    ...options,
    brokers: 3,
    replicationFactor: 3,
    partitions: 1,
    messages: 100,
    loss: 0.02,
    duplicate: 0,
    idempotence: false,
  };
  const rows: Cell[][] = settings.map((setting) => {
    let lostRuns = 0;
    let lost = 0;
    let missing = 0;
    let acknowledged = 0;
    let unclean = 0;
    for (let seed = 1; seed <= options.compareSeeds; seed++) {
      const r = runCluster(Trace.silent(), {
        ...base,
        ...setting,
        seed,
        crash: 2,
        partition: 2,
      });
      if (r.lost.length > 0) lostRuns++;
      lost += r.lost.length;
      missing += r.missing.length;
      acknowledged += r.acknowledged.length;
      unclean += r.uncleanElections;
    }
    const calm = runCluster(Trace.silent(), {
      ...base,
      ...setting,
      seed: 1,
      crash: 0,
      partition: 0,
      loss: 0,
    });
    return [
      label(setting),
      acknowledged,
      `${lostRuns} of ${options.compareSeeds}`,
      lost,
      missing,
      setting.unclean ? unclean : "-",
      setting.acks === "0" ? "no acknowledgement" : latencySummary(calm.latenciesMs),
    ];
  });
  trace.table(
    "What each setting promises, and what it costs",
    [
      "setting",
      "acknowledged",
      "runs losing acknowledged messages",
      "acknowledged and lost",
      "sent and missing",
      "unclean elections",
      "produce latency (no faults)",
    ],
    rows,
    "acks=all waits until the followers have fetched the record and asked for the next one, about one follower round trip more than acks=1 (their fetches wait at the leader and are answered as soon as the record is appended): that wait is the price of surviving the leader's crash. Unclean election does harm only when every in-sync replica is down and a replica that was not in sync takes over without the records it lacked; its column counts how often that happened here, and the run below sets it up on purpose.",
  );
}

/**
 * The followers are cut off (and drop out of the ISR), the lone leader keeps acknowledging, then
 * crashes before they return. Clean election waits for it; unclean election does not.
 */
function uncleanStepByStep(trace: Trace, options: Options): void {
  trace.section("Unclean leader election, set up on purpose", REF.leaders);
  trace.note(
    "At 60 ms the two followers are cut off from everyone; the controller stops hearing their heartbeats and fences them, and they drop out of the ISR, leaving broker-1 alone in it, still acknowledging writes. At 160 ms broker-1 crashes; at 300 ms the network heals; broker-1 restarts at 500 ms.",
  );
  const plan: Fault[] = [
    {
      kind: "partition",
      atMs: 60,
      groups: [
        ["broker-2", "broker-3"],
        ["broker-1", "controller", "producer", "consumer"],
      ],
      healAtMs: 300,
    },
    { kind: "crash", atMs: 160, node: "broker-1", recoverAtMs: 500 },
  ];
  const rows: Cell[][] = [false, true].map((unclean) => {
    const r = runCluster(Trace.silent(), {
      ...options,
      brokers: 3,
      replicationFactor: 3,
      partitions: 1,
      acks: "all",
      minInsync: 1,
      unclean,
      messages: 40,
      loss: 0,
      duplicate: 0,
      crash: 0,
      partition: 0,
      seed: 1,
      idempotence: false,
      plan,
    });
    return [
      unclean ? "unclean election allowed" : "clean election only",
      r.acknowledged.length,
      r.lost.length,
      `${r.offlineMs.toFixed(0)} ms`,
    ];
  });
  trace.table(
    "acks=all, min.insync.replicas=1: the leader was alone in the ISR when it crashed",
    ["election", "acknowledged", "acknowledged and lost", "time without a leader"],
    rows,
    "Clean election keeps every acknowledged message and leaves the partition offline until broker-1 returns; unclean election brings it back sooner, on a replica that never had the last writes. min.insync.replicas=2 would have refused those writes instead.",
  );
}
