/**
 * The runs of the change data capture story (DDIA ch. 11, "Databases and Streams"), as functions
 * that return what happened, so that the scenario narrates them and the tests judge them:
 *
 * - `dualWrites`: figure 11-4's race, with the writes in the figure's order.
 * - `runCdc`: a random workload of writes and deletes on a table; a search index and a cache follow
 *   its log as consumers, each reading a few records now and then (lagging behind), committing its
 *   offset every few records; the cache's consumer crashes and restarts; halfway through, a second
 *   index is built from a snapshot plus the log after the snapshot's position.
 */

import type { Random } from "../../shared/random.js";
import { Cache, type Change, Database, type Derived, SearchIndex } from "./cdc.js";
import { Consumer, type Log } from "./log.js";

/** One step of figure 11-4: which client wrote which value to which system. */
export interface DualWriteStep {
  client: string;
  system: "database" | "search index";
  key: string;
  value: string;
}

/**
 * Figure 11-4: two clients each write the same key to the database and then to the search index,
 * and their requests interleave so that the database sees A then B and the index B then A.
 */
export const FIGURE_11_4: readonly DualWriteStep[] = [
  { client: "client 1", system: "database", key: "X", value: "A" },
  { client: "client 2", system: "database", key: "X", value: "B" },
  { client: "client 2", system: "search index", key: "X", value: "B" },
  { client: "client 1", system: "search index", key: "X", value: "A" },
];

export function dualWrites(steps: readonly DualWriteStep[]): {
  database: Database;
  index: SearchIndex;
} {
  const database = new Database();
  const index = new SearchIndex();
  for (const s of steps) {
    if (s.system === "database") database.set(s.key, s.value);
    else index.applyChange({ key: s.key, value: s.value });
  }
  return { database, index };
}

/** The same writes with change data capture: only the database is written; the index follows its log. */
export function withChangeDataCapture(steps: readonly DualWriteStep[]): {
  database: Database;
  index: SearchIndex;
} {
  const database = new Database();
  const index = new SearchIndex();
  for (const s of steps) if (s.system === "database") database.set(s.key, s.value);
  new Consumer(database.log, (c) => index.applyChange(c), 1).catchUp();
  return { database, index };
}

const WORDS = ["red", "blue", "green", "wool", "silk", "hat", "scarf", "shoes", "coat", "socks"];

export interface CdcOptions {
  writes: number;
  keys: number;
  crashes: number;
  commitEvery: number;
  /**
   * The broken restart: the crashed consumer resumes at the end of the log rather than at its
   * committed offset, as a Kafka consumer does with no committed offset and auto.offset.reset =
   * latest; the broken snapshot: the new index starts reading the log where it stood when the
   * snapshot had been loaded, not at the snapshot's own position.
   */
  broken?: boolean;
}

export interface CrashRecord {
  /** Index of the write after which the crash came. */
  afterWrite: number;
  position: number;
  committed: number;
  endOffset: number;
  /** The consumer stays down while the database takes more writes, and restarts after this one. */
  restartAfterWrite: number;
}

export interface CdcRun {
  database: Database;
  index: SearchIndex;
  cache: Cache;
  /** Built from a snapshot taken halfway; undefined when there were no writes. */
  lateIndex: SearchIndex | undefined;
  snapshot: { offset: number; rows: number; loadedAt: number; startedAt: number } | undefined;
  /** A crash while the consumer is already down is not one: the plan's draws may coincide. */
  crashes: CrashRecord[];
  reprocessed: number;
  /** Records the broken restart skipped (0 for the correct one). */
  skipped: number;
  deletes: number;
  /** Largest lag of the cache's consumer, in records. */
  lagMax: number;
}

/** Writes the database takes while the crashed consumer is down (fewer if the run ends first). */
export const DOWN_WRITES = 2;

/** Writes during which the snapshot is being loaded (the late index reads nothing meanwhile). */
const SNAPSHOT_LOAD_WRITES = 3;

