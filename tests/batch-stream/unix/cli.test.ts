/**
 * `top-urls` and `generate-log` on real files: top-urls against the real Unix pipeline (bash,
 * awk, GNU sort, uniq, head under LC_ALL=C) on generated logs and hand-made edge cases, through
 * the real worker threads (one and two, and byte ranges small enough that their boundaries fall
 * mid-line everywhere); generate-log's determinism; bad input.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchStream } from "../../../batch-stream/main.js";
import { countFile, TableFull, topUrls } from "../../../batch-stream/unix/count.js";
import { generateLogBytes } from "../../../batch-stream/unix/generate.js";
import { runInProcess } from "../../shared/fixtures/cli.js";
import { suiteDir } from "../../shared/fixtures/temp.js";

const dir = suiteDir("top-urls");

/**
 * The book's pipeline over `path`. `awk 'NF>=7{print $7}'` leaves out the lines with fewer than
 * seven fields, as top-urls does; the book's `awk '{print $7}'` would print an empty line for
 * each, and count them as the URL "" (the last test shows exactly that difference).
 */
function unixPipeline(path: string, top: number, awk = "NF>=7{print $7}"): [string, number][] {
  const result = spawnSync(
    "bash",
    [
      "-c",
      `export LC_ALL=C; awk '${awk}' "$1" | sort | uniq -c | sort -rn | head -n ${top}`,
      "-",
      path,
    ],
    { encoding: "utf8" },
  );
  expect(result.status).toBe(0);
  return result.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const m = /^\s*(\d+) (.*)$/.exec(l) as RegExpExecArray;
      return [m[2] as string, Number(m[1])];
    });
}

let files = 0;
function file(content: string | Uint8Array): string {
  const path = join(dir, `log-${files++}.txt`);
  writeFileSync(path, content);
  return path;
}

const line = (url: string) =>
  `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET ${url} HTTP/1.1" 200 5`;

/** Ties at every count: 40 URLs, URL i requested (i mod 4) + 1 times, in a scrambled order. */
function tiedLog(): string {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) for (let k = 0; k <= i % 4; k++) lines.push(line(`/page/${i}`));
  return lines
    .map((l, i) => [l, (i * 7919) % lines.length] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([l]) => l)
    .join("\n");
}

const cases: [string, () => string | Uint8Array][] = [
  ["a generated log", () => generateLogBytes(3_000, 5)],
  ["ties at every count", () => `${tiedLog()}\n`],
  ["an empty file", () => ""],
  ["no final newline", () => `${line("/a")}\n${line("/b")}\n${line("/a")}`],
  [
    "malformed lines, blank lines, tabs and CRLF",
    () =>
      `${line("/a")}\r\n\n${line("/b").replaceAll(" ", "\t")}\nnot a log line\n  ${line("/a")}\n\t\n${line("/c")}\n`,
  ],
];

describe("top-urls equals the Unix pipeline", () => {
  for (const [name, make] of cases) {
    it(`${name}, on one and two worker threads, and with 97-byte ranges`, async () => {
      const path = file(make());
      const size = readFileSync(path).length;
      const want = unixPipeline(path, 10);
      for (const options of [{ workers: 1 }, { workers: 2 }, { workers: 2, rangeBytes: 97 }]) {
        const counted = await countFile(path, size, options);
        expect(topUrls(counted.table, 10).map((r) => [r.url, r.requests])).toEqual(want);
      }
    }, 30_000);
  }

  it("through the command: the --json table event, and malformed lines reported", async () => {
    const path = file(`${tiedLog()}\nshort line\n\n`);
    const run = await runInProcess(batchStream, [
      "top-urls",
      "--input",
      path,
      "--top",
      "7",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const [table, lines] = run.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(table.kind).toBe("table");
    expect(table.columns).toEqual(["rank", "url", "requests"]);
    expect(table.rows).toEqual(unixPipeline(path, 7).map(([url, n], i) => [i + 1, url, n]));
    // 100 log lines (40 URLs requested 1 to 4 times: 10 × (1 + 2 + 3 + 4)), then 2 malformed.
    expect(lines.rows).toEqual([[102, 100, 2, 0, 40]]);
    expect(run.stderr).toBe(
      "top-urls: 2 malformed (fewer than seven fields) of 102 lines, not counted\n",
    );
  });

  it("through the command: a title true for one URL and for none", async () => {
    const one = file(`${line("/a")}\n${line("/b")}\n${line("/a")}\n`);
    const top1 = await runInProcess(batchStream, ["top-urls", "--input", one, "--top", "1"]);
    expect(top1.stdout.split("\n")[0]).toBe(
      `the most requested URL of ${one}: 3 lines, 2 distinct URLs`,
    );
    const single = file(`${line("/a")}\n`);
    const once = await runInProcess(batchStream, ["top-urls", "--input", single]);
    expect(once.stdout.split("\n")[0]).toBe(
      `the most requested URL of ${single}: 1 line, 1 distinct URL`,
    );
    const empty = file("");
    const none = await runInProcess(batchStream, ["top-urls", "--input", empty]);
    expect(none.code).toBe(0);
    expect(none.stdout.split("\n")[0]).toBe(`no URL counted in ${empty}: 0 lines, 0 distinct URLs`);
  });

  it("the book's awk '{print $7}' counts each malformed line as the URL \"\": the only difference", () => {
    const path = file(`${line("/a")}\nshort\n\n${line("/a")}\n${line("/b")}\n`);
    expect(unixPipeline(path, 10, "{print $7}")).toEqual([
      ["/a", 2],
      ["", 2],
      ["/b", 1],
    ]);
    expect(unixPipeline(path, 10)).toEqual([
      ["/a", 2],
      ["/b", 1],
    ]);
  });
});

describe("main.ts as a user runs it", () => {
  const root = join(import.meta.dirname, "..", "..", "..");
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "batch-stream/main.ts", ...args], {
      cwd: root,
      encoding: "utf8",
    });

  it("a tool's command line, which loads that tool alone, answers as the pipeline does", () => {
    const path = file(`${tiedLog()}\n`);
    const result = run(["top-urls", "--input", path, "--top", "6", "--json"]);
    expect(result.status).toBe(0);
    const table = JSON.parse(result.stdout.split("\n")[0] as string);
    expect(table.rows).toEqual(unixPipeline(path, 6).map(([url, n], i) => [i + 1, url, n]));
  }, 30_000);

  it("--help still lists every scenario and every tool", () => {
    const result = run(["--help"]);
    expect(result.status).toBe(0);
    for (const name of ["unix", "mapreduce", "exactly-once", "top-urls", "generate-log", "window"])
      expect(result.stdout).toContain(`  ${name} [options]`);
  }, 30_000);
});

