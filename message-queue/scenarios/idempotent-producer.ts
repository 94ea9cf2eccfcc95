/**
 * Retries after a lost acknowledgement write a message twice; an idempotent producer (a producer
 * id plus a sequence number per partition) lets the broker drop the second copy (DDIA ch. 11,
 * "Idempotence"; Kafka's KIP-98).
 */

import { faultOptions, type Scenario } from "../../shared/cli.js";
import { Trace } from "../../shared/trace.js";
import { type ClusterOptions, runCluster } from "../cluster/run.js";
import { clusterMessagesOption, clusterPartitionsOption } from "../options.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";

type Options = Pick<
  ClusterOptions,
  "partitions" | "messages" | "loss" | "duplicate" | "crash" | "partition"
>;

export const idempotentProducer: Scenario<Options> = {
  name: "idempotent-producer",
  networked: true,
  summary:
    "retries after a lost acknowledgement duplicate a message; producer id and sequence numbers drop the duplicate",
  options: [
    clusterPartitionsOption(2),
    // 100 messages at loss 0.1 write duplicates on each of seeds 1 to 5, and keep the start-up short.
    clusterMessagesOption(100),
    ...faultOptions({ loss: 0.1, duplicate: 0, crash: 1, partition: 0 }, "broker"),
  ],
  run: ({ trace, seed }, options) => {
    trace.section("The same workload, with and without idempotence", REF.exactlyOnce);
    trace.note(
      "The producer sends each message until it is acknowledged (acks=all). When the acknowledgement is lost, the retry reaches a broker that already has the message. Without idempotence it is appended again; with it, the producer sends its producer id and a sequence number per partition, the leader remembers the last sequence of each producer, and a retry with an old sequence is answered without being appended. Followers keep the same producer state from the records they replicate, so it survives a change of leader.",
      { ref: REF.exactlyOnce },
    );
    const run = (idempotence: boolean, traced: boolean) =>
      runCluster(traced ? trace : Trace.silent(), {
        ...options,
        seed,
        brokers: 3,
        replicationFactor: 3,
        acks: "all",
        minInsync: 2,
        unclean: false,
        idempotence,
      });
    trace.note("First without idempotence (narrated), then the same seed with it:");
    const plain = run(false, true);
    const idempotent = run(true, false);
    trace.table(
      "Duplicates in the log",
      ["producer", "acknowledged", "retries", "duplicates in the log", "acknowledged and lost"],
      [
        ["plain", plain.acknowledged.length, plain.retries, plain.duplicates, plain.lost.length],
        [
          "idempotent",
          idempotent.acknowledged.length,
          idempotent.retries,
          idempotent.duplicates,
          idempotent.lost.length,
        ],
      ],
    );
    const inLog = (r: typeof plain) => r.sent.length - r.missing.length;
    const plainName = "the plain producer writes no duplicates";
    if (inLog(plain) === 0) trace.notExercised(plainName, "no message reached the log");
    else
      trace.check(plainName, plain.duplicates === 0, {
        expected: false,
        detail: `${plain.duplicates} duplicate(s) after ${plain.retries} retries`,
      });
    // Only a retry can write a duplicate: without one, there was nothing to recognise.
    const idempotentName = "the idempotent producer writes no duplicates";
    if (inLog(idempotent) === 0) trace.notExercised(idempotentName, "no message reached the log");
    else if (idempotent.retries === 0)
      trace.notExercised(idempotentName, "the producer never retried, so no duplicate was offered");
    else
      trace.check(idempotentName, idempotent.duplicates === 0, {
        detail: `${idempotent.retries} retries, every repeat recognised`,
      });
    const diverged = [...plain.diverged, ...idempotent.diverged];
    const livenessName =
      "in both runs, every replica's log equals its leader's once the faults stop (liveness)";
    if (inLog(plain) + inLog(idempotent) === 0)
      trace.notExercised(
        livenessName,
        "no message reached a leader's log, so there was nothing to replicate",
        {
          ref: REF.leaders,
        },
      );
    else
      trace.check(livenessName, diverged.length === 0, {
        ref: REF.leaders,
        ...(diverged.length > 0 ? { detail: shortList(diverged, 6, "; ") } : {}),
      });
    const lostName = "neither loses an acknowledged message";
    if (plain.acknowledged.length + idempotent.acknowledged.length === 0)
      trace.notExercised(lostName, "nothing was acknowledged");
    else trace.check(lostName, plain.lost.length === 0 && idempotent.lost.length === 0);
  },
};