export function runCdc(random: Random, options: CdcOptions): CdcRun {
  const writes = random.fork("writes");
  const polls = random.fork("polls");
  const crashPlan = random.fork("crashes");
  const database = new Database();
  const index = new SearchIndex();
  const cache = new Cache();
  const indexer = new Consumer(database.log, (c) => index.applyChange(c), options.commitEvery);
  const cacher = new Consumer(database.log, (c) => cache.applyChange(c), options.commitEvery);
  const crashAfter = new Map<number, number>();
  for (let i = 0; i < options.crashes && options.writes > 0; i++) {
    // In the second half of the run, and early enough to be down for DOWN_WRITES writes: so that
    // a bad restart skips something, and fewer later writes overwrite what it skipped.
    const last = Math.max(1, options.writes - DOWN_WRITES);
    const at = crashPlan.int(Math.min(last, Math.ceil(options.writes / 2)), last);
    crashAfter.set(at, (crashAfter.get(at) ?? 0) + 1);
  }
  const snapshotAfter = Math.ceil(options.writes / 2);
  let late: { index: SearchIndex; consumer?: Consumer<Change> } | undefined;
  let snapshot: CdcRun["snapshot"];
  let pendingSnapshot: { rows: Map<string, string>; offset: number; at: number } | undefined;
  const crashes: CrashRecord[] = [];
  /** While the cache's consumer is down: the write after which it restarts. */
  let downUntil: number | undefined;
  let downAt = 0;
  const restart = () => {
    downUntil = undefined;
    if (options.broken) {
      skipped += database.log.endOffset - downAt;
      cacher.position = database.log.endOffset;
      cacher.committed = cacher.position;
    }
  };
  let skipped = 0;
  let deletes = 0;
  let lagMax = 0;
  for (let w = 1; w <= options.writes; w++) {
    const key = `k${writes.int(1, options.keys)}`;
    if (database.get(key) !== undefined && writes.chance(0.15)) {
      database.delete(key);
      deletes++;
    } else {
      const text = `${writes.pick(WORDS)} ${writes.pick(WORDS)}`;
      database.set(key, text);
    }
    // Each consumer reads 0 to 2 records after each write, so it lags behind and catches up.
    indexer.poll(polls.int(0, 2));
    const cachePoll = polls.int(0, 2);
    if (downUntil === undefined) cacher.poll(cachePoll);
    lagMax = Math.max(lagMax, cacher.lag);
    if (late?.consumer) late.consumer.poll(polls.int(0, 2));
    if (downUntil === w) restart();
    if (crashAfter.has(w) && downUntil === undefined) {
      crashes.push({
        afterWrite: w,
        position: cacher.position,
        committed: cacher.committed,
        endOffset: database.log.endOffset,
        restartAfterWrite: Math.min(options.writes, w + DOWN_WRITES),
      });
      downAt = cacher.position;
      cacher.crashAndRestart();
      downUntil = Math.min(options.writes, w + DOWN_WRITES);
      // A crash after the last write restarts when the writes are over.
      if (downUntil === w) restart();
    }
    if (w === snapshotAfter) {
      const s = database.snapshot();
      pendingSnapshot = { ...s, at: w };
    }
    // Loading the snapshot into the new index takes a while; the database goes on taking writes.
    if (
      pendingSnapshot !== undefined &&
      w === Math.min(options.writes, pendingSnapshot.at + SNAPSHOT_LOAD_WRITES)
    ) {
      const lateIndex = new SearchIndex();
      for (const [key, value] of pendingSnapshot.rows) lateIndex.applyChange({ key, value });
      const startAt = options.broken ? database.log.endOffset : pendingSnapshot.offset;
      late = {
        index: lateIndex,
        consumer: new Consumer(
          database.log,
          (c) => lateIndex.applyChange(c),
          options.commitEvery,
          startAt,
        ),
      };
      snapshot = {
        offset: pendingSnapshot.offset,
        rows: pendingSnapshot.rows.size,
        loadedAt: database.log.endOffset,
        startedAt: startAt,
      };
      pendingSnapshot = undefined;
    }
  }
  // The faults stop; every consumer catches up with the log.
  indexer.catchUp();
  cacher.catchUp();
  late?.consumer?.catchUp();
  return {
    database,
    index,
    cache,
    lateIndex: late?.index,
    snapshot,
    crashes,
    reprocessed: cacher.reprocessed,
    skipped,
    deletes,
    lagMax,
  };
}

/** A new consumer reading a log from its first record into a fresh derived system. */
export function rebuild<D extends Derived>(log: Log<Change>, derived: D): D {
  new Consumer(log, (c) => derived.applyChange(c), 1).catchUp();
  return derived;
}
