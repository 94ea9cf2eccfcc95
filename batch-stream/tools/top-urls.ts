/**
 * `top-urls --input FILE [--top N] [--workers N]`: the five most requested URLs of a web server
 * log, the opening example of DDIA ch. 10 ("Batch Processing with Unix Tools: Simple Log
 * Analysis"), which the book answers with
 *
 *   awk '{print $7}' FILE | sort | uniq -c | sort -rn | head -n 5
 *
 * and which this command answers on a real file, with the same result (ties included), on every
 * core: worker threads scan byte ranges of the file (batch-stream/unix/scan.mjs) into tables keyed
 * by the URL's bytes, and the tables are merged.
 *
 * - The URL is the seventh field as awk splits it (runs of spaces and tabs; a line ends at `\n`).
 *   Lines with fewer than seven fields (blank lines included) are malformed: counted, reported on
 *   stderr and in --json, never fatal. (awk prints an empty line for them, which the pipeline
 *   would count as the URL "": we leave them out.)
 * - Order: more requests first; equal counts in reverse byte order of the URL, as `sort -rn` under
 *   LC_ALL=C leaves them (see rankEntries in scan.mjs), so the top N is the pipeline's `head -n N`.
 * - Memory, whatever the file's size: per worker, one read buffer of 8 MiB (doubled, up to 64 MiB,
 *   only for a line whose first seven fields do not fit in it) and a table of the distinct URLs
 *   it has seen (their bytes plus at most 64 bytes each), capped at 512 MiB, and a copy of it
 *   while it is handed over; then the merged table, no larger than the workers' together. So at
 *   most about W × (128 MiB + 2 × 512 MiB) + W × 512 MiB for W workers, and in practice far less:
 *   the generated logs' 20,000 paths take about 1 MB per table. A log with more distinct URLs
 *   than a worker's table may hold stops with an error (exit 1) that says so: that is the book's
 *   case for sorting ("Sorting versus in-memory aggregation"), since `sort` spills to disk where
 *   a hash table cannot. (A line whose first seven fields exceed 64 MiB is skipped and reported
 *   as too long.)
 */

import { accessSync, constants, statSync } from "node:fs";
import {
  type Io,
  integer,
  option,
  type Tool,
  type ToolOptions,
  text,
  UsageError,
} from "../../shared/cli.js";
import { renderJson } from "../../shared/render/json.js";
import type { Cell } from "../../shared/trace.js";
import { thousands as n, pluralThousands as plural } from "../../shared/words.js";
import {
  countFile,
  defaultWorkers,
  TABLE_BYTES_MAX,
  TableFull,
  topUrls as top,
} from "../unix/count.js";

interface Options {
  input: string | false;
  top: number;
  workers: number;
}

const MAX_WORKERS = 64;

export const topUrls: Tool<Options> = {
  name: "top-urls",
  summary:
    "the most requested URLs of a web server log (combined log format), as awk '{print $7}' | sort | uniq -c | sort -rn | head answers it, on every core",
  options: [
    option("--input <file>", "the log to read (required)", text, false as string | false),
    option("--top <count>", "how many URLs to print", integer(1, 1_000_000), 5),
    option(
      "--workers <count>",
      "worker threads (the default is the number of cores)",
      integer(1, MAX_WORKERS),
      Math.min(MAX_WORKERS, defaultWorkers()),
    ),
  ],
  validate: (options) => {
    if (options.input === false) return "top-urls needs --input <file>, the log to read";
    return undefined;
  },
  run: async (options, io) => {
    const path = options.input as string;
    const size = fileSize(path);
    const progress = io.stderrIsTTY === true ? progressBar(io, size) : undefined;
    let counted: Awaited<ReturnType<typeof countFile>>;
    try {
      counted = await countFile(path, size, {
        workers: options.workers,
        ...(progress ? { onProgress: progress.advance } : {}),
      });
    } catch (error) {
      progress?.clear();
      if (!(error instanceof TableFull)) throw error;
      io.stderr(
        `error: ${error.message}, over the ${TABLE_BYTES_MAX / 2 ** 20} MiB a worker may hold: this log has more distinct URLs than an in-memory table should count; sort them instead (the Unix pipeline, or DuckDB), which spills to disk (DDIA ch. 10, Sorting versus in-memory aggregation)\n`,
      );
      return 1;
    }
    progress?.clear();
    const rows = top(counted.table, options.top);
    report(io, options, path, counted, rows);
    return 0;
  },
};

