/**
 * MapReduce on simulated workers (DDIA ch. 10, "MapReduce and Distributed Filesystems", "MapReduce
 * Job Execution", "Comparing Hadoop to Distributed Databases: Designing for frequent faults"; Dean
 * and Ghemawat, OSDI 2004). The story, top to bottom:
 *   1. job 1 counts requests per URL with no faults: map tasks near their data, partition by hash
 *      of key, sort, combine, shuffle, merge, reduce, commit by rename;
 *   2. the same job with a straggler and a worker crash halfway through a reduce task: the master
 *      re-runs the task elsewhere and re-executes the crashed worker's completed map tasks, whose
 *      output was on its local disk; a backup task overtakes the straggler. The committed output
 *      is compared with run 1's, byte for byte;
 *   3. the same faults with speculative execution the other way round, for the job times;
 *   4. job 2 of the workflow reads job 1's committed output and keeps the top N.
 * `--variant no-rename` writes reduce output straight into the final file: a task that runs twice
 * writes its output twice, and the byte-for-byte check catches it.
 */

import { choice, decimal, integer, option, probability, type Scenario } from "../../shared/cli.js";
import { Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import {
  DEAD_AFTER_MS,
  PING_MS,
  SLOW_TASK_FACTOR,
  STRAGGLER_SLOWDOWN,
} from "../mapreduce/costs.js";
import { Dfs } from "../mapreduce/dfs.js";
import {
  countDirectly,
  generateRequests,
  LOG_PATH,
  topDirectly,
  topJob,
  urlCountJob,
} from "../mapreduce/jobs.js";
import type { Attempt, AttemptOutcome } from "../mapreduce/master.js";
import { type JobRun, runJob } from "../mapreduce/run.js";
import type { CommitVariant } from "../mapreduce/worker.js";
import { REF } from "../refs.js";

export interface MapReduceFlags {
  workers: number;
  reducers: number;
  records: number;
  blockRecords: number;
  crash: number;
  straggler: "on" | "off";
  speculative: "on" | "off";
  variant: CommitVariant;
  top: number;
  loss: number;
  duplicate: number;
}

const ms = (t: number) => `${t.toFixed(0)} ms`;

/** What each outcome in the attempts table means, for its caption. */
const OUTCOMES: Record<AttemptOutcome, string> = {
  running: "still running when the run stopped",
  completed: "map output on the worker's disk",
  committed: "output renamed into place",
  discarded: "finished after another attempt committed",
  killed: "another attempt won, or the job completed without it",
  crashed: "the worker failed mid-task",
  lost: "the worker never got it, or lost it in a restart",
  "output lost": "a completed map output on a failed worker",
  ignored: "completion reported after another attempt's",
};

function attemptRows(run: JobRun): (string | number)[][] {
  return run.attempts.map((a: Attempt) => [
    a.id,
    a.worker,
    a.kind === "map" ? (a.local ? "local" : "remote") : "",
    a.backup ? "backup" : "",
    a.startMs.toFixed(0),
    a.endMs === undefined ? "" : a.endMs.toFixed(0),
    a.outcome,
  ]);
}

export const mapreduce: Scenario<MapReduceFlags> = {
  name: "mapreduce",
  summary:
    "a MapReduce job on simulated workers: locality, partition, sort, combiner, shuffle; a straggler and a backup task, a worker crash and its tasks re-run, output committed by rename; a two-job workflow",
  networked: true,
  options: [
    option("--workers <count>", "worker machines", integer(2, 16), 4),
    option("--reducers <count>", "reduce tasks (R) of job 1", integer(1, 16), 3),
    option("--records <count>", "requests in the input log", integer(1, 200_000), 2_000),
    option(
      "--block-records <count>",
      "records per DFS block (one map task each)",
      integer(10, 100_000),
      250,
    ),
    option(
      "--crash <count>",
      "worker crashes in run 2 (halfway through a reduce task, then a map task, alternately)",
      integer(0, 4),
      1,
    ),
    option(
      "--straggler <on|off>",
      `one worker runs ${STRAGGLER_SLOWDOWN} times slower`,
      choice(["on", "off"] as const),
      "on",
    ),
    option(
      "--speculative <on|off>",
      "backup tasks for stragglers (speculative execution) in run 2",
      choice(["on", "off"] as const),
      "on",
    ),
    option(
      "--variant <name>",
      "correct (output committed by rename), or the broken no-rename (reducers append to the final file)",
      choice(["correct", "no-rename"] as const),
      "correct",
    ),
    option("--top <n>", "how many URLs job 2 keeps", integer(1, 50), 5),
    option(
      "--loss <p>",
      `probability that a message is lost in run 2 (at most 0.1: the master marks a worker failed after ${DEAD_AFTER_MS} ms without an answer to its pings, every ${PING_MS} ms, so more loss makes it mark live workers failed again and again, each time re-executing their completed map tasks)`,
      decimal(0, 0.1),
      0,
    ),
    option(
      "--duplicate <p>",
      "probability that a message is delivered twice in run 2",
      probability,
      0,
    ),
  ],
  validate: (o) => {
    const blocks = Math.ceil(o.records / o.blockRecords);
    if (blocks > 400)
      return `--records ${o.records} in blocks of --block-records ${o.blockRecords} make ${blocks} map tasks; at most 400 are allowed (raise --block-records)`;
    const healthy = o.workers - (o.straggler === "on" ? 1 : 0);
    if (o.crash > healthy)
      return `--crash ${o.crash} needs as many workers besides the straggler (there are ${healthy}): each crash hits a different worker`;
    return undefined;
  },
  run: ({ trace, seed }, o) => {
    const workers = Array.from({ length: o.workers }, (_, i) => `w${i + 1}`);
    const straggler = o.straggler === "on" ? workers[workers.length - 1] : undefined;
    const input = generateRequests(seed, o.records);
    const freshDfs = () => {
      const dfs = new Dfs(o.blockRecords, workers);
      dfs.put(LOG_PATH, input);
      return dfs;
    };
    const job1 = urlCountJob("/out/url-counts", o.reducers);
    const base = { seed, workers, crashes: 0, loss: 0, duplicate: 0 };

    trace.section("Job 1, no faults: requests per URL", REF.mapReduceExecution);
    const dfs0 = freshDfs();
    const blocks = dfs0.blocks(LOG_PATH).length;
    trace.note(
      `The input, ${plural(o.records, "request")} ("198.51.100.7 /articles/3"), is in the distributed filesystem as ${LOG_PATH}: ${plural(blocks, "block")} of up to ${o.blockRecords} records, ${blocks === 1 ? "" : "each "}stored on ${Math.min(3, o.workers)} of the ${o.workers} workers. The master makes one map task per block and gives each to a worker holding a replica of its block when one is idle ("putting the computation near the data"). The mapper emits (URL, 1); the output is partitioned by hash of the URL into R = ${plural(o.reducers, "partition")}, sorted, and summed per URL by the combiner. Each reducer fetches its partition from every map output, merges the sorted runs and sums each URL's counts.`,
      { ref: REF.distributedExecution },
    );
    const clean = runJob(trace.detailed(), dfs0, job1, {
      ...base,
      variant: "correct",
      speculative: true,
    });
    const local = clean.attempts.filter((a) => a.kind === "map" && a.local).length;
    const maps = clean.attempts.filter((a) => a.kind === "map").length;
    trace.note(
      `Finished at ${ms(clean.endMs)}. ${local} of ${plural(maps, "map task")} read a local replica. The mappers emitted ${plural(clean.counters.mapOutputRecords, "record")}; ${clean.counters.combinedRecords < clean.counters.mapOutputRecords ? `the combiner cut them to ${clean.counters.combinedRecords} before the shuffle` : "the combiner had nothing to merge: no URL came twice in one map task's output"}. ${clean.reducerLoads.length === 1 ? `The reducer took in ${plural(clean.reducerLoads[0] ?? 0, "record")} and committed ${clean.outputFiles.map((f) => f.split("/").pop()).join(", ")} by renaming its temporary file.` : `The reducers took in ${clean.reducerLoads.join(", ")} records and committed ${clean.outputFiles.map((f) => f.split("/").pop()).join(", ")}, each by renaming its temporary file.`}`,
      { level: "summary" },
    );
    trace.check("job 1 completed without faults", clean.completed, {
      detail: `at ${ms(clean.endMs)}`,
    });
    const direct = countDirectly(input);
    const counted = clean.output
      .trimEnd()
      .split("\n")
      .filter((l) => l !== "");
    const agree =
      counted.length === direct.size &&
      counted.every((l) => {
        const [url, n] = l.split("\t") as [string, string];
        return direct.get(url) === Number(n);
      });
    trace.check("job 1's counts equal a direct count of the input", agree, {
      detail: `${plural(counted.length, "URL")}`,
      ref: REF.mapReduceExecution,
    });

    const faults = [
      straggler === undefined
        ? ""
        : `${straggler} is a straggler, ${STRAGGLER_SLOWDOWN} times slower than the others`,
      o.crash === 0
        ? ""
        : `${plural(o.crash, "worker crash", "worker crashes")}: ${o.crash > 1 ? "the first halfway through a reduce task, the next halfway through a map task, and so on, each worker" : "halfway through a reduce task, the worker"} restarting later with an empty local disk`,
      o.loss > 0 || o.duplicate > 0 ? `message loss ${o.loss}, duplication ${o.duplicate}` : "",
    ].filter((s) => s !== "");
    const speculative = o.speculative === "on";
    trace.section(
      `Job 1 again${faults.length === 0 ? ", still without faults" : ", with faults"}; backup tasks ${speculative ? "on" : "off"}; variant ${o.variant}`,
      REF.frequentFaults,
    );
    trace.note(
      `${faults.length === 0 ? "No faults this time either." : `${faults.join("; ")}.`} The master pings every worker; a worker silent for ${DEAD_AFTER_MS} ms is marked failed, and its tasks in progress and its completed map tasks go back to idle. ${speculative ? `Near the end of a phase an idle worker gets a backup attempt of a task running ${SLOW_TASK_FACTOR} times longer than the mean finished one; the first attempt to finish wins.` : "No backup tasks: a slow task is waited for."} ${o.variant === "correct" ? "Reducers write to a temporary file and commit it by an atomic rename, which fails if another attempt committed first." : "Broken: reducers append straight to part-r-NNNNN, so a task that runs twice writes twice."} The master's decisions follow; every worker's step shows with --verbose.`,
      { ref: REF.mapReducePaperFaults },
    );
    const faultOptions = {
      seed,
      workers,
      variant: o.variant,
      crashes: o.crash,
      loss: o.loss,
      duplicate: o.duplicate,
      ...(straggler !== undefined ? { straggler } : {}),
    };
    const dfs1 = freshDfs();
    const faulty = runJob(trace, dfs1, job1, { ...faultOptions, speculative });
    const struck = faulty.crashes.length;
    if (struck < o.crash)
      trace.note(
        `${struck === 0 ? "No crash" : `Only ${struck} of the ${o.crash} crashes`} struck: the next one waited for a ${struck % 2 === 0 ? "reduce" : "map"} task to start on a worker not crashed before (and not the straggler), and none did before the job completed.`,
        { level: "summary" },
      );
    const TABLE_ROWS_MAX = 30;
    const plain = (a: Attempt) =>
      !a.backup && (a.outcome === "completed" || a.outcome === "committed");
    const shown =
      faulty.attempts.length <= TABLE_ROWS_MAX
        ? faulty.attempts
        : faulty.attempts.filter((a) => !plain(a)).slice(0, TABLE_ROWS_MAX);
    const outcomes = new Map<string, number>();
    for (const a of faulty.attempts) outcomes.set(a.outcome, (outcomes.get(a.outcome) ?? 0) + 1);
    trace.table(
      faulty.attempts.length <= TABLE_ROWS_MAX
        ? "Task attempts of run 2"
        : `Task attempts of run 2: ${shown.length} of the ${faulty.attempts.length} (the first that were not a plain completion)`,
      ["attempt", "worker", "input", "kind", "start ms", "end ms", "outcome"],
      attemptRows({ ...faulty, attempts: shown }),
      `${[...outcomes].map(([k, n]) => `${k} ${n} (${OUTCOMES[k as AttemptOutcome]})`).join(", ")}`,
    );
    trace.check(
      faults.length === 0 ? "job 1 completed again" : "job 1 completed despite the faults",
      faulty.completed,
      {
        detail: `at ${ms(faulty.endMs)}`,
      },
    );
    const identical = faulty.output === clean.output;
    const ranTwice = faulty.attempts.filter(
      (a) => a.kind === "reduce" && a.outcome !== "committed" && a.outcome !== "lost",
    ).length;
    const OUTPUT_CHECK = "run 2's committed output is byte for byte run 1's";
    if (faults.length === 0 && faulty.attempts.every(plain))
      trace.notExercised(
        OUTPUT_CHECK,
        "run 2 had no faults and no task ran twice: it was run 1 again",
        { ref: REF.mapReducePaperFaults },
      );
    else
      trace.check(OUTPUT_CHECK, identical, {
        expected: o.variant === "correct",
        detail: identical
          ? `${faulty.output.length} bytes in ${plural(faulty.outputFiles.length, "file")}${o.variant === "no-rename" && ranTwice === 0 ? "; no reduce task ran twice, so nothing was written twice" : ""}`
          : `${faulty.output.length} bytes against ${clean.output.length}: ${faulty.output.length > clean.output.length ? "a reduce task that ran twice wrote its output twice" : "the outputs differ"}`,
        ref: REF.mapReducePaperFaults,
      });

    const other = runJob(Trace.silent(), freshDfs(), job1, {
      ...faultOptions,
      speculative: !speculative,
    });
    const [withBackups, without] = speculative ? [faulty, other] : [other, faulty];
    trace.table(
      "Job time",
      ["run", "faults", "backup tasks", "job time", "attempts"],
      [
        ["1", "none", "on", ms(clean.endMs), clean.attempts.length],
        [
          "2, and its twin",
          faults.length === 0 ? "none" : "as above",
          "on",
          ms(withBackups.endMs),
          withBackups.attempts.length,
        ],
        ["", "", "off", ms(without.endMs), without.attempts.length],
      ],
    );
    if (straggler !== undefined)
      trace.note(
        without.endMs > withBackups.endMs
          ? `Without backup tasks the job takes ${ms(without.endMs)} instead of ${ms(withBackups.endMs)}, ${(((without.endMs - withBackups.endMs) / withBackups.endMs) * 100).toFixed(0)}% longer: nothing overtakes the straggler's tasks. The paper measured a sort 44% longer with backup tasks turned off.`
          : `Here the backup tasks did not shorten the job (${ms(withBackups.endMs)} with them, ${ms(without.endMs)} without): the straggler's tasks did not end up on the job's critical path.`,
        { level: "summary", ref: REF.mapReducePaperBackupTasks },
      );

    trace.section(`Job 2 of the workflow: the top ${plural(o.top, "URL")}`, REF.workflows);
    trace.note(
      `Job 2 reads the files job 1 committed in run 2 (${plural(faulty.outputFiles.length, "part file")} under /out/url-counts) as its input: a workflow is a chain of jobs, each starting when the one before has committed its output. Its mapper emits every (URL, count) under one key; the combiner keeps each map task's top ${o.top}; one reducer picks the top ${o.top} of those.`,
      { ref: REF.workflows },
    );
    const top = runJob(trace.detailed(), dfs1, topJob("/out/url-counts", "/out/top", o.top), {
      ...base,
      variant: "correct",
      speculative: true,
    });
    const rows = top.output
      .trimEnd()
      .split("\n")
      .filter((l) => l !== "")
      .map((l, i) => [i + 1, ...(l.split("\t") as [string, string])]);
    trace.table(`Top ${plural(o.top, "URL")}`, ["rank", "url", "requests"], rows);
    const expected = topDirectly(input, o.top).join("\n");
    trace.check(
      `job 2's top ${o.top} equals the top ${o.top} of a direct count`,
      top.output.trimEnd() === expected,
      {
        expected: o.variant === "correct",
        detail:
          top.output.trimEnd() === expected
            ? `${plural(rows.length, "row")}`
            : "it differs: the job 1 output it read was not a correct count",
        ref: REF.workflows,
      },
    );
  },
};
