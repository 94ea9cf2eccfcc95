/**
 * The book's opening example of batch processing (DDIA ch. 10, "Batch Processing with Unix Tools:
 * Simple Log Analysis"): the five most requested URLs of a web server log. The same generated log,
 * held in memory, answered three ways:
 *
 * 1. the Unix pipeline, `awk '{print $7}' | sort | uniq -c | sort -rn | head -n 5`, stage by stage
 *    (unix/pipeline.ts);
 * 2. our job, top-urls's own scanner (unix/scan.mjs) over byte ranges cut at arbitrary bytes, as
 *    worker threads split a real file, its tables merged;
 * 3. "Sorting versus in-memory aggregation": counting with an in-memory Map, whose memory grows
 *    with the distinct URLs, against an external merge sort that holds at most --memory-records
 *    records, spilling sorted runs and merging them with a heap (unix/external-sort.ts).
 *
 * No real file is read or written: `top-urls` and `generate-log` are the commands for that.
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { thousands as n, pluralThousands as plural } from "../../shared/words.js";
import { REF } from "../refs.js";
import { countBytes, topUrls } from "../unix/count.js";
import { externalSortCount, mapCount } from "../unix/external-sort.js";
import { DISTINCT_PATHS, generateLogBytes, ZIPF_EXPONENT } from "../unix/generate.js";
import { parseUniqLine, runPipeline } from "../unix/pipeline.js";

interface Options {
  lines: number;
  top: number;
  ranges: number;
  memoryRecords: number;
}

export const unix: Scenario<Options> = {
  name: "unix",
  summary:
    "the five most requested URLs of a log: the awk | sort | uniq -c | sort -rn | head pipeline beside our job, and sorting versus an in-memory hash table",
  options: [
    option("--lines <count>", "lines of the generated log", integer(0, 200_000), 2_000),
    option("--top <count>", "how many URLs the answer lists", integer(1, 50), 5),
    option(
      "--ranges <count>",
      "byte ranges our job cuts the log into (a real file gets one per worker thread)",
      integer(1, 64),
      4,
    ),
    option(
      "--memory-records <count>",
      "records the external merge sort may hold in memory at once",
      integer(3, 1_000_000),
      16,
    ),
  ],
  run: ({ trace, seed }, options) => {
    const log = generateLogBytes(options.lines, seed);
    const text = new TextDecoder().decode(log);
    const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");

    trace.section("Simple log analysis: the most requested URLs", REF.simpleLogAnalysis);
    trace.note(
      `A web server log in the combined log format, ${plural(options.lines, "line")} (${n(log.length)} bytes) generated from seed ${seed}: paths drawn from ${n(DISTINCT_PATHS)} with a Zipf distribution (exponent ${ZIPF_EXPONENT}). The requested path is the seventh field when awk splits a line at blanks${lines.length > 0 ? `, as in the first line:\n  ${lines[0]}` : "."}`,
      { ref: REF.simpleLogAnalysis },
    );

    const pipeline = runPipeline(lines, options.top);
    trace.table(
      "The book's pipeline, stage by stage",
      ["stage", "what it does", "lines out"],
      [
        [
          "awk '{print $7}'",
          "prints each line's seventh field, the URL (NF>=7 here: short lines are left out)",
          pipeline.awk.length,
        ],
        ["sort", "sorts the URLs, so that equal ones are neighbours", pipeline.sorted.length],
        [
          "uniq -c",
          "collapses each run of equal neighbours into 'count URL'",
          pipeline.uniq.length,
        ],
        [
          "sort -rn",
          "sorts by that count, largest first (equal counts: whole line, reversed)",
          pipeline.ranked.length,
        ],
        [`head -n ${options.top}`, `keeps the first ${options.top}`, pipeline.head.length],
      ],
      "Each program does one thing and passes plain text on through a pipe; sort spills to disk when its input outgrows memory, so the pipeline scales to logs larger than the machine's memory.",
    );
    trace.note(
      "The Unix philosophy: small programs that each do one thing well, composed with a uniform interface (lines of text through pipes), each unaware of the others.",
      { ref: REF.unixPhilosophy },
    );

    // Our job: the same scanner as top-urls, over byte ranges cut without regard to lines.
    const rangeBytes = Math.max(1, Math.ceil(log.length / options.ranges));
    const counted = countBytes(log, { rangeBytes });
    const ours = topUrls(counted.table, options.top);
    trace.section(
      "Our job: one pass over byte ranges, a hash table per range",
      REF.simpleLogAnalysis,
    );
    trace.note(
      `top-urls reads the log in ${plural(counted.ranges, "byte range")} of up to ${plural(rangeBytes, "byte")}, cut at arbitrary bytes as a file is split between worker threads: a range that starts mid-line skips to the next line, which its predecessor finishes. Each range counts URLs in a table keyed by the URL's bytes (no string is made per line, nor per URL: the ranking compares bytes, and only the URLs printed are decoded); the tables are merged and the top ${options.top} taken in sort -rn's order.`,
    );
    const expected = pipeline.head.map(parseUniqLine);
    const rows: Cell[][] = [];
    for (let i = 0; i < Math.max(expected.length, ours.length); i++) {
      const e = expected[i];
      const o = ours[i];
      rows.push([i + 1, e?.[0] ?? "-", e?.[1] ?? "-", o?.url ?? "-", o?.requests ?? "-"]);
    }
    trace.table(
      `The top ${options.top}, by the pipeline and by our job`,
      ["rank", "pipeline's url", "requests", "our job's url", "requests"],
      rows,
    );
    const shortLines = counted.malformed + counted.tooLong;
    if (lines.length === 0) {
      trace.notExercised(
        "every line is counted once across the byte ranges",
        "the log is empty: there is no line to count",
        { ref: REF.simpleLogAnalysis },
      );
      trace.notExercised(
        "our job's top URLs equal the pipeline's head, ties in sort -rn's order",
        "the log is empty: there is no URL to rank",
        { ref: REF.simpleLogAnalysis },
      );
    } else {
      trace.check(
        "every line is counted once across the byte ranges",
        counted.lines === lines.length,
        {
          detail: `${plural(counted.lines, "line")} counted over ${plural(counted.ranges, "range")} (${n(shortLines)} with fewer than seven fields); the log has ${n(lines.length)}`,
          ref: REF.simpleLogAnalysis,
        },
      );
      const same =
        expected.length === ours.length &&
        expected.every(([url, count], i) => ours[i]?.url === url && ours[i]?.requests === count);
      trace.check("our job's top URLs equal the pipeline's head, ties in sort -rn's order", same, {
        detail: same
          ? `the same ${plural(ours.length, "URL")} with the same counts, in the same order`
          : "the lists differ (see the table above)",
        ref: REF.simpleLogAnalysis,
      });
    }

    sortingVersusMap(trace, pipeline.awk, options.memoryRecords);
  },
};

/** The book's comparison: a hash table in memory against sorting with a bounded memory. */
function sortingVersusMap(trace: Trace, urls: string[], budget: number): void {
  trace.section("Sorting versus in-memory aggregation", REF.sortingVersusInMemory);
  const map = mapCount(urls);
  const sorted = externalSortCount(urls, budget);
  trace.note(
    `A hash table (a Map from URL to count) holds every distinct URL at once: ${n(map.peak)} ${map.peak === 1 ? "entry" : "entries"} here. That is fine while the working set fits in memory; if it does not, the sorting approach still works: sort ${budget} records at a time in memory, spill each sorted run to disk, then merge the runs (up to ${budget - 1} at a time, through a heap holding one record per run), sequentially, as mergesort does. GNU sort does the same on its own when its input outgrows its buffer: it writes sorted runs to temporary files and merges them, 16 at a time by default (its --batch-size).`,
    { ref: REF.sortingVersusInMemory },
  );
  trace.table(
    `Counting ${plural(urls.length, "URL")}`,
    [
      "method",
      "records in memory at most",
      "sorted runs spilled",
      "merge passes",
      "records written to disk",
    ],
    [
      ["in-memory Map", map.peak, 0, 0, 0],
      [
        `external merge sort, budget ${n(budget)}`,
        sorted.peakRecords,
        sorted.runsSpilled,
        sorted.mergePasses,
        sorted.recordsWritten,
      ],
    ],
    "Records in memory for the sort are measured: every record read, held in a run or in the merge's heap, or held by uniq -c is counted in and out. The merge passes include the last one, which feeds uniq -c.",
  );
  if (urls.length === 0) {
    trace.notExercised(
      "the external sort's counts equal the in-memory Map's",
      "no line had a seventh field: there is nothing to count",
      { ref: REF.sortingVersusInMemory },
    );
    trace.notExercised(
      `the external sort held at most ${n(budget)} records at once`,
      "no record was read: the budget was never tested",
      { ref: REF.sortingVersusInMemory },
    );
    return;
  }
  const same =
    sorted.counts.length === map.counts.size &&
    sorted.counts.every(([url, count]) => map.counts.get(url) === count);
  trace.check("the external sort's counts equal the in-memory Map's", same, {
    detail: `${plural(sorted.counts.length, "distinct URL")} from the sort, ${n(map.counts.size)} in the Map${same ? ", every count equal" : ""}`,
    ref: REF.sortingVersusInMemory,
  });
  trace.check(
    `the external sort held at most ${n(budget)} records at once`,
    sorted.peakRecords <= budget,
    {
      detail: `measured peak ${n(sorted.peakRecords)}; the Map held ${n(map.peak)}`,
      ref: REF.sortingVersusInMemory,
    },
  );
}