describe("more distinct URLs than a worker's table may hold", () => {
  it("stops with TableFull instead of outgrowing its memory", async () => {
    // 3,000 generated lines have over a thousand distinct paths: more than 20,000 bytes hold at
    // about 64 bytes of bookkeeping plus 30 of path each.
    const path = file(generateLogBytes(3_000, 5));
    const size = readFileSync(path).length;
    await expect(countFile(path, size, { workers: 2, maxTableBytes: 20_000 })).rejects.toThrow(
      TableFull,
    );
    const counted = await countFile(path, size, { workers: 2, maxTableBytes: 1 << 20 });
    expect(counted.lines).toBe(3_000);
  }, 30_000);
});

describe("generate-log", () => {
  it("writes the lines asked for, the same bytes for the same seed", async () => {
    const a = join(dir, "gen-a.log");
    const b = join(dir, "gen-b.log");
    const c = join(dir, "gen-c.log");
    for (const [path, seed] of [
      [a, "3"],
      [b, "3"],
      [c, "4"],
    ] as const) {
      const run = await runInProcess(batchStream, [
        "generate-log",
        "--lines",
        "500",
        "--output",
        path,
        "--seed",
        seed,
      ]);
      expect(run.code).toBe(0);
    }
    const bytes = readFileSync(a);
    expect(bytes.equals(readFileSync(b))).toBe(true);
    expect(bytes.equals(readFileSync(c))).toBe(false);
    const text = bytes.toString("utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(501);
    expect(bytes.equals(Buffer.from(generateLogBytes(500, 3)))).toBe(true);
    // One line is "1 line"; its bytes are the generator's.
    const one = join(dir, "gen-one.log");
    const run = await runInProcess(batchStream, ["generate-log", "--lines", "1", "--output", one]);
    const size = readFileSync(one).length;
    expect(size).toBe(generateLogBytes(1, 1).length);
    expect(run.stdout).toBe(`wrote 1 line (${size} bytes) to ${one}, seed 1\n`);
  }, 30_000);

  it("Zipf-distributed paths: '/' is rank 1, about 1/H(20000) = 9.5% of requests", () => {
    // H(20000) = ln 20000 + 0.5772 + 1/40000 ≈ 10.48, so rank 1 has weight 1/10.48 ≈ 0.0954 and
    // rank 2 half of that. On 20,000 lines the standard error is about 0.2%.
    const text = new TextDecoder().decode(generateLogBytes(20_000, 1));
    const urls = text
      .trimEnd()
      .split("\n")
      .map((l) => l.split(" ")[6]);
    const share = (url: string) => urls.filter((u) => u === url).length / urls.length;
    expect(share("/")).toBeGreaterThan(0.088);
    expect(share("/")).toBeLessThan(0.103);
    expect(share("/favicon.ico")).toBeGreaterThan(0.042);
    expect(share("/favicon.ico")).toBeLessThan(0.053);
    // Lines average about 176 bytes (the tool's help says so).
    expect(text.length / urls.length).toBeGreaterThan(165);
    expect(text.length / urls.length).toBeLessThan(185);
  });
});

describe("bad input: one line on stderr, exit 2", () => {
  const bad: [string[], RegExp][] = [
    [["top-urls"], /^error: top-urls needs --input <file>/],
    [
      ["top-urls", "--input", "/no/such/file.log"],
      /^error: --input \/no\/such\/file.log: no such file$/,
    ],
    [["top-urls", "--input", "/tmp"], /^error: --input \/tmp: is a folder, not a file$/],
    // A character device stands for a pipe: neither has a size to cut into byte ranges.
    [["top-urls", "--input", "/dev/null"], /^error: --input \/dev\/null: is not a regular file/],
    [["top-urls", "--input", "x", "--top", "0"], /^error: .*--top.*'0' is invalid/],
    [["top-urls", "--input", "x", "--workers", "0"], /^error: .*--workers.*'0' is invalid/],
    [["top-urls", "--input", "x", "--workers", "65"], /^error: .*--workers.*'65' is invalid/],
    [["generate-log", "--output", "/tmp/x.log"], /^error: generate-log needs --lines/],
    [["generate-log", "--lines", "5"], /^error: generate-log needs --output/],
    [
      ["generate-log", "--lines", "-1", "--output", "/tmp/x.log"],
      /^error: .*--lines.*'-1' is invalid/,
    ],
    [
      ["generate-log", "--lines", "100000001", "--output", "/tmp/x.log"],
      /^error: .*--lines.*is invalid/,
    ],
    [
      ["generate-log", "--lines", "5", "--output", "/no/such/dir/x.log"],
      /^error: .*there is no folder/,
    ],
  ];
  for (const [argv, message] of bad)
    it(argv.join(" "), async () => {
      const run = await runInProcess(batchStream, argv);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
});
