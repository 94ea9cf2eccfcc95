/**
 * Exactly-once output from a stream job after a crash (DDIA ch. 11, "Fault Tolerance":
 * "Microbatching and checkpointing", "Atomic commit revisited", "Idempotence", "Rebuilding state
 * after a failure"), built as Flink builds it: checkpoints by aligned barriers (Carbone et al.
 * 2015), restart from the last completed checkpoint with the sources rewound, and a sink that is
 * transactional (two-phase, one transaction per checkpoint) or idempotent (upsert by record id).
 *
 * The story:
 *   1. the job, the log and the protocol, in a few lines;
 *   2. a run without faults, the reference;
 *   3. the same seed with --crash task failures and the chosen --sink: the failure, the restart
 *      from the last completed checkpoint, the replay; the checkpoints' table; what readers of the
 *      store saw; two checks: every completed checkpoint is a consistent cut, and the store's rows
 *      equal the reference's;
 *   4. the three sinks under the same failures, side by side.
 * Broken variants: --sink append (duplicates after the replay) and --alignment off (Flink's
 * at-least-once mode: a snapshot that counts records its offsets say are still to be read).
 */

import { AssertionFailed, unreachable } from "../../shared/assert.js";
import { choice, integer, option, type Scenario } from "../../shared/cli.js";
import { mean } from "../../shared/stats.js";
import { Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { offsetsOf } from "../exactly-once/coordinator.js";
import {
  COORDINATOR,
  compareRows,
  expectedRows,
  FAILURE_DETECTION_MS,
  inconsistentCheckpoints,
  type JobOptions,
  type JobResult,
  OPERATOR,
  RESTART_DELAY_MS,
  runJob,
} from "../exactly-once/job.js";
import { PARTITION_KEYS } from "../exactly-once/log.js";
import { SINKS, type SinkKind } from "../exactly-once/sink.js";
import { EMIT_MS_MAX, EMIT_MS_MIN } from "../exactly-once/source.js";
import { REF } from "../refs.js";

export interface ExactlyOnceFlags {
  records: number;
  checkpointInterval: number;
  crash: number;
  sink: SinkKind;
  alignment: "on" | "off";
}

const list = (items: readonly string[], max = 6) =>
  items.length <= max
    ? items.join(", ")
    : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;

export const exactlyOnce: Scenario<ExactlyOnceFlags> = {
  name: "exactly-once",
  summary:
    "a keyed running total over a partitioned log with checkpoints (aligned barriers, as Flink does): a task fails, the job restarts from the last completed checkpoint, and a transactional or idempotent sink leaves the store as a run without faults would; an append sink duplicates",
  networked: true,
  options: [
    option("--records <count>", "records in the log, over two partitions", integer(0, 20_000), 200),
    option(
      "--checkpoint-interval <ms>",
      "time between checkpoint triggers, in simulated ms",
      integer(10, 10_000),
      100,
    ),
    option(
      "--crash <count>",
      "task failures, each restarting the job from the last completed checkpoint; each strikes a random task at a random time after the job (re)starts, within the time the input takes to send divided by the count",
      integer(0, 10),
      1,
    ),
    option(
      "--sink <kind>",
      "transactional (two-phase commit per checkpoint), idempotent (upsert by record id), or append (broken: neither)",
      choice(SINKS),
      "transactional",
    ),
    option(
      "--alignment <on|off>",
      "align barriers on the operator's two inputs; off is Flink's at-least-once mode (broken for exactly-once)",
      choice(["on", "off"] as const),
      "on",
    ),
  ],
  run: ({ trace, seed }, flags) => {
    const options: JobOptions = {
      seed,
      records: flags.records,
      checkpointIntervalMs: flags.checkpointInterval,
      crashes: flags.crash,
      sink: flags.sink,
      alignment: flags.alignment === "on",
    };
    introduce(trace, options);
    const reference = runJob(Trace.silent(), { ...options, crashes: 0 });
    trace.section("Without faults: the reference", REF.faultTolerance);
    narrateReference(trace, reference);
    const title = `${options.crashes === 0 ? "No task failure" : plural(options.crashes, "task failure")}, ${options.sink} sink${options.alignment ? "" : ", barriers not aligned"}`;
    trace.section(title, REF.checkpointing);
    trace.note("Each checkpoint's steps show with --verbose; the table below sums them up.");
    const result = runJob(trace, options);
    narrateRun(trace, options, reference, result);
    compareSinks(trace, options);
  },
};

function introduce(trace: Trace, options: JobOptions): void {
  const [p0, p1] = PARTITION_KEYS.map((keys) => keys.join(", "));
  trace.note(
    `The input: a log of ${plural(options.records, "record")} in two partitions, p0 with the keys ${p0}, p1 with ${p1} (partitioned by key, so a key's records are in order in one partition). A source task per partition sends a record every ${EMIT_MS_MIN} to ${EMIT_MS_MAX} ms to the operator ${OPERATOR}, which keeps a running total per key and sends the sink a row per record (id p0@17 for offset 17 of p0, key, value, total); the sink writes rows to an external store that readers query.`,
    { level: "summary", ref: REF.partitionedLogs },
  );
  trace.note(
    `Every ${options.checkpointIntervalMs} ms the ${COORDINATOR} (Flink's JobManager, which also restarts the job after a failure) triggers a checkpoint: each source injects a barrier into its stream and acknowledges with its offset; the operator ${options.alignment ? "blocks an input whose barrier has arrived until the barrier is in on both (alignment), then" : "(with --alignment off, Flink's at-least-once mode, blocking no input) once the barrier is in on both inputs"} forwards the barrier, snapshots its totals and acknowledges; then the sink, on the barrier, acknowledges. With every acknowledgement in, the checkpoint is complete and each task is told. This is Flink's asynchronous barrier snapshotting, after Chandy and Lamport.`,
    { level: "summary", ref: `${REF.checkpointing}; ${REF.carbone2015}` },
  );
  trace.note(
    "Channels between tasks are reliable and in order, as Flink's TCP connections are (no record overtakes a barrier), so there is no --loss or --duplicate: in Flink a broken connection fails the task, which is what --crash does.",
    { level: "summary" },
  );
}

function narrateReference(trace: Trace, r: JobResult): void {
  trace.note(
    `${plural(r.rows.length, "row")} in the store, ${plural(r.checkpoints.length, "checkpoint")} completed, input done at ${r.endMs.toFixed(0)} ms.`,
    { level: "summary" },
  );
  const expected = expectedRows(r.log);
  const c = compareRows(expected, r.rows);
  const name =
    "the reference holds each record's row once, with its key's running total in log order";
  if (r.log.every((p) => p.length === 0)) trace.notExercised(name, "the log is empty");
  else
    trace.check(name, c.equal, {
      detail: c.equal
        ? `${plural(expected.length, "row")}, computed from the log directly`
        : `${c.missing.length} missing, ${c.duplicates} duplicated, ${c.changed.length} different`,
      ref: REF.faultTolerance,
    });
}

function narrateRun(trace: Trace, options: JobOptions, reference: JobResult, r: JobResult): void {
  const rows = r.checkpoints.map((c) => {
    const alignment = r.alignments.find((a) => a.checkpointId === c.id);
    return [
      c.id,
      c.triggeredAtMs.toFixed(0),
      c.completedAtMs.toFixed(0),
      offsetsOf(c).join(" / "),
      alignment === undefined ? "" : alignment.durationMs.toFixed(1),
      alignment?.records ?? "",
    ];
  });
  trace.table(
    "Completed checkpoints",
    [
      "id",
      "triggered (ms)",
      "completed (ms)",
      "offsets p0 / p1",
      "alignment (ms)",
      options.alignment ? "records held back" : "records past a barrier",
    ],
    rows,
    [
      r.abandoned.length > 0
        ? `Abandoned by a restart while in progress: ${r.abandoned.join(", ")}.`
        : "",
      options.alignment
        ? "Alignment is the wait from the first barrier to the last; the records that arrived on the blocked input meanwhile were held back, then processed after the snapshot."
        : "Without alignment no input is blocked: the records that came after a barrier and before the last barrier were counted into the snapshot.",
    ]
      .filter((s) => s !== "")
      .join(" "),
  );
  for (const restart of r.restarts) {
    const ranges = restart.offsets.map((from, p) => {
      const to = restart.readUpTo[p] ?? from;
      if (to <= from) return `nothing of p${p}`;
      return to === from + 1 ? `p${p} offset ${from}` : `p${p} offsets ${from} to ${to - 1}`;
    });
    const count = restart.offsets.reduce(
      (sum, from, p) => sum + (restart.readUpTo[p] ?? from) - from,
      0,
    );
    trace.note(
      `${restart.failedTask} failed at ${restart.failedAtMs.toFixed(0)} ms; the job restarted from ${restart.checkpointId === undefined ? "the beginning of the log" : `checkpoint ${restart.checkpointId}`} at ${restart.restartedAtMs.toFixed(0)} ms (failure noticed after ${FAILURE_DETECTION_MS} ms, restart delay ${RESTART_DELAY_MS} ms)${count === 0 ? "; the sources had read no record past the restored position, so none is read twice." : `, and the sources read again ${plural(count, "record")} they had read before: ${ranges.join(" and ")}.`}`,
      { level: "summary", ref: REF.rebuildingState },
    );
  }
  if (r.crashesNotStruck > 0)
    trace.note(
      `${plural(r.crashesNotStruck, "failure")} did not strike: the input was done first.`,
      { level: "summary" },
    );
  narrateReaders(trace, options, r);

  // Check 1: every completed checkpoint is a consistent cut.
  const cut =
    "every completed checkpoint is consistent: the operator's totals are the log's records before its offsets";
  const inconsistent = inconsistentCheckpoints(r.log, r.checkpoints);
  if (r.log.every((p) => p.length === 0)) trace.notExercised(cut, "the log is empty");
  else
    trace.check(cut, inconsistent.length === 0, {
      expected: options.alignment,
      detail:
        inconsistent.length === 0
          ? `${plural(r.checkpoints.length, "checkpoint")} compared with the log`
          : `${inconsistent.length} of ${r.checkpoints.length} not: ${list(
              inconsistent.map(
                (i) =>
                  `checkpoint ${i.checkpointId} has ${i.keys.map((k) => `${k.key} ${k.snapshot} where the log says ${k.log}`).join(", ")}`,
              ),
              2,
            )}`,
      ref: REF.carbone2015,
    });

  // Check 2: the store after the failures equals the reference.
  const same = "exactly-once: the store's rows after the failures equal the run without faults";
  const c = compareRows(reference.rows, r.rows);
  const correct = options.sink !== "append" && options.alignment;
  if (r.log.every((p) => p.length === 0)) trace.notExercised(same, "the log is empty");
  else if (r.restarts.length === 0)
    trace.notExercised(
      same,
      options.crashes === 0
        ? "--crash 0: nothing failed"
        : "no failure struck before the input was done",
    );
  else {
    if (c.duplicates > 0)
      trace.note(
        `${plural(c.duplicatedIds.length, "row")} ${c.duplicatedIds.length === 1 ? "is" : "are"} in the store more than once (${plural(c.duplicates, "extra copy", "extra copies")}): ${list(c.duplicatedIds)}. ${c.duplicatedIds.length === 1 ? "It" : "Each"} ${whyDuplicated(options.sink)}`,
        { level: "summary", ref: REF.checkpointing },
      );
    if (c.changed.length > 0)
      trace.note(
        `${plural(c.changed.length, "row")} ${c.changed.length === 1 ? "differs" : "differ"} from the reference (${list(c.changed)}): the restored totals already counted records that were then read again, so every later total of those keys is too high.`,
        { level: "summary", ref: REF.carbone2015 },
      );
    const restoredInconsistent = r.restarts.some((x) =>
      inconsistent.some((i) => i.checkpointId === x.checkpointId),
    );
    if (c.equal && !options.alignment && !restoredInconsistent) {
      const restored = r.restarts.map((x) =>
        x.checkpointId === undefined ? "the beginning of the log" : `checkpoint ${x.checkpointId}`,
      );
      trace.note(
        `Without alignment the store still matches here: the job restarted only from ${list([...new Set(restored)])}, and no checkpoint restored counted a record past its offsets. A restore from an inconsistent one would have counted records twice.`,
        { level: "summary", ref: REF.carbone2015 },
      );
    }
    trace.check(same, c.equal, {
      expected: correct,
      detail: c.equal
        ? `${plural(r.rows.length, "row")}, each once, as in the run without faults, after ${plural(r.restarts.length, "restart")}`
        : `${plural(c.duplicates, "extra copy", "extra copies")}, ${c.missing.length} missing, ${c.changed.length} different, of ${plural(reference.rows.length, "row")}`,
      ref: REF.faultTolerance,
    });
  }
}

/** Why a row is in the store twice, by the sink that wrote it (a predicate: "Each …"). */
function whyDuplicated(sink: SinkKind): string {
  switch (sink) {
    case "append":
      return "is the output of a record read again after a restart whose row had already reached the store; an append sink cannot tell a replayed row from a new one, so it wrote it again. The restart rewound the job's state, but not the side effect it already had on the outside world.";
    case "transactional":
      return "is a record that a restored checkpoint both committed and had still to read: without alignment it arrived after the barrier on its input but before the barrier on the other, so the operator counted it and sent its row ahead of the barrier it forwarded, and the sink committed the row with that checkpoint, whose offsets put the record after the barrier. The replay read it again and a later transaction committed its row again.";
    case "idempotent":
      // An upsert by id holds each id once, whatever is replayed: a duplicate is a bug.
      throw new AssertionFailed("the idempotent sink's store holds an id twice");
    default:
      return unreachable(sink, "sink");
  }
}

function narrateReaders(trace: Trace, options: JobOptions, r: JobResult): void {
  const s = r.storeStats;
  if (r.log.every((p) => p.length === 0)) {
    trace.note("The log is empty: no row was written, and readers had nothing to see.", {
      level: "summary",
    });
    return;
  }
  switch (options.sink) {
    case "transactional": {
      const delays = r.rows.map((row) => row.visibleAtMs - row.writtenAtMs);
      const aborted =
        s.aborts === 0
          ? ""
          : `, ${plural(s.aborts, "transaction")} aborted after a restart (${s.rowsAborted === 0 ? (s.aborts === 1 ? "it was empty" : "all empty") : `${plural(s.rowsAborted, "row")} no reader ever saw`})`;
      trace.note(
        `Readers saw a row only once a checkpoint after it completed and the sink committed its transaction: ${plural(s.commits, "commit")}${aborted}. The price is latency: a row became visible ${mean(delays).toFixed(0)} ms after the sink wrote it on average, ${Math.max(0, ...delays).toFixed(0)} ms at most, with a checkpoint triggered every ${options.checkpointIntervalMs} ms. So the outputs and the state changes of the records up to a checkpoint take effect together or not at all: Flink's two-phase commit sink does it with the external system's own transactions (Kafka's transactional producer), pre-committed at the checkpoint and committed once the checkpoint completes.`,
        { level: "summary", ref: REF.atomicCommitRevisited },
      );
      return;
    }
    case "idempotent": {
      const rewrites =
        r.restarts.length === 0
          ? "No task failed, so no row was written twice."
          : s.overwrites === 0
            ? `The ${r.restarts.length === 1 ? "replay after the restart" : "replays after the restarts"} rewrote no row: no record read again had had its row written before the failure.`
            : `The ${r.restarts.length === 1 ? "replay after the restart" : "replays after the restarts"} wrote ${plural(s.overwrites, "row")} again, upserted under the same id, ${s.overwritesChanged === 0 ? "each with the same value: a record's row depends only on the log, so the rewrite changed nothing" : `and ${s.overwritesChanged} of them with a different value, because the restored state was not the one those rows were first computed from`}.`;
      trace.note(
        `Readers saw each row as soon as the sink wrote it, with no wait for a checkpoint. ${rewrites} Idempotence is safe only if the processing is deterministic and the replay reads the same records in the same order, as a log-based broker's partitions give.`,
        { level: "summary", ref: REF.idempotence },
      );
      return;
    }
    case "append":
      trace.note(
        `Readers saw each row as soon as the sink wrote it: ${plural(s.appends, "insert")} for ${plural(
          r.log.reduce((n, p) => n + p.length, 0),
          "record",
        )}.`,
        { level: "summary" },
      );
      return;
  }
}

function compareSinks(trace: Trace, options: JobOptions): void {
  trace.section("The three sinks under the same failures", REF.faultTolerance);
  const rows = SINKS.map((sink) => {
    const reference = runJob(Trace.silent(), { ...options, sink, crashes: 0 });
    const r = runJob(Trace.silent(), { ...options, sink });
    const c = compareRows(reference.rows, r.rows);
    const delays = r.rows.map((row) => row.visibleAtMs - row.writtenAtMs);
    return [
      sink,
      r.rows.length,
      c.duplicates,
      c.changed.length,
      r.restarts.length === 0 ? "no failure" : c.equal ? "yes" : "no",
      mean(delays).toFixed(0),
    ];
  });
  trace.table(
    `Each sink with the same seed, ${options.crashes === 0 ? "no task failure" : plural(options.crashes, "task failure")}${options.alignment ? "" : ", barriers not aligned"}`,
    [
      "sink",
      "rows",
      "extra copies",
      "rows different",
      "equals the run without faults",
      "mean ms to visible",
    ],
    rows,
    options.crashes === 0
      ? "Without a failure no record is read twice, so the three sinks write the same rows: they differ only in when readers see them."
      : "The failures strike the same tasks at the same times whichever the sink, and the job restarts from the same checkpoints: the failures come from a random stream of their own, and every sink sends the same messages at the same times.",
  );
}
