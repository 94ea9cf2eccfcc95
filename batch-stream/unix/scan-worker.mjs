/**
 * One worker thread of `top-urls`: takes byte ranges of the file one at a time from the counter
 * `next` it shares with the other workers (Atomics.add returns each index to one worker only),
 * scans each (scan.mjs) into one table, and posts the table back once no range is left, with
 * progress messages on the way. Plain JavaScript: see scan.mjs.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { scanRange, TableFullError, UrlTable } from "./scan.mjs";

const { path, fileSize, ranges, next, bufferBytes, maxTableBytes } = workerData;
const fd = openSync(path, "r");
const read = (buffer, offset, length, position) => readSync(fd, buffer, offset, length, position);
const table = new UrlTable(maxTableBytes);
const totals = { lines: 0, malformed: 0, tooLong: 0 };
const scratch = {}; // one read buffer for every range this worker takes
try {
  for (
    let taken = Atomics.add(next, 0, 1);
    taken < ranges.length;
    taken = Atomics.add(next, 0, 1)
  ) {
    const [start, end] = ranges[taken];
    const r = scanRange(read, fileSize, start, end, {
      bufferBytes,
      table,
      scratch,
      onProgress: (bytes) => parentPort.postMessage({ kind: "progress", bytes }),
    });
    totals.lines += r.lines;
    totals.malformed += r.malformed;
    totals.tooLong += r.tooLong;
  }
  const exported = table.export();
  parentPort.postMessage({ kind: "done", table: exported, ...totals }, [
    exported.arena.buffer,
    exported.hashes.buffer,
    exported.offsets.buffer,
    exported.lengths.buffer,
    exported.counts.buffer,
  ]);
} catch (error) {
  if (!(error instanceof TableFullError)) throw error;
  parentPort.postMessage({ kind: "full", message: error.message });
} finally {
  closeSync(fd);
}
