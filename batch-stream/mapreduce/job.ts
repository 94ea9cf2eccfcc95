/**
 * A MapReduce job as the programmer writes it (DDIA ch. 10, "MapReduce and Distributed
 * Filesystems": "MapReduce Job Execution"; Dean and Ghemawat, "MapReduce: Simplified Data
 * Processing on Large Clusters", OSDI 2004, sections 2 and 4): a mapper per input, an optional
 * combiner, a reducer, the number of reducers R, and the keys that decide partition, sort order
 * and grouping. The framework's own steps (partition by hash of key, sort, combine, merge) are
 * here too, as pure functions, so the worker only wires them and a test can call them alone.
 *
 * Keys are strings and sort by plain string comparison, which is deterministic on every machine.
 * A join's composite key ("u7\u00000" for the profile, "u7\u00001" for an event) sorts the profile
 * first, while `partitionKey` and `groupKey` take only the user id: the book's secondary sort.
 */

import { murmur3_32 } from "../../shared/hash.js";

export type Value = string | number;

/** One intermediate record: a key and a value, as a mapper emits it. */
export interface KeyValue {
  readonly key: string;
  readonly value: Value;
}

/**
 * What a mapper may call: `emit` an intermediate record, optionally choosing its reducer itself
 * (a custom partitioner, as Pig's skewed join has); `side` reads a small file that the framework
 * loaded into this mapper's memory (Hadoop's distributed cache).
 */
export interface MapContext {
  emit(key: string, value: Value, partition?: number): void;
  /** Every line of this task's side files, loaded into memory before the task started. */
  side(): readonly string[];
  /** The index of the record in this task's input block, from 0. */
  readonly recordIndex: number;
}

/** One input of a job and the mapper that reads it (Hadoop's MultipleInputs). */
export interface JobInput {
  /** A file, or a folder whose `part-*` files are all read (a previous job's output). */
  readonly path: string;
  readonly map: (record: string, context: MapContext) => void;
}

export interface Job {
  readonly name: string;
  readonly inputs: readonly JobInput[];
  /** The output folder: `part-r-NNNNN` files (or `part-m-NNNNN` for a map-only job). */
  readonly output: string;
  /** R, the number of reduce tasks; 0 makes a map-only job whose mappers write the output. */
  readonly reducers: number;
  readonly reduce?: (
    key: string,
    records: readonly KeyValue[],
    emit: (line: string) => void,
  ) => void;
  /** Partial reduce on the mapper's side, per key; must not change the reducer's result. */
  readonly combine?: (key: string, values: readonly Value[]) => Value[];
  /** The part of the key that picks the partition (default: the whole key). */
  readonly partitionKey?: (key: string) => string;
  /** The part of the key that groups records into one reduce call (default: the whole key). */
  readonly groupKey?: (key: string) => string;
  /** Files a map task over `inputFile` loads into memory before it starts (side data). */
  readonly sideFiles?: (inputFile: string) => readonly string[];
}

/** The partition of a key: hash of key modulo R, as the paper's default partitioner does. */
export function partitionOf(job: Job, key: string): number {
  const part = job.partitionKey === undefined ? key : job.partitionKey(key);
  return murmur3_32(part) % job.reducers;
}

const byKey = (a: KeyValue, b: KeyValue) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * A map task's output: the records split into R partitions, each sorted by key (a stable sort,
 * so equal keys keep the mapper's order) and passed through the combiner.
 */
export function partitionSortCombine(
  job: Job,
  records: readonly (KeyValue & { partition?: number })[],
): KeyValue[][] {
  const partitions: KeyValue[][] = Array.from({ length: job.reducers }, () => []);
  for (const r of records) {
    const p = r.partition ?? partitionOf(job, r.key);
    (partitions[p] as KeyValue[]).push(r);
  }
  return partitions.map((p) => {
    p.sort(byKey);
    return job.combine === undefined ? p : combineSorted(p, job.combine);
  });
}

function combineSorted(
  sorted: readonly KeyValue[],
  combine: NonNullable<Job["combine"]>,
): KeyValue[] {
  const out: KeyValue[] = [];
  for (let i = 0; i < sorted.length; ) {
    const key = (sorted[i] as KeyValue).key;
    const values: Value[] = [];
    while (i < sorted.length && (sorted[i] as KeyValue).key === key)
      values.push((sorted[i++] as KeyValue).value);
    for (const value of combine(key, values)) out.push({ key, value });
  }
  return out;
}

/**
 * The reducer's merge: each run (one per map task, already sorted) merged into one sorted list,
 * equal keys ordered by map task then by position, so the result never depends on the order in
 * which the runs were fetched. A k-way merge over a small heap, as Hadoop's merger does on disk.
 */
export function mergeRuns(runs: readonly (readonly KeyValue[])[]): KeyValue[] {
  const out: KeyValue[] = [];
  // Heap entries: [run index, position]; ordered by key, then run index.
  const heap: [number, number][] = [];
  const less = (a: [number, number], b: [number, number]) => {
    const ka = (runs[a[0]] as readonly KeyValue[])[a[1]] as KeyValue;
    const kb = (runs[b[0]] as readonly KeyValue[])[b[1]] as KeyValue;
    return ka.key < kb.key || (ka.key === kb.key && a[0] < b[0]);
  };
  const push = (e: [number, number]) => {
    heap.push(e);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as [number, number], heap[parent] as [number, number])) break;
      [heap[i], heap[parent]] = [heap[parent] as [number, number], heap[i] as [number, number]];
      i = parent;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0] as [number, number];
    const last = heap.pop() as [number, number];
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as [number, number], heap[m] as [number, number]))
          m = l;
        if (r < heap.length && less(heap[r] as [number, number], heap[m] as [number, number]))
          m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as [number, number], heap[i] as [number, number]];
        i = m;
      }
    }
    return top;
  };
  runs.forEach((run, i) => {
    if (run.length > 0) push([i, 0]);
  });
  while (heap.length > 0) {
    const [run, pos] = pop();
    const records = runs[run] as readonly KeyValue[];
    out.push(records[pos] as KeyValue);
    if (pos + 1 < records.length) push([run, pos + 1]);
  }
  return out;
}

/** Call the reducer once per group of consecutive records with the same group key. */
export function reduceSorted(job: Job, sorted: readonly KeyValue[]): string[] {
  const lines: string[] = [];
  const emit = (line: string) => lines.push(line);
  const reduce = job.reduce;
  if (reduce === undefined) return sorted.map((r) => `${r.key}\t${r.value}`);
  const groupOf = job.groupKey ?? ((k: string) => k);
  for (let i = 0; i < sorted.length; ) {
    const group = groupOf((sorted[i] as KeyValue).key);
    const start = i;
    while (i < sorted.length && groupOf((sorted[i] as KeyValue).key) === group) i++;
    reduce(group, sorted.slice(start, i), emit);
  }
  return lines;
}
