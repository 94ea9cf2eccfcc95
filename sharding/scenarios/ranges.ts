/**
 * Range-based partitioning: the book's sensor example of key-range partitioning and its hot spot,
 * and dynamic partitioning that splits ranges as the data grows (DDIA ch. 6, "Partitioning by Key
 * Range" and "Rebalancing Partitions: Dynamic partitioning").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { maxOverMean, percent } from "../../shared/stats.js";
import type { Cell } from "../../shared/trace.js";
import { DynamicPartitions, KeyRangePartitioning } from "../key-range.js";
import { keysFor, nodeNames } from "../measure.js";
import { keysOption, nodesOption, partitionsOption } from "../options.js";
import { REF } from "../refs.js";
import { counted } from "../words.js";

const SENSORS = 20;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** The simulated "now": the end of the historical data. A fixed instant, never the real clock. */
const NOW_MS = Date.UTC(2026, 10, 28, 9, 0, 0);

function timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function sensor(i: number): string {
  return `sensor-${String(i).padStart(2, "0")}`;
}

interface Reading {
  sensor: string;
  timeMs: number;
}

const byTime = (r: Reading) => `${timestamp(r.timeMs)}/${r.sensor}`;
const bySensor = (r: Reading) => `${r.sensor}/${timestamp(r.timeMs)}`;

interface KeyRangeOptions {
  keys: number;
  partitions: number;
}

