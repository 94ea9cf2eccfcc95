/**
 * The input: a partitioned log, as Kafka keeps one (DDIA ch. 11, "Partitioned Logs"). It lives
 * outside the job and survives every failure, and a consumer can read it again from any offset:
 * that is what lets a restarted job rewind its sources to a checkpoint's offsets.
 *
 * The producer partitioned by key, as Kafka's default partitioner does, so all of a key's records
 * are in one partition, in order. That makes each key's running totals a function of the log
 * alone, whichever way the two partitions interleave at the operator: the output of a correct run
 * is deterministic, which is what lets us compare a run with a crash against one without.
 */

import type { Random } from "../../shared/random.js";
import type { LogRecord } from "./messages.js";

/** The keys of each partition. */
export const PARTITION_KEYS: readonly (readonly string[])[] = [
  ["blue", "green", "red"],
  ["amber", "teal", "violet"],
];

/** `records` records over two partitions (the first gets the odd one), values 1 to 9. */
export function generateLog(random: Random, records: number): LogRecord[][] {
  return PARTITION_KEYS.map((keys, partition) => {
    const count = partition === 0 ? Math.ceil(records / 2) : Math.floor(records / 2);
    return Array.from({ length: count }, (_, offset) => ({
      partition,
      offset,
      key: random.pick(keys),
      value: random.int(1, 9),
    }));
  });
}

/** The totals per key of every record before the given offsets: what a snapshot must hold. */
export function foldLog(
  log: readonly (readonly LogRecord[])[],
  offsets: readonly number[],
): Record<string, number> {
  const totals: Record<string, number> = {};
  log.forEach((partition, p) => {
    for (const record of partition.slice(0, offsets[p] ?? 0))
      totals[record.key] = (totals[record.key] ?? 0) + record.value;
  });
  return totals;
}
