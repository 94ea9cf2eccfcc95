/**
 * A partition's log, in memory: an append-only sequence of records with offsets, cut into
 * segments, with retention and compaction (DDIA ch. 11, "Partitioned Logs" and "Log compaction";
 * ch. 3, "Hash Indexes" for compaction of segments).
 *
 * - Offsets are assigned at append and never change; compaction leaves gaps.
 * - The active (last) segment takes appends; it rolls to a new one past `segmentBytes`.
 * - Retention deletes whole closed segments: older than `retentionMs`, or the oldest ones as long
 *   as what remains is still at least `retentionBytes` (Kafka's rule, so a log can exceed
 *   retention.bytes by up to one segment). The active segment is never deleted here (Kafka may
 *   delete it for time retention after rolling a new one).
 * - Compaction rewrites closed segments keeping only the latest record of each key among them (the
 *   active segment is neither cleaned nor consulted, as in Kafka's cleaner); a tombstone
 *   (a null value) deletes its key, and is itself kept for `deleteRetentionMs` after the segment
 *   was cleaned so that slow consumers still see the delete.
 * - A leader-epoch cache (Kafka's LeaderEpochFileCache) records where each leader epoch starts
 *   in this log, so that replication can ask "where does epoch e end?" without scanning records.
 */

/** A leader epoch and the first offset written in it (or assigned to it by a new leader). */
export interface EpochStart {
  readonly epoch: number;
  readonly startOffset: number;
}

/** The answer to "where does epoch e end?": -1 and -1 when this log cannot say (Kafka's UNDEFINED). */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

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

/** The size Kafka counts for a record without headers, roughly: key + value + ~20 bytes overhead. */
export function recordSize(key: string | null, value: Uint8Array | string | null): number {
  return 20 + byteLength(key) + byteLength(value);
}

function byteLength(x: Uint8Array | string | null): number {
  return x === null ? 0 : typeof x === "string" ? x.length : x.byteLength;
}

/**
 * A segment stores its records column by column (offsets, timestamps, sizes, epochs in typed
 * arrays; keys and values in plain arrays), so that an append allocates no object: at millions
 * of appends a second, one object per record is what the garbage collector would spend its time
 * on. Records are materialized as objects only when read.
 */
class Segment {
  length = 0;
  bytes = 0;
  /** When compaction last cleaned this segment (tombstones expire from then). */
  cleanedAtMs: number | undefined;
  private offsets = new Float64Array(16);
  private timestamps = new Float64Array(16);
  private sizes = new Int32Array(16);
  private epochs = new Int32Array(16);
  /** NaN where the record has no producer id. */
  private producerIds = new Float64Array(16);
  private sequences = new Float64Array(16);
  private keys: (string | null)[] = [];
  private values: (Uint8Array | string | null)[] = [];

  constructor(readonly baseOffset: number) {}

  push(
    offset: number,
    key: string | null,
    value: Uint8Array | string | null,
    timestampMs: number,
    sizeBytes: number,
    epoch: number,
    producerId: number,
    sequence: number,
  ): void {
    if (this.length === this.offsets.length) this.grow();
    const i = this.length++;
    this.offsets[i] = offset;
    this.timestamps[i] = timestampMs;
    this.sizes[i] = sizeBytes;
    this.epochs[i] = epoch;
    this.producerIds[i] = producerId;
    this.sequences[i] = sequence;
    this.keys.push(key);
    this.values.push(value);
    this.bytes += sizeBytes;
  }

  offsetAt(i: number): number {
    return this.offsets[i] as number;
  }

  record(i: number): LogRecord {
    const producerId = this.producerIds[i] as number;
    const offset = this.offsets[i] as number;
    const key = this.keys[i] ?? null;
    const value = this.values[i] ?? null;
    const timestampMs = this.timestamps[i] as number;
    const sizeBytes = this.sizes[i] as number;
    const epoch = this.epochs[i] as number;
    // Two literals rather than a spread: fetches build many records, and this is their hot path.
    if (Number.isNaN(producerId)) return { offset, key, value, timestampMs, sizeBytes, epoch };
    const sequence = this.sequences[i] as number;
    return { offset, key, value, timestampMs, sizeBytes, epoch, producerId, sequence };
  }