export const keyRange: Scenario<KeyRangeOptions> = {
  name: "key-range",
  summary: "sorted key ranges: cheap range scans, and a hot spot for timestamp keys",
  // The boundaries are cut from the stored keys: fewer than 100 cannot place 20 sensors' ranges.
  options: [keysOption(5_000, 1_000_000, 100), partitionsOption(4, 64)],
  run: ({ trace, seed }, { keys, partitions }) => {
    const random = new Random(seed).fork("readings");
    trace.section(`Sensor readings in ${counted(partitions, "key-range partition")}`, REF.keyRange);
    trace.note(
      `${SENSORS} sensors have stored ${keys} readings over the past week. First design, the book's: the key is the timestamp (with the sensor name after it, to keep keys unique). Partition boundaries are set at the quantiles of the stored keys, as a pre-split from existing data would set them.`,
      { ref: REF.keyRange },
    );
    const history: Reading[] = Array.from({ length: keys }, () => ({
      sensor: sensor(random.int(1, SENSORS)),
      timeMs: NOW_MS - 7 * DAY_MS + Math.floor(random.uniform(0, 7 * DAY_MS)),
    }));
    const nextHour: Reading[] = [];
    for (let minute = 0; minute < 60; minute++) {
      for (let s = 1; s <= SENSORS; s++)
        nextHour.push({ sensor: sensor(s), timeMs: NOW_MS + minute * MINUTE_MS });
    }
    const scanStartMs = NOW_MS - 3 * DAY_MS + 60 * MINUTE_MS;
    const scanEndMs = scanStartMs + 10 * MINUTE_MS;
    const scanText = `${timestamp(scanStartMs)} to ${timestamp(scanEndMs)}`;

    const rows: Cell[][] = [];
    let timeScanPartitions = 0;
    let timeWriteShare = 0;
    let sensorBusiest = 0;
    for (const [design, keyOf] of [
      ["timestamp first", byTime],
      ["sensor first", bySensor],
    ] as const) {
      const ranges = KeyRangePartitioning.fromSample(history.map(keyOf), partitions);
      const writes = new Array<number>(ranges.partitions).fill(0);
      for (const reading of nextHour) {
        const p = ranges.partitionOf(keyOf(reading));
        writes[p] = (writes[p] ?? 0) + 1;
      }
      // Timestamp-first keys answer a time range with one scan; sensor-first keys need one per sensor.
      const scans =
        keyOf === byTime
          ? [[timestamp(scanStartMs), timestamp(scanEndMs)]]
          : Array.from({ length: SENSORS }, (_, i) => [
              `${sensor(i + 1)}/${timestamp(scanStartMs)}`,
              `${sensor(i + 1)}/${timestamp(scanEndMs)}`,
            ]);
      const touched = new Set(
        scans.flatMap(([start, end]) => ranges.partitionsForScan(start as string, end as string)),
      );
      trace.table(
        `Key design "${design}": partition boundaries`,
        ["partition", "from key", "up to (not including)"],
        Array.from({ length: ranges.partitions }, (_, p) => {
          const { lower, upper } = ranges.rangeOf(p);
          return [p, lower ?? "(start)", upper ?? "(end)"];
        }),
      );
      trace.bars(
        `Key design "${design}": where the next hour's ${nextHour.length} writes land`,
        writes.map((value, p) => ({ label: `partition ${p}`, value })),
        "writes",
      );
      const share = Math.max(...writes) / nextHour.length;
      rows.push([
        design,
        percent(share),
        maxOverMean(writes).toFixed(2),
        scans.length,
        touched.size,
      ]);
      if (keyOf === byTime) {
        timeScanPartitions = touched.size;
        timeWriteShare = share;
        trace.note(
          partitions === 1
            ? `Every new reading has a timestamp later than all stored ones, so all ${nextHour.length} writes of the next hour go to the last partition; with one partition there is no other for them to go to, so no hot spot can show.`
            : `Every new reading has a timestamp later than all stored ones, so all ${nextHour.length} writes of the next hour go to the last partition while the others sit idle: a hot spot.`,
          { ref: REF.keyRange, level: "summary" },
        );
      } else {
        sensorBusiest = Math.max(...writes);
        trace.note(
          partitions === 1
            ? "With the sensor name first, the sensors' writes would spread over the partitions, if there were more than one. The price: a time range across all sensors is now one scan per sensor."
            : "With the sensor name first, the sensors' writes spread over all partitions. The price: a time range across all sensors is now one scan per sensor.",
          { ref: REF.keyRange, level: "summary" },
        );
      }
    }
    trace.table(
      `The two key designs, for a 10-minute scan ${scanText}`,
      [
        "key design",
        "busiest partition's share of new writes",
        "write max/mean",
        "scans for the time range",
        "partitions the scans read",
      ],
      rows,
    );
    trace.check(
      "a time-range scan on timestamp keys reads one contiguous run of partitions",
      timeScanPartitions <= 2,
      {
        detail: `${timeScanPartitions} of ${counted(partitions, "partition")}`,
        ref: REF.keyRange,
      },
    );
    trace.check(
      "timestamp keys send every current write to a single partition (the hot spot)",
      timeWriteShare === 1,
      {
        detail: `${percent(timeWriteShare)} of the next hour's writes on one partition`,
      },
    );
    // A sensor's readings share a prefix and so (nearly always) a partition: the busiest partition
    // should carry no more sensors than an even split gives it, plus one for where the boundaries fall.
    const perSensor = nextHour.length / SENSORS;
    const evenSplit = Math.ceil(SENSORS / partitions);
    const spreads =
      "sensor-first keys spread current writes: the busiest partition takes at most one sensor more than an even split";
    if (partitions === 1) {
      trace.notExercised(spreads, "one partition: there is nothing to spread over");
    } else {
      trace.check(spreads, sensorBusiest <= (evenSplit + 1) * perSensor, {
        detail: `${sensorBusiest / perSensor} sensors' writes (${sensorBusiest}); an even split of ${SENSORS} sensors over ${partitions} partitions gives ${evenSplit}`,
      });
    }
  },
};

interface DynamicOptions {
  nodes: number;
  keys: number;
  splitSize: number;
}

