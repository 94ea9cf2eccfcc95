/** Flags the message-queue scenarios share. */
import { choice, flag, integer, option } from "../shared/cli.js";

export const brokersOption = (d: number) =>
  option("--brokers <count>", "brokers in the cluster", integer(1, 9), d);
export const partitionsOption = (d: number) =>
  option("--partitions <count>", "partitions of the topic", integer(1, 64), d);
export const replicationFactorOption = (d: number) =>
  option(
    "--replication-factor <count>",
    "replicas of each partition (at most --brokers)",
    integer(1, 9),
    d,
  );
export const acksOption = (d: "0" | "1" | "all") =>
  option(
    "--acks <acks>",
    "when the leader answers a produce",
    choice(["0", "1", "all"] as const),
    d,
  );
export const minInsyncOption = (d: number) =>
  option(
    "--min-insync <count>",
    "min.insync.replicas: acks=all needs at least this many in-sync replicas",
    integer(1, 9),
    d,
  );
export const messagesOption = (d: number) =>
  option("--messages <count>", "messages produced", integer(1, 100_000), d);

/**
 * The networked cluster (replication, idempotent-producer) sends records one at a time over the
 * simulated network; each follower of each partition keeps one fetch waiting at its leader, asked
 * again every 20 simulated ms on an idle partition (replica.fetch.wait.max.ms), and each broker
 * heartbeats every 5 ms: a run costs about messages × partitions × replicas events. These ranges
 * keep the largest run within seconds; beyond them the story is the same, only longer.
 */
export const clusterMessagesOption = (d: number) =>
  option(
    "--messages <count>",
    "messages produced, one at a time over the simulated network (at most 10,000: each costs events on every replica of every partition)",
    integer(1, 10_000),
    d,
  );
export const clusterPartitionsOption = (d: number) =>
  option(
    "--partitions <count>",
    "partitions of the topic (at most 8: every follower of each keeps a fetch waiting at its leader (a long poll), renewed every 20 simulated ms when idle)",
    integer(1, 8),
    d,
  );
export const uncleanFlag = flag(
  "--unclean",
  "allow unclean leader election (an out-of-sync replica may lead)",
);
