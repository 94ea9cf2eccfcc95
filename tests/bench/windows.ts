/**
 * Issue 13: the window operator's events per second (batch-stream/windows/operator.ts), in memory
 * for tumbling, hopping and session windows, and through the `window` command on a generated
 * NDJSON file, start-up, reading and writing included.
 *
 * The input: 1,000 keys (Zipf-distributed), event times advancing 1 ms per event on average with
 * up to 5 s of disorder, a bounded-out-of-orderness watermark (5 s) every 1,000 events, so that
 * no event is dropped and each window is open for a few seconds of event time beyond its end.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WindowAssigner } from "../../batch-stream/windows/assigners.js";
import { WindowOperator } from "../../batch-stream/windows/operator.js";
import { BoundedOutOfOrdernessWatermarks } from "../../batch-stream/windows/watermarks.js";
import { Random } from "../../shared/random.js";

const EVENTS = 2_000_000;
const KEYS = 1_000;
const DISORDER_MS = 5_000;

interface Input {
  keys: string[];
  values: Int32Array;
  times: Float64Array;
}

function generate(count: number): Input {
  const random = new Random(1).fork("windows-bench");
  const names = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
  const keys: string[] = new Array(count);
  const values = new Int32Array(count);
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    keys[i] = names[random.zipf(KEYS, 1) - 1] as string;
    values[i] = random.int(1, 10);
    times[i] = Math.max(0, i - random.int(0, DISORDER_MS));
  }
  return { keys, values, times };
}

function throughOperator(input: Input, assigner: WindowAssigner) {
  let panes = 0;
  const op = new WindowOperator({ assigner, allowedLatenessMs: 0, mode: "accumulating" }, () => {
    panes++;
  });
  const watermarks = new BoundedOutOfOrdernessWatermarks(DISORDER_MS);
  const start = performance.now();
  const n = input.times.length;
  for (let i = 0; i < n; i++) {
    const t = input.times[i] as number;
    op.processElement(input.keys[i] as string, input.values[i] as number, t);
    watermarks.onEvent(t);
    if (i % 1000 === 999) op.processWatermark(watermarks.current());
  }
  op.finish();
  const seconds = (performance.now() - start) / 1000;
  return { rate: n / seconds, panes, dropped: op.stats.dropped, open: op.stats.maxOpenWindows };
}

const ASSIGNERS: { label: string; assigner: WindowAssigner }[] = [
  { label: "tumbling 1m", assigner: { kind: "tumbling", sizeMs: 60_000 } },
  {
    label: "hopping 1m every 10s (6 windows an event)",
    assigner: { kind: "sliding", sizeMs: 60_000, slideMs: 10_000 },
  },
  { label: "session, gap 30s", assigner: { kind: "session", gapMs: 30_000 } },
];

/**
 * CPU seconds (user + system) of the waited-for children of this process, from /proc/self/stat
 * (cutime and cstime, in clock ticks of 1/100 s): on a loaded machine the wall clock says more
 * about the neighbours than about the command. Undefined where there is no /proc.
 */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

export async function bench(line: (label: string, value: string) => void): Promise<void> {
  const input = generate(EVENTS);
  const n = (x: number) => Math.round(x).toLocaleString("en");
  console.log(
    `  in memory: ${n(EVENTS)} events, ${n(KEYS)} keys (Zipf), up to ${DISORDER_MS / 1000} s out of order, a watermark every 1,000 events`,
  );
  for (const { label, assigner } of ASSIGNERS) {
    throughOperator(generate(200_000), assigner); // warm the JIT
    const r = throughOperator(input, assigner);
    line(
      `  ${label}`,
      `${n(r.rate)} events/s (${n(r.panes)} panes, ${n(r.dropped)} dropped, ≤ ${n(r.open)} open)`,
    );
  }

  const dir = mkdtempSync(join(tmpdir(), "windows-bench-"));
  try {
    const path = join(dir, "events.ndjson");
    const lines: string[] = [];
    const watermarks = new BoundedOutOfOrdernessWatermarks(DISORDER_MS);
    for (let i = 0; i < EVENTS; i++) {
      const t = input.times[i] as number;
      lines.push(`{"key":"${input.keys[i]}","value":${input.values[i]},"eventTime":${t}}`);
      watermarks.onEvent(t);
      if (i % 1000 === 999) lines.push(`{"watermark":${watermarks.current()}}`);
    }
    writeFileSync(path, `${lines.join("\n")}\n`);
    const mb = statSync(path).size / 1e6;
    console.log(
      `  the window command on a ${mb.toFixed(0)} MB file of the same events (one run, wall clock)`,
    );
    for (const { label, flags } of [
      { label: "--size 1m", flags: ["--size", "1m"] },
      { label: "--size 1m --slide 10s", flags: ["--size", "1m", "--slide", "10s"] },
      { label: "--gap 30s", flags: ["--gap", "30s"] },
    ]) {
      const cpuBefore = childrenCpuSeconds();
      const start = performance.now();
      const result = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "batch-stream/main.ts",
          "window",
          "--input",
          path,
          ...flags,
          "--output",
          join(dir, "panes.ndjson"),
        ],
        { cwd: join(import.meta.dirname, "..", ".."), encoding: "utf8" },
      );
      const seconds = (performance.now() - start) / 1000;
      if (result.status !== 0) {
        line(
          `  ${label}`,
          `failed (exit ${result.status}): ${result.stderr.trim().split("\n")[0]}`,
        );
        continue;
      }
      const cpuAfter = childrenCpuSeconds();
      const cpu =
        cpuBefore === undefined || cpuAfter === undefined
          ? ""
          : `; ${(cpuAfter - cpuBefore).toFixed(2)} s of CPU, ${n(EVENTS / (cpuAfter - cpuBefore))} events per CPU second`;
      line(`  ${label}`, `${seconds.toFixed(2)} s wall, ${n(EVENTS / seconds)} events/s${cpu}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
