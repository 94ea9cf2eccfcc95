/**
 * The `window` command on small files: panes as NDJSON in firing order, the summary on stderr, the
 * flags' cross-checks, durations, and malformed lines named by number. Expected panes are worked
 * by hand from Flink's rules (see batch-stream/windows/operator.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { windows } from "../../../batch-stream/scenarios/windows.js";
import { window } from "../../../batch-stream/tools/window.js";
import { formatDuration, parseDuration } from "../../../batch-stream/windows/duration.js";
import { forEachLine, LINE_BYTES_MAX, parseLine } from "../../../batch-stream/windows/ndjson.js";
import type { Concept } from "../../../shared/cli.js";
import { expectUsageError, runInProcess } from "../../shared/fixtures/cli.js";
import { suiteDir } from "../../shared/fixtures/temp.js";

/** The concept with only this task's scenario and command, so that these tests stand alone. */
const batchStream: Concept = {
  folder: "batch-stream",
  description: "windows",
  scenarios: [windows],
  tour: ["windows"],
  tools: [window],
};

const dir = suiteDir("window-command");
let files = 0;
function file(text: string): string {
  const path = join(dir, `events-${files++}.ndjson`);
  writeFileSync(path, text);
  return path;
}

// One-minute tumbling windows with 30 s of allowed lateness: [0, 60000) fires at W >= 59999 and
// is late from W >= 59999 + 30000 = 89999.
const EVENTS = [
  '{"key": "blue", "value": 3, "eventTime": 3000}',
  '{"key": "red", "value": 1, "eventTime": 61000}',
  '{"watermark": 60000}', // [0, 60000) fires: blue 3
  '{"key": "blue", "value": 2, "eventTime": 59000}', // 59999 <= 60000 < 89999: LATE pane 1, 5
  '{"watermark": 50000}', // lower: ignored
  '{"watermark": 90000}', // 89999 <= 90000: [0, 60000) cleaned up
  '{"key": "blue", "value": 4, "eventTime": 59000}', // dropped
  // end: [60000, 120000) fires: red 1
].join("\n");

const pane = (key: string, start: number, end: number, value: number, timing: string, n: number) =>
  JSON.stringify({ key, window: [start, end], value, timing, pane: n });

