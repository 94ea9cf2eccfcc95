/**
 * Counting the requests per URL of a log, split over byte ranges (DDIA ch. 10, "Simple Log
 * Analysis", the in-memory hash table of its "Sorting versus in-memory aggregation"): the file is
 * cut into ranges, each scanned by scan.mjs into a table keyed by the URL's bytes, and the tables
 * are merged. On a real file the ranges go to worker threads (one per core, each taking the next
 * range left); in memory (the scenario, tests) they are scanned one after the other.
 *
 * Ranges are cut at arbitrary bytes; scan.mjs moves each range's start to a line boundary, so
 * every line is counted exactly once, by the range its first byte lies in.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type ExportedTable, rankEntries, type ScanOptions, scanRange, UrlTable } from "./scan.mjs";

export interface Counted {
  table: UrlTable;
  lines: number;
  malformed: number;
  tooLong: number;
  ranges: number;
}

/** The default read buffer per worker. */
export const BUFFER_BYTES = 8 * 1024 * 1024;
/** The most a worker's table of distinct URLs may hold (URL bytes plus at most 64 bytes per URL). */
export const TABLE_BYTES_MAX = 512 * 1024 * 1024;

export const defaultWorkers = () => availableParallelism();

/** [start, end) byte ranges of `size` bytes cut every `rangeBytes` bytes. */
export function cutRanges(size: number, rangeBytes: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < size; start += rangeBytes)
    ranges.push([start, Math.min(size, start + rangeBytes)]);
  return ranges;
}

/** Count bytes held in memory, range after range, in this thread. */
export function countBytes(
  bytes: Uint8Array,
  options: {
    rangeBytes?: number;
    bufferBytes?: number;
    maxPrefixBytes?: number;
    skipToLineBoundary?: boolean;
  } = {},
): Counted {
  const read = (buffer: Uint8Array, offset: number, length: number, position: number) => {
    const n = Math.max(0, Math.min(length, bytes.length - position));
    buffer.set(bytes.subarray(position, position + n), offset);
    return n;
  };
  const ranges = cutRanges(bytes.length, options.rangeBytes ?? Math.max(1, bytes.length));
  const table = new UrlTable();
  const total: Counted = { table, lines: 0, malformed: 0, tooLong: 0, ranges: ranges.length };
  // One read buffer for every range, as a worker keeps one.
  const scanOptions: ScanOptions = { table, scratch: {} };
  if (options.bufferBytes !== undefined) scanOptions.bufferBytes = options.bufferBytes;
  if (options.maxPrefixBytes !== undefined) scanOptions.maxPrefixBytes = options.maxPrefixBytes;
  if (options.skipToLineBoundary !== undefined)
    scanOptions.skipToLineBoundary = options.skipToLineBoundary;
  for (const [start, end] of ranges) {
    const r = scanRange(read, bytes.length, start, end, scanOptions);
    total.lines += r.lines;
    total.malformed += r.malformed;
    total.tooLong += r.tooLong;
  }
  return total;
}

export class TableFull extends Error {
  override name = "TableFull";
}

/**
 * Ranges per worker by default. More than one, so that the work balances: each worker takes the
 * next range when it has finished one, and a worker that gets more of the CPU (the machine busy
 * with other work, or one core faster) scans more of them, where halves fixed in advance would
 * wait for the slowest. Not many more, as each range costs a fresh read buffer and a partial line.
 */
const RANGES_PER_WORKER = 4;

/**
 * Count a file on `workers` worker threads. The file is cut every `rangeBytes` bytes (default:
 * RANGES_PER_WORKER ranges per worker); each worker takes the next range not yet taken, through a
 * counter the workers share, until none is left, and keeps one table.
 */
export function countFile(
  path: string,
  fileSize: number,
  options: {
    workers: number;
    rangeBytes?: number;
    bufferBytes?: number;
    maxTableBytes?: number;
    onProgress?: (bytes: number) => void;
  },
): Promise<Counted> {
  const rangeBytes =
    options.rangeBytes ?? Math.max(1, Math.ceil(fileSize / (options.workers * RANGES_PER_WORKER)));
  const ranges = cutRanges(fileSize, rangeBytes);
  const workers = Math.max(1, Math.min(options.workers, ranges.length));
  const table = new UrlTable(Number.MAX_SAFE_INTEGER);
  const total: Counted = { table, lines: 0, malformed: 0, tooLong: 0, ranges: ranges.length };
  if (ranges.length === 0) return Promise.resolve(total);
  const url = new URL("./scan-worker.mjs", import.meta.url);
  // The index of the next range to scan, taken with Atomics.add by each worker in turn.
  const next = new Int32Array(new SharedArrayBuffer(4));
  return new Promise((resolve, reject) => {
    let running = workers;
    const started: Worker[] = [];
    const fail = (error: Error) => {
      for (const w of started) void w.terminate();
      reject(error);
    };
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(url, {
        // The worker is plain JavaScript: no need for tsx's loader, which costs a worker a third
        // of a second to start.
        execArgv: [],
        workerData: {
          path,
          fileSize,
          ranges,
          next,
          bufferBytes: options.bufferBytes ?? BUFFER_BYTES,
          maxTableBytes: options.maxTableBytes ?? TABLE_BYTES_MAX,
        },
      });
      started.push(worker);
      worker.on("message", (message: WorkerMessage) => {
        if (message.kind === "progress") options.onProgress?.(message.bytes);
        else if (message.kind === "full") fail(new TableFull(message.message));
        else {
          table.merge(message.table);
          total.lines += message.lines;
          total.malformed += message.malformed;
          total.tooLong += message.tooLong;
          if (--running === 0) resolve(total);
        }
      });
      worker.on("error", fail);
    }
  });
}

type WorkerMessage =
  | { kind: "progress"; bytes: number }
  | { kind: "full"; message: string }
  | {
      kind: "done";
      table: ExportedTable;
      lines: number;
      malformed: number;
      tooLong: number;
    };

const decoder = new TextDecoder();

/** The top `top` URLs in `sort -rn`'s order (see rankEntries), decoded for printing. */
export function topUrls(table: UrlTable, top: number): { url: string; requests: number }[] {
  return rankEntries(table, top).map((e) => ({
    url: decoder.decode(table.key(e)),
    requests: table.counts[e] as number,
  }));
}
