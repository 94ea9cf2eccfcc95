/**
 * Issue 13's bar for `top-urls`: on a 10,000,000-line generated log (about 1.76 GB), the whole
 * command as a user runs it (`npx tsx batch-stream/main.ts top-urls --input FILE`, start-up
 * included) against the book's pipeline on the same file in the same run, and DuckDB's answer to
 * the same question as the bar a user would compare with.
 *
 * The log is generated once, under os.tmpdir()/ddia-bench/, and reused by later runs. The file is
 * read once before timing, so that every contender finds it in the page cache. The pipeline runs
 * exactly as the issue writes it, `LC_ALL=C awk ... | sort | uniq -c | sort -rn | head -n 5`: the
 * C locale for awk alone, and sort and uniq in the locale the benchmark was started in (printed;
 * sort compares by that locale's collation unless it is C or POSIX). The 3x bar is against that
 * command. The pipeline with LC_ALL=C for every stage, its fastest form, is timed on a line of its
 * own for comparison. DuckDB is installed at bench time into
 * os.tmpdir()/ddia-bench/duckdb with `npm install --no-save` (never into this project), and
 * skipped with a note if that fails.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
// BENCH_TOP_URLS_LINES makes a smaller log, for trying the benchmark itself out.
const LINES = Number(process.env.BENCH_TOP_URLS_LINES ?? 10_000_000);
const SEED = 1;
const dir = join(tmpdir(), "ddia-bench");
const log = join(dir, `access-${LINES}-seed${SEED}.log`);
const done = `${log}.done`;

type Line = (label: string, value: string) => void;

interface Timed {
  seconds: number;
  stdout: string;
  maxRssKb?: number;
  /** User plus system CPU seconds of the command and everything it waited for. */
  cpuSeconds?: number;
  ok: boolean;
  stderr: string;
}

/** Run a command; with GNU time at /usr/bin/time, also the peak RSS of its largest process. */
function timed(command: string, args: string[], cwd = root): Timed {
  const gnuTime = existsSync("/usr/bin/time");
  const start = performance.now();
  const result = gnuTime
    ? spawnSync("/usr/bin/time", ["-f", "%M %U %S", command, ...args], {
        cwd,
        encoding: "utf8",
        maxBuffer: 1 << 26,
      })
    : spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  let stderr = result.stderr ?? "";
  let maxRssKb: number | undefined;
  let cpuSeconds: number | undefined;
  if (gnuTime) {
    const lines = stderr.trimEnd().split("\n");
    const [rss, user, system] = (lines.pop() ?? "").split(" ").map(Number);
    maxRssKb = rss;
    cpuSeconds = (user ?? Number.NaN) + (system ?? Number.NaN);
    stderr = lines.join("\n");
  }
  return {
    seconds,
    stdout: result.stdout ?? "",
    ok: result.status === 0,
    stderr,
    ...(maxRssKb !== undefined && Number.isFinite(maxRssKb) ? { maxRssKb } : {}),
    ...(cpuSeconds !== undefined && Number.isFinite(cpuSeconds) ? { cpuSeconds } : {}),
  };
}

