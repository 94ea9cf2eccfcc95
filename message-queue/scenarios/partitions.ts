/**
 * A topic with partitions: keyed records go where Kafka's default partitioner sends them, keyless
 * ones are spread by the sticky partitioner; order holds within a partition, not across (DDIA
 * ch. 11, "Partitioned Logs").
 */

import type { Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { PartitionLog } from "../log.js";
import { messagesOption, partitionsOption } from "../options.js";
import { kafkaPartition, RoundRobinPartitioner, StickyPartitioner } from "../partitioner.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";

const USERS = ["alice", "bob", "carol", "dave", "erin", "frank"];

export const partitions: Scenario<{ partitions: number; messages: number }> = {
  name: "partitions",
  summary:
    "keys pick partitions exactly as Kafka's producer does; order holds within a partition, not across",
  options: [partitionsOption(3), messagesOption(24)],
  run: ({ trace, seed }, options) => {
    const random = new Random(seed).fork("events");
    trace.section(`A topic of ${options.partitions} partitions`, REF.partitionedLogs);
    trace.note(
      "A producer with a key sends to partition toPositive(murmur2(key)) mod partitions, Kafka's own formula with Kafka's murmur2, so every key below lands on the same partition number as it would with a real Kafka producer.",
      { ref: REF.partitionedLogs },
    );
    trace.table(
      "Where each key goes",
      ["key", "partition"],
      USERS.map((u) => [u, kafkaPartition(u, options.partitions)]),
    );
    const logs = Array.from(
      { length: options.partitions },
      () => new PartitionLog({ segmentBytes: 1 << 20 }),
    );
    const sent: { key: string; value: string; partition: number }[] = [];
    for (let i = 0; i < options.messages; i++) {
      const key = random.pick(USERS);
      const value = `${key}:${i + 1}`;
      const partition = kafkaPartition(key, options.partitions);
      logs[partition]?.append(key, value, i);
      sent.push({ key, value, partition });
    }
    // A consumer reads the partitions in turn, a few records at a time, as a fetch loop does.
    const read: string[] = [];
    const positions = logs.map(() => 0);
    while (read.length < sent.length) {
      const p = random.int(0, options.partitions - 1);
      const batch = logs[p]?.read(positions[p] ?? 0, random.int(1, 3)) ?? [];
      for (const r of batch) read.push(String(r.value));
      positions[p] = (positions[p] ?? 0) + batch.length;
    }
    trace.note(
      `Sent: ${shortList(
        sent.map((s) => s.value),
        40,
        " ",
      )}`,
    );
    trace.note(`Read: ${shortList(read, 40, " ")}`, { level: "summary" });
    // Order is judged between two messages at least: per key, only keys sent twice or more count.
    const repeatedKeys = USERS.filter((u) => sent.filter((m) => m.key === u).length >= 2);
    const perKeyName =
      "every key's messages are read in the order they were sent (one key, one partition)";
    if (repeatedKeys.length === 0)
      trace.notExercised(perKeyName, "no key was sent more than once", {
        ref: REF.partitionedLogs,
      });
    else
      trace.check(
        perKeyName,
        repeatedKeys.every((u) => {
          const sentOrder = sent.filter((m) => m.key === u).map((m) => m.value);
          const readOrder = read.filter((v) => v.startsWith(`${u}:`));
          return JSON.stringify(sentOrder) === JSON.stringify(readOrder);
        }),
        { ref: REF.partitionedLogs, detail: `${repeatedKeys.length} key(s) sent more than once` },
      );
    const acrossName = "the order across partitions is kept";
    if (sent.length < 2) trace.notExercised(acrossName, "only one message was sent");
    else
      trace.check(acrossName, JSON.stringify(read) === JSON.stringify(sent.map((m) => m.value)), {
        expected: options.partitions === 1,
        detail:
          options.partitions === 1
            ? "one partition: the consumer reads the messages in the order they were appended"
            : "a consumer interleaves partitions as its fetches return; only each partition's own order is promised",
      });

    trace.section("Records without a key", REF.partitionedLogs);
    const keyless = 60;
    const sticky = new StickyPartitioner(random.fork("sticky"), 10);
    const roundRobin = new RoundRobinPartitioner();
    const stickyPicks = Array.from({ length: keyless }, () => sticky.next(options.partitions));
    const rrPicks = Array.from({ length: keyless }, () => roundRobin.next(options.partitions));
    const switches = (picks: number[]) =>
      picks.filter((p, i) => i > 0 && p !== picks[i - 1]).length;
    trace.note(
      `Kafka's producer (2.4 and later) uses the sticky partitioner: it fills a batch for one partition before moving to another, so keyless records travel in fewer, fuller batches. Sticky: ${stickyPicks.join("")}; round-robin: ${rrPicks.join("")}.`,
    );
    trace.table(
      "60 keyless records",
      ["partitioner", "partition changes (batches started)", "records per partition"],
      [
        ["sticky (batch of 10)", switches(stickyPicks), countPer(stickyPicks, options.partitions)],
        ["round-robin", switches(rrPicks), countPer(rrPicks, options.partitions)],
      ],
    );
  },
};

function countPer(picks: number[], partitions: number): string {
  return Array.from({ length: partitions }, (_, p) => picks.filter((x) => x === p).length).join(
    " / ",
  );
}