  /** The index of the first record whose offset is >= `offset`. */
  indexOf(offset: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.offsets[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Keep only the records for which `keep` holds (compaction). */
  retain(keep: (record: LogRecord) => boolean): number {
    const kept: LogRecord[] = [];
    for (let i = 0; i < this.length; i++) {
      const r = this.record(i);
      if (keep(r)) kept.push(r);
    }
    const removed = this.length - kept.length;
    this.length = 0;
    this.bytes = 0;
    this.keys = [];
    this.values = [];
    for (const r of kept)
      this.push(
        r.offset,
        r.key,
        r.value,
        r.timestampMs,
        r.sizeBytes,
        r.epoch,
        r.producerId ?? Number.NaN,
        r.sequence ?? Number.NaN,
      );
    return removed;
  }

  /** Drop every record from index `i` on. */
  truncate(i: number): void {
    for (let j = i; j < this.length; j++) this.bytes -= this.sizes[j] as number;
    this.length = Math.min(this.length, i);
    this.keys.length = this.length;
    this.values.length = this.length;
  }

  private grow(): void {
    const size = this.offsets.length * 2;
    const grown = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.offsets = grown(this.offsets, (n) => new Float64Array(n));
    this.timestamps = grown(this.timestamps, (n) => new Float64Array(n));
    this.sizes = grown(this.sizes, (n) => new Int32Array(n));
    this.epochs = grown(this.epochs, (n) => new Int32Array(n));
    this.producerIds = grown(this.producerIds, (n) => new Float64Array(n));
    this.sequences = grown(this.sequences, (n) => new Float64Array(n));
  }
}

export class PartitionLog {
  private readonly segments: Segment[] = [new Segment(0)];
  private active: Segment = this.segments[0] as Segment;
  private nextOffset = 0;
  /** Leader epochs in increasing order, each with its start offset. */
  private readonly epochStarts: EpochStart[] = [];

  constructor(readonly config: LogConfig) {}

  /** The latest leader epoch this log knows of, -1 for none. */
  get latestEpoch(): number {
    return this.epochStarts.at(-1)?.epoch ?? -1;
  }

  /** The leader-epoch cache, oldest first (for tests and narration). */
  get epochs(): readonly EpochStart[] {
    return this.epochStarts;
  }

  /**
   * A new leader records where its epoch starts (its log end offset) before it appends anything,
   * as Kafka's leader does: a follower asking about an older epoch then learns where that epoch
   * ended even if the new leader has not written yet.
   */
  assignEpoch(epoch: number, startOffset: number): void {
    if (epoch > this.latestEpoch) this.epochStarts.push({ epoch, startOffset });
  }

  /**
   * Kafka's `LeaderEpochFileCache.endOffsetFor`: the largest epoch at or below `requested` that
   * this log knows, and where it ends: the start offset of the next larger epoch, or the log end
   * offset when it is the latest. An epoch older than every known one ends where the oldest known
   * one starts. A requested epoch newer than every known one, or -1, is undefined (-1, -1).
   */
  endOffsetForEpoch(requested: number): EpochEndOffset {
    const undefinedEpoch = { epoch: -1, endOffset: -1 };
    if (requested < 0) return undefinedEpoch;
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: this.nextOffset };
    // The first entry with an epoch above the requested one (binary search: epochs increase).
    let lo = 0;
    let hi = this.epochStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.epochStarts[mid] as EpochStart).epoch <= requested) lo = mid + 1;
      else hi = mid;
    }
    const higher = this.epochStarts[lo];
    if (higher === undefined) return undefinedEpoch;
    const floor = this.epochStarts[lo - 1];
    return { epoch: floor?.epoch ?? requested, endOffset: higher.startOffset };
  }

  /** The offset the next append gets (Kafka's log end offset). */
  get endOffset(): number {
    return this.nextOffset;
  }

  /** The first offset still in the log (Kafka's log start offset). */
  get startOffset(): number {
    for (const segment of this.segments) if (segment.length > 0) return segment.offsetAt(0);
    return this.nextOffset;
  }

  /** The first offset of the active segment: compaction and retention leave it alone. */
  get activeBaseOffset(): number {
    return this.active.baseOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** The size of the oldest segment, the next one size retention would delete. */
  get oldestSegmentBytes(): number {
    return (this.segments[0] as Segment).bytes;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    return total;
  }

  get recordCount(): number {
    let total = 0;
    for (const s of this.segments) total += s.length;
    return total;
  }

  append(
    key: string | null,
    value: Uint8Array | string | null,
    timestampMs: number,
    epoch = 0,
    producer?: { producerId: number; sequence: number },
  ): number {
    const sizeBytes = 20 + byteLength(key) + byteLength(value);
    if (this.active.bytes > 0 && this.active.bytes + sizeBytes > this.config.segmentBytes) {
      this.active = new Segment(this.nextOffset);
      this.segments.push(this.active);
    }
    const offset = this.nextOffset++;
    if (epoch > this.latestEpoch) this.epochStarts.push({ epoch, startOffset: offset });
    else if (epoch < this.latestEpoch)
      throw new Error(
        `append in leader epoch ${epoch} after epoch ${this.latestEpoch} at offset ${offset}: a replica must truncate before it takes records from an older epoch`,
      );
    this.active.push(
      offset,
      key,
      value,
      timestampMs,
      sizeBytes,
      epoch,
      producer?.producerId ?? Number.NaN,
      producer?.sequence ?? Number.NaN,
    );
    return offset;
  }

  /** Up to `max` records from `fromOffset` on (skipping offsets compaction removed). */
  read(fromOffset: number, max: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (
      let s = this.segmentIndexFor(fromOffset);
      s < this.segments.length && out.length < max;
      s++
    ) {
      const segment = this.segments[s] as Segment;
      for (let i = segment.indexOf(fromOffset); i < segment.length && out.length < max; i++)
        out.push(segment.record(i));
    }
    return out;
  }

  /** The record at exactly `offset`, if it is still there. */
  at(offset: number): LogRecord | undefined {
    const segment = this.segments[this.segmentIndexFor(offset)] as Segment;
    const i = segment.indexOf(offset);
    return i < segment.length && segment.offsetAt(i) === offset ? segment.record(i) : undefined;
  }

  /**
   * Remove every record at or after `offset` (a follower truncating a divergent suffix), and every
   * leader epoch that starts there or later.
   */
  truncateTo(offset: number): void {
    if (!(offset >= 0)) throw new RangeError(`truncateTo(${offset}): offsets start at 0`);
    while ((this.epochStarts.at(-1)?.startOffset ?? -1) >= offset) this.epochStarts.pop();
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      this.segments.pop();
      this.active = this.segments[this.segments.length - 1] as Segment;
    }
    this.active.truncate(this.active.indexOf(offset));
    this.nextOffset = Math.min(this.nextOffset, offset);
  }

  /** Delete closed segments past retention. Returns what was deleted. */
  applyRetention(nowMs: number): { segments: number; records: number } {
    let segments = 0;
    let records = 0;
    const { retentionMs, retentionBytes } = this.config;
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      const newest = oldest.length > 0 ? oldest.record(oldest.length - 1) : undefined;
      const tooOld =
        retentionMs !== undefined &&
        newest !== undefined &&
        newest.timestampMs < nowMs - retentionMs;
      // Kafka's deleteRetentionSizeBreachedSegments: a segment goes only if what remains is still
      // at least retention.bytes, so the log may stay above the limit by less than a segment.
      const tooBig =
        retentionBytes !== undefined && this.sizeBytes - oldest.bytes >= retentionBytes;
      if (!tooOld && !tooBig) break;
      this.segments.shift();
      segments++;
      records += oldest.length;
    }
    return { segments, records };
  }

  /**
   * Compact the closed segments: keep only the latest record per key among them, drop keys whose
   * latest record is a tombstone once the tombstone is older than deleteRetentionMs, and drop
   * records without a key (a compacted topic requires keys). Returns how many records were removed.
   *
   * Kafka's cleaner cleans only up to the first uncleanable offset, at most the active segment's
   * base offset: it neither rewrites the active segment nor reads its keys to decide what is
   * superseded. A key updated in the active segment therefore keeps its latest closed-segment
   * record too, until the active segment rolls and is cleaned in its turn.
   */
  compact(nowMs: number): number {
    const latest = new Map<string, number>();
    for (const segment of this.segments.slice(0, -1)) {
      for (let i = 0; i < segment.length; i++) {
        const r = segment.record(i);
        if (r.key !== null) latest.set(r.key, r.offset);
      }
    }
    const deleteRetentionMs = this.config.deleteRetentionMs ?? 0;
    let removed = 0;
    for (const segment of this.segments.slice(0, -1)) {
      const cleanedAtMs = segment.cleanedAtMs ?? nowMs;
      removed += segment.retain((r) => {
        if (r.key === null || latest.get(r.key) !== r.offset) return false;
        // A tombstone stays for deleteRetentionMs after its segment was first cleaned.
        return r.value !== null || nowMs - cleanedAtMs < deleteRetentionMs;
      });
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
