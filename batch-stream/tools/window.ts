/**
 * `window`: the window operator over a real event file (DDIA ch. 11, "Reasoning About Time").
 *
 *   npx tsx batch-stream/main.ts window --input events.ndjson --size 1m
 *   npx tsx batch-stream/main.ts window --input events.ndjson --size 2m --slide 1m --allowed-lateness 30s
 *   npx tsx batch-stream/main.ts window --input events.ndjson --gap 30s --mode discarding --output panes.ndjson
 *
 * Reads NDJSON events and watermarks in arrival order (see windows/ndjson.ts), sums each key's
 * values per window with Flink's event-time semantics (see windows/operator.ts), and writes one
 * NDJSON line per pane, `{"key","window":[start,end],"value","timing","pane"}`, in firing order,
 * to stdout or --output. A summary (events, panes, and the events dropped as too late) goes to
 * stderr: one line of text each, or with --json one JSON object. The file is streamed: memory
 * holds the open windows' state (see windows/operator.ts), a 1 MiB read buffer (up to 16 MiB for
 * a longer line), and the panes fired by one chunk of input while they wait for stdout to take
 * them (reading resumes once less than 1 MiB is queued there); not the file.
 *
 * --size alone makes tumbling windows, --size with --slide hopping windows, and --gap alone
 * session windows (a session has no fixed size, so --gap takes the place of --size). A --slide
 * longer than --size is refused: Flink allows it, and skips an event that falls between two
 * windows without counting it as dropped (unless the event is late itself, eventTime + allowed
 * lateness <= watermark: WindowOperator.isElementLate), which a summary of drops should not hide.
 */
import { closeSync, existsSync, openSync, statSync, writeSync } from "node:fs";
import {
  choice,
  type Io,
  type OptionSpec,
  option,
  type Tool,
  text,
  UsageError,
  writableFile,
} from "../../shared/cli.js";
import { pluralThousands as plural, thousands } from "../../shared/words.js";
import type { WindowAssigner } from "../windows/assigners.js";
import { duration, formatDuration } from "../windows/duration.js";
import { forEachLine, MalformedLine, parseLine } from "../windows/ndjson.js";
import { type Mode, type Pane, WindowOperator } from "../windows/operator.js";

interface Options {
  input: string | false;
  size: number | false;
  slide: number | false;
  gap: number | false;
  allowedLateness: number;
  mode: Mode;
  output: string | false;
}

/** An option with no default: commander leaves it false when not given. */
const optional = (flags: string, description: string, parser: OptionSpec["parser"]) => ({
  flags,
  description,
  parser,
});

