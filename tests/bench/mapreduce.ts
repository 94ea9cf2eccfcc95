/**
 * Issue 13: MapReduce simulated records per second. A URL count over a large generated log on 8
 * simulated workers with R = 8, no faults, wall clock for the whole job (map, combine, shuffle,
 * merge, reduce, commit) through the kernel's network; then the same with a straggler and a crash.
 */
import { Dfs } from "../../batch-stream/mapreduce/dfs.js";
import { generateRequests, LOG_PATH, urlCountJob } from "../../batch-stream/mapreduce/jobs.js";
import { runJob } from "../../batch-stream/mapreduce/run.js";
import { Trace } from "../../shared/trace.js";

export async function bench(line: (label: string, value: string) => void): Promise<void> {
  const workers = Array.from({ length: 8 }, (_, i) => `w${i + 1}`);
  const records = 1_000_000;
  const input = generateRequests(1, records, 100_000);
  for (const faults of [false, true]) {
    const dfs = new Dfs(25_000, workers);
    dfs.put(LOG_PATH, input);
    const start = performance.now();
    const r = runJob(Trace.silent(), dfs, urlCountJob("/out", 8), {
      seed: 1,
      workers,
      variant: "correct",
      speculative: true,
      crashes: faults ? 1 : 0,
      ...(faults ? { straggler: "w8" } : {}),
      loss: 0,
      duplicate: 0,
    });
    const seconds = (performance.now() - start) / 1000;
    if (!r.completed) throw new Error("the benchmark job did not complete");
    line(
      `  ${records.toLocaleString("en")} records, 8 workers, R = 8${faults ? ", straggler and a crash" : ""}`,
      `${seconds.toFixed(2)} s, ${Math.round(records / seconds).toLocaleString("en")} input records/s (${r.attempts.length} attempts, ${r.counters.mapInputRecords.toLocaleString("en")} records mapped with re-runs)`,
    );
  }
}
