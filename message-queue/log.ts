/**
 * A partition's log, in memory: an append-only sequence of records with offsets, cut into
 * segments, with retention and compaction (DDIA ch. 11, "Partitioned Logs" and "Log compaction";
 * ch. 3, "Hash Indexes" for compaction of segments).
 *
 * - Offsets are assigned at append and never change; compaction leaves gaps.
 * - The active (last) segment takes appends; it rolls to a new one past `segmentBytes`.
 * - Retention deletes whole closed segments: older than `retentionMs`, or the oldest ones while
 *   the log is larger than `retentionBytes`, as Kafka's log cleaner does. The active segment is
 *   never deleted.
 * - Compaction rewrites closed segments keeping only the latest record of each key; a tombstone
 *   (a null value) deletes its key, and is itself kept for `deleteRetentionMs` after the segment
 *   was cleaned so that slow consumers still see the delete.
 */

export interface LogRecord {
  readonly offset: number;
  readonly key: string | null;
  /** null is a tombstone. */
  readonly value: Uint8Array | string | null;
  readonly timestampMs: number;
  readonly sizeBytes: number;
  /** The leader epoch the record was written in (used by replication to find divergence). */
  readonly epoch: number;
  /** An idempotent producer's id and its sequence number for this partition. */
  readonly producerId?: number;
  readonly sequence?: number;
}

export interface LogConfig {
  segmentBytes: number;
  retentionMs?: number;
  retentionBytes?: number;
  deleteRetentionMs?: number;
}

interface Segment {
  baseOffset: number;
  records: LogRecord[];
  bytes: number;
  /** When compaction last cleaned this segment (tombstones expire from then). */
  cleanedAtMs?: number;
}

/** The size Kafka counts for a record without headers, roughly: key + value + ~20 bytes overhead. */
export function recordSize(key: string | null, value: Uint8Array | string | null): number {
  const length = (x: Uint8Array | string | null) =>
    x === null ? 0 : typeof x === "string" ? x.length : x.byteLength;
  return 20 + length(key) + length(value);
}

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private nextOffset = 0;

  constructor(readonly config: LogConfig) {
    this.segments.push({ baseOffset: 0, records: [], bytes: 0 });
  }

  /** The offset the next append gets (Kafka's log end offset). */
  get endOffset(): number {
    return this.nextOffset;
  }

  /** The first offset still in the log (Kafka's log start offset). */
  get startOffset(): number {
    for (const segment of this.segments) {
      const first = segment.records[0];
      if (first !== undefined) return first.offset;
    }
    return this.nextOffset;
  }

  /** The first offset of the active segment: compaction and retention leave it alone. */
  get activeBaseOffset(): number {
    return (this.segments[this.segments.length - 1] as Segment).baseOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    return total;
  }

  get recordCount(): number {
    let total = 0;
    for (const s of this.segments) total += s.records.length;
    return total;
  }

  append(
    key: string | null,
    value: Uint8Array | string | null,
    timestampMs: number,
    epoch = 0,
    producer?: { producerId: number; sequence: number },
  ): number {
    const sizeBytes = recordSize(key, value);
    let active = this.segments[this.segments.length - 1] as Segment;
    if (active.bytes > 0 && active.bytes + sizeBytes > this.config.segmentBytes) {
      active = { baseOffset: this.nextOffset, records: [], bytes: 0 };
      this.segments.push(active);
    }
    const offset = this.nextOffset++;
    active.records.push(
      producer === undefined
        ? { offset, key, value, timestampMs, sizeBytes, epoch }
        : { offset, key, value, timestampMs, sizeBytes, epoch, ...producer },
    );
    active.bytes += sizeBytes;
    return offset;
  }

  /** Up to `max` records from `fromOffset` on (skipping offsets compaction removed). */
  read(fromOffset: number, max: number): LogRecord[] {
    const out: LogRecord[] = [];
    let s = this.segmentIndexFor(fromOffset);
    for (; s < this.segments.length && out.length < max; s++) {
      const records = (this.segments[s] as Segment).records;
      let i = firstAtOrAfter(records, fromOffset);
      for (; i < records.length && out.length < max; i++) out.push(records[i] as LogRecord);
    }
    return out;
  }

  /** The record at exactly `offset`, if it is still there. */
  at(offset: number): LogRecord | undefined {
    const records = (this.segments[this.segmentIndexFor(offset)] as Segment).records;
    const record = records[firstAtOrAfter(records, offset)];
    return record?.offset === offset ? record : undefined;
  }

  /** Remove every record at or after `offset` (a follower truncating a divergent suffix). */
  truncateTo(offset: number): void {
    while (
      this.segments.length > 1 &&
      (this.segments[this.segments.length - 1] as Segment).baseOffset >= offset
    ) {
      this.segments.pop();
    }
    const active = this.segments[this.segments.length - 1] as Segment;
    const keep = firstAtOrAfter(active.records, offset);
    for (const dropped of active.records.splice(keep)) active.bytes -= dropped.sizeBytes;
    this.nextOffset = Math.min(this.nextOffset, offset);
  }

  /** Delete closed segments past retention. Returns what was deleted. */
  applyRetention(nowMs: number): { segments: number; records: number } {
    let segments = 0;
    let records = 0;
    const drop = () => {
      const gone = this.segments.shift() as Segment;
      segments++;
      records += gone.records.length;
    };
    const { retentionMs, retentionBytes } = this.config;
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      const newest = oldest.records[oldest.records.length - 1];
      const tooOld =
        retentionMs !== undefined &&
        newest !== undefined &&
        newest.timestampMs < nowMs - retentionMs;
      const tooBig =
        retentionBytes !== undefined && this.sizeBytes - oldest.bytes >= retentionBytes;
      if (!tooOld && !tooBig) break;
      drop();
    }
    return { segments, records };
  }

  /**
   * Compact the closed segments: keep only the latest record per key (looking across the whole
   * log, active segment included), drop keys whose latest record is a tombstone once the
   * tombstone is older than deleteRetentionMs, and drop records without a key (a compacted topic
   * requires keys). Returns how many records were removed.
   */
  compact(nowMs: number): number {
    const latest = new Map<string, number>();
    for (const segment of this.segments) {
      for (const r of segment.records) if (r.key !== null) latest.set(r.key, r.offset);
    }
    const deleteRetentionMs = this.config.deleteRetentionMs ?? 0;
    let removed = 0;
    for (const segment of this.segments.slice(0, -1)) {
      const cleanedAtMs = segment.cleanedAtMs ?? nowMs;
      const kept = segment.records.filter((r) => {
        if (r.key === null || latest.get(r.key) !== r.offset) return false;
        // A tombstone stays for deleteRetentionMs after its segment was first cleaned.
        return r.value !== null || nowMs - cleanedAtMs < deleteRetentionMs;
      });
      removed += segment.records.length - kept.length;
      segment.records = kept;
      segment.bytes = kept.reduce((sum, r) => sum + r.sizeBytes, 0);
      segment.cleanedAtMs = cleanedAtMs;
    }
    return removed;
  }

  /** The segment that would hold `offset`: the last one whose base offset is <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as Segment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The index of the first record whose offset is >= `offset` (records are in offset order). */
function firstAtOrAfter(records: readonly LogRecord[], offset: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as LogRecord).offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Replay a log into a table, as a consumer rebuilding state does: last value wins, tombstones delete. */
export function replayToTable(records: readonly LogRecord[]): Map<string, Uint8Array | string> {
  const table = new Map<string, Uint8Array | string>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) table.delete(r.key);
    else table.set(r.key, r.value);
  }
  return table;
}