export const window: Tool<Options> = {
  name: "window",
  summary:
    "sum an NDJSON event file's values per key and event-time window (tumbling, hopping or session), with watermarks and allowed lateness as Flink does; one NDJSON line per pane",
  jsonDescription:
    "write the summary on stderr as one JSON object (the panes are NDJSON either way)",
  options: [
    optional("--input <file>", "the NDJSON event file, in arrival order (required)", text),
    optional("--size <duration>", "window size: tumbling, or hopping with --slide", duration(1)),
    optional("--slide <duration>", "hopping windows: a new window every this long", duration(1)),
    optional(
      "--gap <duration>",
      "session windows: a session ends after this long without events (instead of --size)",
      duration(1),
    ),
    option(
      "--allowed-lateness <duration>",
      "how long after a window fires late events still update it",
      duration(0),
      0,
    ),
    option(
      "--mode <mode>",
      "what a late pane carries: the window's whole sum, or only what arrived since its last pane",
      choice(["accumulating", "discarding"] as const),
      "accumulating",
    ),
    optional("--output <file>", "write the panes here instead of stdout", writableFile),
  ],
  validate: (o) => {
    if (o.input === false) return "--input <file> is required";
    if (!existsSync(o.input)) return `--input: there is no file ${o.input}`;
    if (statSync(o.input).isDirectory()) return `--input: ${o.input} is a folder, not a file`;
    if (o.gap !== false && o.slide !== false)
      return "--slide and --gap exclude each other: --slide makes hopping windows, --gap session windows";
    if (o.gap !== false && o.size !== false)
      return "--gap makes session windows, which have no fixed size: give --gap without --size";
    if (o.gap === false && o.size === false)
      return "give --size <duration> (tumbling windows; hopping with --slide) or --gap <duration> (session windows)";
    if (o.output !== false && sameFile(o.input, o.output))
      return `--output ${o.output} is the --input file: writing the panes would erase the events before they are read`;
    if (o.slide !== false && o.size !== false && o.slide > o.size)
      return `--slide (${formatDuration(o.slide)}) must not exceed --size (${formatDuration(o.size)}): events between windows would belong to none`;
    return undefined;
  },
  run: async (o, io) => {
    const input = o.input as string;
    const assigner: WindowAssigner =
      o.gap !== false
        ? { kind: "session", gapMs: o.gap }
        : o.slide !== false
          ? { kind: "sliding", sizeMs: o.size as number, slideMs: o.slide }
          : { kind: "tumbling", sizeMs: o.size as number };
    const out = paneWriter(o.output === false ? undefined : o.output, io);
    let lineNow = 0; // the line being read; 0 at the end of input
    const operator = new WindowOperator(
      { assigner, allowedLatenessMs: o.allowedLateness, mode: o.mode },
      (pane) => {
        // A sum of finite values can still overflow, and Infinity is not JSON.
        if (!Number.isFinite(pane.value))
          throw new UsageError(
            `${input}: the sum of key ${JSON.stringify(pane.key)} in window [${pane.start}, ${pane.end}) is beyond ±${Number.MAX_VALUE.toPrecision(2)}, the largest number a pane can carry (${lineNow === 0 ? "at the end of input" : `at line ${lineNow}`})`,
          );
        out.write(pane);
      },
    );
    let firstDropped:
      | { line: number; key: string; eventTime: number; watermark: number }
      | undefined;
    try {
      await forEachLine(
        input,
        (line, lineNumber) => {
          lineNow = lineNumber;
          const parsed = parseLine(line, lineNumber);
          if (parsed === undefined) return;
          if (parsed.kind === "watermark") {
            operator.processWatermark(parsed.watermark);
            return;
          }
          const admission = operator.processElement(parsed.key, parsed.value, parsed.eventTime);
          if (admission === "dropped" && firstDropped === undefined)
            firstDropped = {
              line: lineNumber,
              key: parsed.key,
              eventTime: parsed.eventTime,
              watermark: operator.watermark,
            };
        },
        out.drained,
      );
      lineNow = 0;
      operator.finish();
    } catch (error) {
      out.close();
      if (error instanceof MalformedLine) throw new UsageError(`${input} ${error.message}`);
      throw error;
    }
    out.close();
    const s = operator.stats;
    // The operator counts the final watermark too; the summary counts the file's lines.
    const watermarksRead = s.watermarks - 1;
    const late = `${o.allowedLateness === 0 ? "no allowed lateness" : `an allowed lateness of ${formatDuration(o.allowedLateness)}`}`;
    if (o.json) {
      io.stderr(
        `${JSON.stringify({
          events: s.events,
          watermarks: watermarksRead,
          ignoredWatermarks: s.ignoredWatermarks,
          panes: s.panes,
          lateAdmitted: s.lateAdmitted,
          dropped: s.dropped,
          ...(firstDropped !== undefined ? { firstDropped } : {}),
          maxOpenWindows: s.maxOpenWindows,
        })}\n`,
      );
    } else {
      io.stderr(
        `window: ${plural(s.events, "event")} and ${plural(watermarksRead, "watermark")} read${s.ignoredWatermarks > 0 ? ` (${thousands(s.ignoredWatermarks)} lower than the watermark before, ignored)` : ""}; ${plural(s.panes, "pane")} written${o.output === false ? "" : ` to ${o.output}`}; at most ${plural(s.maxOpenWindows, "window")} open at once\n`,
      );
      io.stderr(
        `late: ${plural(s.lateAdmitted, "event")} for windows whose end the watermark had passed, taken in and fired at once as late panes (${late})\n`,
      );
      io.stderr(
        s.dropped === 0
          ? "dropped: none\n"
          : `dropped: ${plural(s.dropped, "event")} too late for every window ${s.dropped === 1 ? "it belongs" : "they belong"} to; the first at line ${thousands(firstDropped?.line ?? 0)} (key ${JSON.stringify(firstDropped?.key)}, eventTime ${firstDropped?.eventTime}, watermark ${firstDropped?.watermark})\n`,
      );
    }
    return 0;
  },
};

/** Whether two paths name one file (the second need not exist). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(b)) return false;
  const x = statSync(a);
  const y = statSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** Bytes queued on stdout beyond which the reading waits for them to drain. */
const STDOUT_QUEUED_MAX = 1 << 20;

/**
 * Panes as NDJSON lines, written in chunks of about 64 KiB to the file or to stdout. A file is
 * written synchronously; stdout, when it is a pipe, queues what its reader has not taken yet, so
 * between input chunks `drained` waits until less than 1 MiB is queued there.
 */
function paneWriter(path: string | undefined, io: Io) {
  const fd = path === undefined ? undefined : openSync(path, "w");
  let chunk = "";
  const flush = () => {
    if (chunk === "") return;
    if (fd === undefined) io.stdout(chunk);
    else writeSync(fd, chunk);
    chunk = "";
  };
  return {
    drained: async () => {
      if (fd !== undefined) return;
      flush();
      await io.stdoutDrained?.(STDOUT_QUEUED_MAX);
    },
    write: (p: Pane) => {
      chunk += `{"key":${JSON.stringify(p.key)},"window":[${p.start},${p.end}],"value":${p.value},"timing":"${p.timing}","pane":${p.pane}}\n`;
      if (chunk.length > 65_536) flush();
    },
    close: () => {
      flush();
      if (fd !== undefined) closeSync(fd);
    },
  };
}