function fileSize(path: string): number {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`--input ${path}: no such file`);
  }
  if (stat.isDirectory()) throw new UsageError(`--input ${path}: is a folder, not a file`);
  // Worker threads read byte ranges cut by the file's size: a pipe or a terminal has none.
  if (!stat.isFile())
    throw new UsageError(
      `--input ${path}: is not a regular file (top-urls cuts the file into byte ranges by its size, so it cannot read a pipe; save the input to a file first)`,
    );
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`--input ${path}: cannot be read`);
  }
  return stat.size;
}

function report(
  io: Io,
  options: Options & ToolOptions,
  path: string,
  counted: Awaited<ReturnType<typeof countFile>>,
  rows: { url: string; requests: number }[],
): void {
  const { lines, malformed, tooLong } = counted;
  const distinct = counted.table.size;
  const title =
    rows.length === 0
      ? `no URL counted in ${path}`
      : `the ${rows.length === 1 ? "most requested URL" : `${rows.length} most requested URLs`} of ${path}`;
  const cells: Cell[][] = rows.map((r, i) => [i + 1, r.url, r.requests]);
  const skipped = [
    malformed > 0 ? `${n(malformed)} malformed (fewer than seven fields)` : "",
    tooLong > 0 ? `${n(tooLong)} too long (first seven fields over 64 MiB)` : "",
  ].filter((s) => s !== "");
  if (skipped.length > 0)
    io.stderr(`top-urls: ${skipped.join(" and ")} of ${plural(lines, "line")}, not counted\n`);
  if (options.json) {
    io.stdout(
      `${renderJson({ kind: "table", title, columns: ["rank", "url", "requests"], rows: cells })}\n`,
    );
    io.stdout(
      `${renderJson({
        kind: "table",
        title: `lines of ${path}`,
        columns: ["lines", "counted", "malformed", "too long", "distinct urls"],
        rows: [[lines, lines - malformed - tooLong, malformed, tooLong, distinct]],
      })}\n`,
    );
    return;
  }
  const width = Math.max(8, ...rows.map((r) => n(r.requests).length));
  const rankWidth = Math.max(4, String(rows.length).length);
  const out = [
    `${title}: ${plural(lines, "line")}, ${plural(distinct, "distinct URL")}`,
    `${"rank".padStart(rankWidth)}  ${"requests".padStart(width)}  url`,
    ...rows.map(
      (r, i) => `${String(i + 1).padStart(rankWidth)}  ${n(r.requests).padStart(width)}  ${r.url}`,
    ),
  ];
  io.stdout(`${out.join("\n")}\n`);
}

/** A bar on stderr, redrawn at most ten times a second; only drawn when stderr is a terminal. */
function progressBar(io: Io, total: number) {
  let done = 0;
  let drawnAt = 0;
  let drawn = false;
  const draw = () => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(fraction * 30);
    io.stderr(
      `\r[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${(done / 1e9).toFixed(2)} of ${(total / 1e9).toFixed(2)} GB`,
    );
    drawn = true;
  };
  return {
    advance: (bytes: number) => {
      done += bytes;
      const now = Date.now();
      if (now - drawnAt >= 100) {
        drawnAt = now;
        draw();
      }
    },
    clear: () => {
      if (drawn) io.stderr(`\r${" ".repeat(60)}\r`);
    },
  };
}
