/**
 * Counting by sorting, within a memory budget (DDIA ch. 10, "Simple Log Analysis: Sorting versus
 * in-memory aggregation"): what `sort | uniq -c` does when the data does not fit in memory. GNU
 * sort "automatically handles larger-than-memory datasets by spilling to disk"; this is that
 * algorithm, on a simulated disk (arrays), with every record held in memory counted.
 *
 * 1. Run formation: read records into memory until the budget is full, sort them, write them out
 *    as a sorted run, and start again.
 * 2. Merging: a k-way merge of up to `budget - 1` runs at a time, through a min-heap holding one
 *    record per run, writes one longer sorted run; passes repeat until one merge is left, whose
 *    output streams straight into `uniq -c` (which holds one record: the current URL and its count).
 *
 * Memory is measured, not assumed: a meter counts every record taken into memory and released,
 * and the scenario checks its peak against the budget.
 *
 * Order: records compare as JavaScript strings (UTF-16 code units), which is byte order for the
 * ASCII URLs of the generated logs (and code point order for any string outside the surrogates).
 */

/**
 * Broken variants, for the tests: a merge that forgets each run's last record (an off-by-one), and
 * a merge of every run at once, whatever the budget (a heap of one record per run outgrows it).
 */
export type Broken = "drop-last-of-run" | "unbounded-fan-in";

/** Counts records taken into memory and released, and remembers the most held at once. */
export class MemoryMeter {
  held = 0;
  peak = 0;

  take(n = 1): void {
    this.held += n;
    if (this.held > this.peak) this.peak = this.held;
  }

  release(n = 1): void {
    this.held -= n;
    if (this.held < 0) throw new Error("MemoryMeter: released more records than were taken");
  }
}

export interface ExternalSortResult {
  /** uniq -c's output: each distinct record with its count, in sorted order. */
  counts: [string, number][];
  /** Sorted runs written by run formation. */
  runsSpilled: number;
  /** Merge passes over the data, the final one (into uniq -c) included; 0 with no records. */
  mergePasses: number;
  /** Records written to the simulated disk: every run of every pass. */
  recordsWritten: number;
  /** The most records held in memory at once, as the meter measured it. */
  peakRecords: number;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sort `records` with at most `budget` of them in memory (budget >= 3: a merge of two runs holds
 * two records and uniq -c one), and count equal neighbours as uniq -c does.
 */
export function externalSortCount(
  records: Iterable<string>,
  budget: number,
  options: { broken?: Broken } = {},
): ExternalSortResult {
  if (!Number.isInteger(budget) || budget < 3)
    throw new RangeError(`externalSortCount: budget must be an integer >= 3, got ${budget}`);
  const meter = new MemoryMeter();
  const disk: string[][] = [];
  let recordsWritten = 0;
  const spill = (run: string[]) => {
    disk.push(run);
    recordsWritten += run.length;
  };

  // 1. Run formation.
  let buffer: string[] = [];
  for (const record of records) {
    meter.take();
    buffer.push(record);
    if (buffer.length === budget) {
      spill(buffer.sort(compare));
      meter.release(buffer.length);
      buffer = [];
    }
  }
  if (buffer.length > 0) {
    spill(buffer.sort(compare));
    meter.release(buffer.length);
  }
  const runsSpilled = disk.length;

  // 2. Merge passes, `fanIn` runs at a time, until one merge can feed uniq -c.
  const fanIn = options.broken === "unbounded-fan-in" ? Number.POSITIVE_INFINITY : budget - 1;
  let runs = disk;
  let mergePasses = 0;
  while (runs.length > fanIn) {
    const next: string[][] = [];
    for (let i = 0; i < runs.length; i += fanIn) {
      const merged: string[] = [];
      mergeRuns(runs.slice(i, i + fanIn), meter, options.broken, (r) => merged.push(r));
      next.push(merged);
      recordsWritten += merged.length;
    }
    runs = next;
    mergePasses++;
  }
  const counts: [string, number][] = [];
  if (runs.length > 0) {
    mergePasses++;
    // uniq -c: the current record and its count are one record in memory.
    let current: string | undefined;
    let count = 0;
    mergeRuns(runs, meter, options.broken, (record) => {
      if (record === current) {
        count++;
        return;
      }
      if (current !== undefined) counts.push([current, count]);
      else meter.take();
      current = record;
      count = 1;
    });
    if (current !== undefined) {
      counts.push([current, count]);
      meter.release();
    }
  }
  return { counts, runsSpilled, mergePasses, recordsWritten, peakRecords: meter.peak };
}

/**
 * A k-way merge through a binary min-heap of (record, run) pairs, one per run: the smallest record
 * leaves, and the next record of its run takes its place. Equal records leave in run order.
 */
function mergeRuns(
  runs: string[][],
  meter: MemoryMeter,
  broken: Broken | undefined,
  emit: (record: string) => void,
): void {
  // The broken variant forgets each run's last record, as a merge with an off-by-one would.
  const lengthOf = (run: string[]) => (broken === "drop-last-of-run" ? run.length - 1 : run.length);
  const heap: { record: string; run: number; next: number }[] = [];
  const less = (a: (typeof heap)[number], b: (typeof heap)[number]) =>
    a.record < b.record || (a.record === b.record && a.run < b.run);
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as (typeof heap)[number], heap[parent] as (typeof heap)[number])) break;
      [heap[i], heap[parent]] = [
        heap[parent] as (typeof heap)[number],
        heap[i] as (typeof heap)[number],
      ];
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (
        l < heap.length &&
        less(heap[l] as (typeof heap)[number], heap[smallest] as (typeof heap)[number])
      )
        smallest = l;
      if (
        r < heap.length &&
        less(heap[r] as (typeof heap)[number], heap[smallest] as (typeof heap)[number])
      )
        smallest = r;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [
        heap[smallest] as (typeof heap)[number],
        heap[i] as (typeof heap)[number],
      ];
      i = smallest;
    }
  };
  runs.forEach((run, index) => {
    if (lengthOf(run) > 0) {
      meter.take();
      heap.push({ record: run[0] as string, run: index, next: 1 });
      up(heap.length - 1);
    }
  });
  while (heap.length > 0) {
    const top = heap[0] as (typeof heap)[number];
    const run = runs[top.run] as string[];
    // The record leaves memory as it is emitted; its run's next record (if any) comes in.
    meter.release();
    emit(top.record);
    if (top.next < lengthOf(run)) {
      meter.take();
      heap[0] = { record: run[top.next] as string, run: top.run, next: top.next + 1 };
    } else {
      const last = heap.pop() as (typeof heap)[number];
      if (heap.length === 0) break;
      heap[0] = last;
    }
    down(0);
  }
}

/** The same counts with a Map: memory for every distinct record at once. */
export function mapCount(records: Iterable<string>): { counts: Map<string, number>; peak: number } {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r, (counts.get(r) ?? 0) + 1);
  return { counts, peak: counts.size };
}