export const dynamicPartitions: Scenario<DynamicOptions> = {
  name: "dynamic-partitions",
  summary: "key ranges split when they grow past a threshold; partitions grow with the data",
  options: [
    nodesOption(4, "nodes that the partitions are spread over as they split"),
    keysOption(2_000, 100_000),
    option(
      "--split-size <keys>",
      "a partition splits when it holds more keys than this",
      integer(2, 100_000),
      100,
    ),
  ],
  run: ({ trace, seed }, { nodes, keys, splitSize }) => {
    trace.section(`Dynamic partitioning: split past ${splitSize} keys`, REF.dynamic);
    trace.note(
      `An empty database starts with one partition. When a partition grows past the threshold it splits at its median key, and ${nodes === 1 ? "one half could move to another node (with one node, both halves stay on node-1)" : "one half moves to another node"} (HBase's default threshold is 10 GB; ours is counted in keys).`,
      { ref: REF.dynamic },
    );
    const keySet = keysFor(seed, keys);
    const dynamic = new DynamicPartitions(nodeNames(nodes), splitSize);
    const names = nodeNames(nodes);
    const earlyWrites = new Map(names.map((n) => [n, 0]));
    const checkpoints = new Set([0.1, 0.25, 0.5, 1].map((f) => Math.max(1, Math.round(f * keys))));
    const growth: Cell[][] = [];
    let splits = 0;
    keySet.forEach((key, i) => {
      const { node, split } = dynamic.insert(key);
      if (i < splitSize) earlyWrites.set(node, (earlyWrites.get(node) ?? 0) + 1);
      if (split !== undefined) {
        splits++;
        if (splits <= 3) {
          trace.note(
            `After ${i + 1} keys: a partition on ${split.leftNode} passed ${splitSize} keys and split at "${split.splitKey}"; the upper half (${counted(split.rightSize, "key")}) ${split.rightNode === split.leftNode ? `stays on ${split.rightNode}` : `moved to ${split.rightNode}`}.`,
          );
        }
      }
      if (checkpoints.has(i + 1)) {
        const perNode = dynamic.partitionsPerNode();
        growth.push([
          i + 1,
          dynamic.partitions.length,
          [...perNode.values()].join(" / "),
          Math.max(...dynamic.partitions.map((p) => p.keys.length)),
        ]);
      }
    });
    if (splits > 3) trace.note(`… and ${counted(splits - 3, "more split")}.`);
    trace.bars(
      keys <= splitSize
        ? `Writes per node while the ${counted(keys, "key")} arrive${keys === 1 ? "s" : ""}`
        : `Writes per node while the first ${counted(splitSize, "key")} arrive`,
      [...earlyWrites].map(([label, value]) => ({ label, value })),
      "writes",
    );
    trace.note(
      `Until the first split, one node takes every write${nodes === 1 ? "" : " and the rest idle"}; that is why HBase and MongoDB let you pre-split an empty database.`,
      { ref: REF.dynamic, level: "summary" },
    );
    trace.table(
      "Partitions grow with the data",
      [
        "keys stored",
        "partitions",
        `partitions per node (${names.join(" / ")})`,
        "largest partition",
      ],
      growth,
    );

    // Check the partitioning from its own contents.
    const all = dynamic.partitions.flatMap((p) => p.keys);
    const sortedUnique = [...new Set(keySet)].sort();
    const inRange = dynamic.partitions.every((p, i) => {
      const upper = dynamic.partitions[i + 1]?.lower;
      return p.keys.every((k) => k >= p.lower && (upper === undefined || k < upper));
    });
    trace.check(
      "every key is in exactly one partition, and the ranges are contiguous",
      inRange && all.length === sortedUnique.length && all.every((k, i) => k === sortedUnique[i]),
    );
    // Splitting is only put to the test once the data outgrows one partition.
    const largest = Math.max(...dynamic.partitions.map((p) => p.keys.length));
    const threshold = "no partition holds more than the split threshold";
    const grows = "the number of partitions grows with the data";
    if (keys <= splitSize) {
      const why = `${counted(keys, "key")} never ${keys === 1 ? "passes" : "pass"} the split threshold of ${splitSize}: nothing had to split`;
      trace.notExercised(threshold, why);
      trace.notExercised(grows, why);
      return;
    }
    trace.check(threshold, largest <= splitSize, { detail: `largest: ${largest} keys` });
    const atLeast = Math.ceil(keys / splitSize);
    trace.check(grows, dynamic.partitions.length >= atLeast, {
      detail: `${dynamic.partitions.length} partitions for ${keys} keys (at least ${atLeast} needed)`,
    });
  },
};
