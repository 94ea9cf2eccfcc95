/**
 * An append-only log with offsets, as a log-based message broker keeps one partition (DDIA ch. 11,
 * "Partitioned Logs": "Logs compared to traditional messaging", "Consumer offsets"), with a
 * consumer that remembers how far it got and log compaction by key (ch. 11, "Change Data
 * Capture": "Log compaction").
 *
 * State: the records, each at an offset that never changes (compaction removes records but never
 * renumbers the rest, as in Kafka, so a consumer's offset keeps its meaning).
 * Left out: partitions, segments, retention by time or size, and the "dirty" head that Kafka's
 * log cleaner leaves uncompacted until it rolls the active segment.
 */

import { assert } from "../../shared/assert.js";

export interface LogRecord<T> {
  readonly offset: number;
  readonly value: T;
}

export class Log<T> {
  private readonly records: LogRecord<T>[] = [];
  private nextOffset = 0;

  /** Append at the end; returns the new record's offset. */
  append(value: T): number {
    const offset = this.nextOffset++;
    this.records.push({ offset, value });
    return offset;
  }

  /** The offset the next append will get (Kafka's log end offset). */
  get endOffset(): number {
    return this.nextOffset;
  }

  /** Records still stored (fewer than `endOffset` once compacted). */
  get size(): number {
    return this.records.length;
  }

  /** Every record at or after `offset`, in log order. */
  readFrom(offset: number): LogRecord<T>[] {
    return this.records.slice(this.indexOf(offset));
  }

  /** The first record at or after `offset` (a consumer's next poll of one record). */
  next(offset: number): LogRecord<T> | undefined {
    return this.records[this.indexOf(offset)];
  }

  /** Index of the first record at or after `offset`: records are in offset order, gaps and all. */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.records[mid] as LogRecord<T>).offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  all(): readonly LogRecord<T>[] {
    return this.records;
  }

  /**
   * Log compaction: keep only the most recent record for each key; offsets stay as they were. A
   * delete is a record too (a tombstone, value null in Kafka), so it is the latest for its key and
   * is kept: a consumer reading the compacted log learns that the key is gone. Kafka drops
   * tombstones themselves after `delete.retention.ms`; we keep them.
   */
  compact(keyOf: (value: T) => string): { before: number; after: number } {
    const before = this.records.length;
    const latest = new Map<string, number>();
    for (const r of this.records) latest.set(keyOf(r.value), r.offset);
    const kept = this.records.filter((r) => latest.get(keyOf(r.value)) === r.offset);
    this.records.length = 0;
    this.records.push(...kept);
    return { before, after: kept.length };
  }
}

/**
 * A consumer of one log: it applies records in offset order and commits its offset now and then
 * to durable storage (Kafka's __consumer_offsets). A crash loses its position in memory; it starts
 * again from the committed offset, so the records after it are processed a second time: at-least-
 * once, which is harmless when applying a record is idempotent (ch. 11, "Fault Tolerance":
 * "Idempotence").
 */
export class Consumer<T> {
  /** The next offset to read; lost in a crash. */
  position: number;
  /** Durable: where a restart resumes. */
  committed: number;
  /** Records applied more than once because a crash rewound the position. */
  reprocessed = 0;
  private highestApplied = -1;

  constructor(
    readonly log: Log<T>,
    private readonly apply: (value: T, offset: number) => void,
    readonly commitEvery: number,
    startOffset = 0,
  ) {
    assert(commitEvery >= 1, "a consumer commits at least every record");
    this.position = startOffset;
    this.committed = startOffset;
  }

  get lag(): number {
    return this.log.endOffset - this.position;
  }

  /** Process up to `count` records; returns how many it processed. */
  poll(count: number): number {
    let done = 0;
    while (done < count) {
      const record = this.log.next(this.position);
      if (record === undefined) break;
      if (record.offset <= this.highestApplied) this.reprocessed++;
      this.apply(record.value, record.offset);
      this.highestApplied = Math.max(this.highestApplied, record.offset);
      this.position = record.offset + 1;
      done++;
      if (this.position - this.committed >= this.commitEvery) this.committed = this.position;
    }
    return done;
  }

  /** Read to the end of the log and commit. */
  catchUp(): void {
    while (this.poll(1_000) > 0) {}
    this.committed = this.position;
  }

  /** A crash loses the in-memory position; the restart resumes from the committed offset. */
  crashAndRestart(): { lost: number } {
    const lost = this.position - this.committed;
    this.position = this.committed;
    return { lost };
  }
}