/** "count url" pairs from any of the three outputs, for comparing answers. */
function answer(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /^\s*(?:\d+\s+)?([\d,]+)\s+(\S+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${(m[1] as string).replaceAll(",", "")} ${m[2]}`);
}

export async function bench(line: Line): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (
    !existsSync(done) ||
    statSync(log, { throwIfNoEntry: false })?.size !== Number(readFileSync(done, "utf8"))
  ) {
    const gen = timed("npx", [
      "tsx",
      "batch-stream/main.ts",
      "generate-log",
      "--lines",
      String(LINES),
      "--output",
      log,
      "--seed",
      String(SEED),
    ]);
    if (!gen.ok) throw new Error(`generate-log failed: ${gen.stderr}`);
    writeFileSync(done, String(statSync(log).size));
    line(`  generate-log, ${LINES.toLocaleString("en")} lines`, `${gen.seconds.toFixed(1)} s`);
  } else line("  generated log", `reused ${log}`);
  const bytes = statSync(log).size;
  line("  log size", `${(bytes / 1e9).toFixed(2)} GB, ${LINES.toLocaleString("en")} lines`);
  // Into the page cache, for every contender alike.
  spawnSync("cat", [log], { stdio: ["ignore", "ignore", "ignore"] });

  const env = ["LC_ALL", "LC_COLLATE", "LANG"]
    .map((name) => `${name}=${process.env[name] ?? ""}`)
    .join(" ");
  line(
    "  load average (1, 5, 15 min) before the runs",
    loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
  );
  line("  locale the pipeline's sort and uniq run in", env);

  const ours = timed("npx", ["tsx", "batch-stream/main.ts", "top-urls", "--input", log]);
  if (!ours.ok) throw new Error(`top-urls failed: ${ours.stderr}`);
  // Exactly the issue's command: LC_ALL=C on awk alone; sort and uniq inherit this process's locale.
  const pipeline = timed("bash", [
    "-c",
    `LC_ALL=C awk '{print $7}' "$1" | sort | uniq -c | sort -rn | head -n 5`,
    "-",
    log,
  ]);
  if (!pipeline.ok) throw new Error(`the pipeline failed: ${pipeline.stderr}`);
  const allC = timed("bash", [
    "-c",
    `export LC_ALL=C; awk '{print $7}' "$1" | sort | uniq -c | sort -rn | head -n 5`,
    "-",
    log,
  ]);
  if (!allC.ok) throw new Error(`the all-C pipeline failed: ${allC.stderr}`);
  const duck = duckdb(log);

  line("  top-urls (npx tsx, start-up included, all cores)", seconds(ours));
  line("  LC_ALL=C awk '{print $7}' | sort | uniq -c | sort -rn | head -n 5", seconds(pipeline));
  line("  the same with LC_ALL=C for every stage", seconds(allC));
  if (typeof duck === "string") line("  DuckDB", `skipped: ${duck}`);
  else line("  DuckDB (node, regexp_extract of field 7, GROUP BY)", seconds(duck));
  const ratio = pipeline.seconds / ours.seconds;
  line(
    "  speed-up over the pipeline as written (wall clock)",
    `${ratio.toFixed(2)}x (target ≥ 3x${ratio >= 3 ? "" : ", MISSED"}); over the all-C pipeline ${(allC.seconds / ours.seconds).toFixed(2)}x`,
  );
  if (ours.cpuSeconds !== undefined && pipeline.cpuSeconds !== undefined)
    line(
      "  CPU seconds, pipeline as written over top-urls",
      `${(pipeline.cpuSeconds / ours.cpuSeconds).toFixed(2)}x (a measure other load on the machine disturbs less; on an idle machine the wall-clock ratio is what counts)`,
    );
  line(
    "  top-urls lines per second (whole command)",
    `${Math.round(LINES / ours.seconds).toLocaleString("en")} /s, ${(bytes / 1e6 / ours.seconds).toFixed(0)} MB/s`,
  );
  if (ours.maxRssKb !== undefined)
    line("  top-urls peak RSS (largest process)", `${(ours.maxRssKb / 1024).toFixed(0)} MiB`);
  line(
    "  load average (1, 5, 15 min) after the runs",
    loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
  );
  // Our order is LC_ALL=C's (ties in reverse byte order), so the all-C pipeline is the reference;
  // the pipeline as written may order tied URLs by its locale's collation instead.
  const ourAnswer = answer(ours.stdout).join("\n");
  line(
    "  same top 5 as the all-C pipeline",
    ourAnswer === answer(allC.stdout).join("\n") ? "yes" : `NO\n${ours.stdout}\n${allC.stdout}`,
  );
  line(
    "  same top 5 as the pipeline as written",
    ourAnswer === answer(pipeline.stdout).join("\n")
      ? "yes"
      : `no (ties ordered by ${env})\n${pipeline.stdout}`,
  );
  if (typeof duck !== "string")
    line(
      "  DuckDB's top 5 equals ours",
      answer(duck.stdout).join("\n") === ourAnswer ? "yes" : `NO\n${duck.stdout}`,
    );
}

/** Wall seconds, and CPU seconds (user + system, children included) when GNU time measured them. */
function seconds(run: Timed): string {
  const cpu = run.cpuSeconds !== undefined ? `, ${run.cpuSeconds.toFixed(2)} s CPU` : "";
  return `${run.seconds.toFixed(2)} s wall${cpu}`;
}

/** DuckDB's answer, timed as a spawned process (start-up included), or why it was skipped. */
function duckdb(path: string): Timed | string {
  const prefix = join(dir, "duckdb");
  if (!existsSync(join(prefix, "node_modules", "@duckdb", "node-api"))) {
    mkdirSync(prefix, { recursive: true });
    const install = spawnSync(
      "npm",
      ["install", "--no-save", "--prefix", prefix, "@duckdb/node-api"],
      { encoding: "utf8" },
    );
    if (install.status !== 0)
      return `npm install @duckdb/node-api failed (${(install.stderr ?? "").trim().split("\n").at(-1)})`;
  }
  // The seventh field as awk splits it: six fields and their blanks, then a run of non-blanks.
  const script = String.raw`import { DuckDBInstance } from "@duckdb/node-api";
const path = process.argv[2].replaceAll("'", "''");
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
const reader = await conn.runAndReadAll(String.raw${"`"}
  SELECT url, count(*) AS requests FROM (
    SELECT regexp_extract(line, '^[ \t]*(?:[^ \t]+[ \t]+){6}([^ \t]+)', 1) AS url
    FROM read_csv('PATH', columns = {'line': 'VARCHAR'},
      delim = E'\x01', quote = '', escape = '', header = false, auto_detect = false))
  WHERE url <> '' GROUP BY url ORDER BY requests DESC, url DESC LIMIT 5${"`"}.replace("PATH", path));
for (const row of reader.getRows()) console.log(row[1] + " " + row[0]);
`;
  writeFileSync(join(prefix, "top-urls.mjs"), script);
  const result = timed(process.execPath, [join(prefix, "top-urls.mjs"), path], prefix);
  return result.ok ? result : `the query failed: ${result.stderr.trim().split("\n").at(-1)}`;
}
