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
export const uncleanFlag = flag(
  "--unclean",
  "allow unclean leader election (an out-of-sync replica may lead)",
);