describe("window", () => {
  it("tumbling, accumulating: panes on stdout, the summary on stderr", async () => {
    const run = await runInProcess(batchStream, [
      "window",
      "--input",
      file(EVENTS),
      "--size",
      "1m",
      "--allowed-lateness",
      "30s",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        pane("blue", 0, 60000, 3, "ON_TIME", 0),
        pane("blue", 0, 60000, 5, "LATE", 1),
        pane("red", 60000, 120000, 1, "ON_TIME", 0),
        "",
      ].join("\n"),
    );
    expect(run.stderr).toMatch(/^window: 4 events and 3 watermarks read \(1 lower/);
    expect(run.stderr).toMatch(
      /late: 1 event for windows whose end the watermark had passed, taken in and fired at once as late panes \(an allowed lateness of 30s\)/,
    );
    expect(run.stderr).toMatch(
      /dropped: 1 event too late for every window it belongs to; the first at line 7 \(key "blue", eventTime 59000, watermark 90000\)/,
    );
  });

  it("discarding mode, --output and --json", async () => {
    const output = join(dir, "panes.ndjson");
    const run = await runInProcess(batchStream, [
      "window",
      "--input",
      file(EVENTS),
      "--size",
      "1m",
      "--allowed-lateness",
      "30s",
      "--mode",
      "discarding",
      "--output",
      output,
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(readFileSync(output, "utf8").split("\n")[1]).toBe(pane("blue", 0, 60000, 2, "LATE", 1));
    expect(JSON.parse(run.stderr)).toMatchObject({
      events: 4,
      dropped: 1,
      lateAdmitted: 1,
      ignoredWatermarks: 1,
      firstDropped: { line: 7 },
    });
  });

  it("hopping and session windows", async () => {
    const input = file(
      [
        '{"key":"k","value":1,"eventTime":15000}', // hopping 20s/10s: [0,20s) and [10s,30s)
        '{"key":"k","value":2,"eventTime":25000}', // [10s,30s) and [20s,40s); session: 25 - 15 <= 10
      ].join("\n"), // no final newline
    );
    const hopping = await runInProcess(batchStream, [
      "window",
      "--input",
      input,
      "--size",
      "20s",
      "--slide",
      "10s",
    ]);
    expect(hopping.stdout.trimEnd().split("\n")).toEqual([
      pane("k", 0, 20000, 1, "ON_TIME", 0),
      pane("k", 10000, 30000, 3, "ON_TIME", 0),
      pane("k", 20000, 40000, 2, "ON_TIME", 0),
    ]);
    const session = await runInProcess(batchStream, ["window", "--input", input, "--gap", "10s"]);
    expect(session.stdout).toBe(`${pane("k", 15000, 35000, 3, "ON_TIME", 0)}\n`);
  });

  it("an empty file gives no panes", async () => {
    const run = await runInProcess(batchStream, ["window", "--input", file(""), "--gap", "1s"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^window: 0 events and 0 watermarks read/);
  });

  it.each([
    ['{"key":"a","value":1}', /line 2: has no eventTime/],
    ['{"key":"a","value":"3","eventTime":1}', /line 2: value must be a number, got "3"/],
    ['{"key":"a","value":3,"eventTime":1.5}', /line 2: eventTime must be a whole number/],
    ['{"watermark":"soon"}', /line 2: watermark must be a whole number/],
    ["not json", /line 2: not JSON: not json/],
    ["[1,2]", /line 2: not a JSON object/],
    ['{"value":1,"eventTime":1}', /line 2: has no key \(nor watermark\)/],
  ])("a malformed line is a usage error naming it: %s", async (line, message) => {
    const path = file(`{"key":"a","value":1,"eventTime":0}\n${line}\n`);
    const run = await runInProcess(batchStream, ["window", "--input", path, "--size", "1s"]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^error: .*events-\\d+\\.ndjson ${message.source}`));
  });

  it.each([
    [["--size", "1m"], /^error: --input <file> is required\n$/],
    [["--input", "/nonexistent/x.ndjson", "--size", "1m"], /there is no file/],
    [
      ["--input", "IN", "--size", "1m", "--gap", "10s"],
      /--gap makes session windows.*without --size/,
    ],
    [["--input", "IN", "--gap", "1m", "--slide", "10s"], /--slide and --gap exclude each other/],
    [["--input", "IN"], /give --size <duration>.*or --gap <duration>/],
    [["--input", "IN", "--slide", "10s"], /give --size <duration>/],
    [
      ["--input", "IN", "--size", "10s", "--slide", "1m"],
      /--slide \(1m\) must not exceed --size \(10s\)/,
    ],
    [["--input", "IN", "--size", "0"], /--size.*must be more than 0/],
    [["--input", "IN", "--size", "5"], /--size.*must be a duration such as 500ms/],
    [
      ["--input", "IN", "--size", "1m", "--allowed-lateness", "-1s"],
      /--allowed-lateness.*must be a duration/,
    ],
    [["--input", "IN", "--size", "1m", "--mode", "retracting"], /--mode.*accumulating, discarding/],
  ])("bad flags: %j", async (args, message) => {
    const input = file("");
    const run = await runInProcess(batchStream, [
      "window",
      ...args.map((a) => (a === "IN" ? input : a)),
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  it("refuses an --output that is the --input file, which would be erased before it is read", async () => {
    const input = file('{"key":"a","value":1,"eventTime":0}\n');
    const run = await runInProcess(batchStream, [
      "window",
      "--input",
      input,
      "--size",
      "1s",
      "--output",
      join(dir, ".", input.slice(dir.length + 1)),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --output .* is the --input file/);
    expect(readFileSync(input, "utf8")).toBe('{"key":"a","value":1,"eventTime":0}\n');
  });

  it("a sum beyond the largest double is an error, not Infinity in the output (not JSON)", async () => {
    const input = file(
      [
        '{"key":"a","value":1e308,"eventTime":1}',
        '{"key":"a","value":1e308,"eventTime":2}',
        '{"watermark":999}', // [0, 1000) fires here, with 2e308
      ].join("\n"),
    );
    const run = await runInProcess(batchStream, ["window", "--input", input, "--size", "1s"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^error: .* the sum of key "a" in window \[0, 1000\) is beyond ±1\.8e\+308.*\(at line 3\)\n$/,
    );
  });

  it("one open window is 'at most 1 window open at once'", async () => {
    const run = await runInProcess(batchStream, [
      "window",
      "--input",
      file('{"key":"a","value":1,"eventTime":0}\n'),
      "--size",
      "1s",
    ]);
    expect(run.stderr).toMatch(/; at most 1 window open at once\n/);
  });

  it("as a user runs it: a bad duration is one line, exit 2", () => {
    expectUsageError(
      "batch-stream",
      ["window", "--input", "x", "--size", "1x"],
      /^error: .*--size/,
    );
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2_000],
    ["20m", 1_200_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2m500ms", 120_500],
    ["1d", 86_400_000],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(["", "5", "1.5h", "30m1h", "1h1h", "1 h", "-1s", "1ms2s", "m", "1x"])(
    "%j is not a duration",
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
  it("formatDuration reads back", () => {
    for (const ms of [0, 1, 999, 1_000, 90_000, 5_400_000, 86_400_001])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(5_400_000)).toBe("1h30m");
  });
});

describe("the line reader", () => {
  it("hands on every line: CRLF, blank lines, no final newline, a line across the 1 MiB chunk", async () => {
    const long = "é".repeat(700_000); // 1.4 MB of two-byte characters: spans a chunk boundary
    const path = file(`a\r\n\n${long}\nlast`);
    const lines: [string, number][] = [];
    await forEachLine(path, (line, n) => lines.push([line, n]));
    expect(lines).toEqual([
      ["a", 1],
      ["", 2],
      [long, 3],
      ["last", 4],
    ]);
  });
});

describe("a line longer than 16 MiB", () => {
  it("is refused, by number, rather than read into an ever larger buffer", async () => {
    const path = file(`{"key":"a","value":1,"eventTime":0}\n${"x".repeat(LINE_BYTES_MAX + 1)}\n`);
    await expect(forEachLine(path, () => {})).rejects.toThrow(/^line 2: longer than 16 MiB$/);
  });
});

describe("event lines: the plain shape read without JSON.parse, and everything else with it", () => {
  it.each([
    ['{"key":"a","value":3,"eventTime":1000}', { key: "a", value: 3, eventTime: 1000 }],
    ['{"key": "blue", "value": -3, "eventTime": -5}', { key: "blue", value: -3, eventTime: -5 }],
    ['{"key":"a\\"b","value":3,"eventTime":1}', { key: 'a"b', value: 3, eventTime: 1 }],
    ['{"key":"é","value":0.5,"eventTime":1}', { key: "é", value: 0.5, eventTime: 1 }],
    ['{"eventTime":1,"value":3,"key":"a","extra":true}', { key: "a", value: 3, eventTime: 1 }],
    [
      '{"key":"a","value":-0,"eventTime":8640000000000000}',
      { key: "a", value: -0, eventTime: 8.64e15 },
    ],
  ])("%s", (line, expected) => {
    expect(parseLine(line, 1)).toEqual({ kind: "event", ...expected });
  });
  it.each([
    '{"key":"a","value":007,"eventTime":1}',
    '{"key":"a","value":3,"eventTime":8640000000000001}',
    '{"key":"a","value":3,"eventTime":1}x',
  ])("%s is refused", (line) => {
    expect(() => parseLine(line, 9)).toThrow(/^line 9: /);
  });
});

it("a raw control character in a key is refused, as JSON.parse refuses it", () => {
  expect(() => parseLine('{"key":"a\tb","value":3,"eventTime":1}', 2)).toThrow(/^line 2: not JSON/);
});

it("whitespace JSON does not allow (a form feed) is refused, as JSON.parse refuses it", () => {
  expect(() => parseLine('{"key":"a",\f"value":3,"eventTime":1}', 2)).toThrow(/^line 2: not JSON/);
});
