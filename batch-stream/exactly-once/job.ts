/**
 * Wiring of the exactly-once job on the simulator, and its failover (DDIA ch. 11, "Fault
 * Tolerance": "Microbatching and checkpointing", "Rebuilding state after a failure").
 *
 *   source-0 (partition p0) ─┐
 *                            ├─▶ totals (a running total per key) ─▶ sink ─▶ external store
 *   source-1 (partition p1) ─┘
 *   coordinator: triggers checkpoints, collects acknowledgements, notifies completion
 *
 * Failover as Flink does it: Flink restarts the failover region of the failed task, the tasks
 * linked to it by pipelined data exchanges; in a streaming job every exchange is pipelined, and
 * here the four tasks form one connected dataflow, so the region is the whole job. After
 * FAILURE_DETECTION_MS the JobManager learns of the failure and cancels every task, dropping
 * their memory and everything in flight; after RESTART_DELAY_MS (a fixed delay, as Flink's
 * fixed-delay restart strategy waits; its default with checkpointing is now exponential-delay,
 * whose waits grow with repeated failures) it deploys them again from the last completed
 * checkpoint: the operator's totals and the sink's pending transactions restored, the sources
 * rewound to the checkpoint's offsets. Without a completed checkpoint the job starts over from the
 * beginning of the log. The external store is outside the job and keeps what was written.
 *
 * Crashes strike a random task at a random time after the job (re)starts, one at a time, within
 * the time the input takes to send divided by --crash; a crash that would come after the input is
 * done does not happen. The run goes on for SETTLE_MS after
 * the input is done, long enough for a failure that struck just before to be noticed and the job
 * restarted, and for the last notifications to land (the transactional sink commits on them). The
 * result is read from the store and the checkpoints, never from what the tasks believe.
 */

import { assert, LimitExceeded } from "../../shared/assert.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { CheckpointCoordinator, type CompletedCheckpoint, offsetsOf } from "./coordinator.js";
import { foldLog, generateLog } from "./log.js";
import { type DataflowMessage, type LogRecord, type OutputRow, rowId } from "./messages.js";
import { type AlignmentMetric, KeyedTotals } from "./operator.js";
import { Sink, type SinkKind } from "./sink.js";
import { EMIT_MS_MAX, EMIT_MS_MIN, Source } from "./source.js";
import { ExternalStore, type StoredRow, type StoreStats } from "./store.js";

export const FAILURE_DETECTION_MS = 30;
export const RESTART_DELAY_MS = 50;
/** A run that has not read all its input after this much simulated time is stuck: it fails. */
export const RUN_LIMIT_MS = 3_600_000;
/** How long the run goes on once the input is done: a restart under way completes within it. */
export const SETTLE_MS = FAILURE_DETECTION_MS + RESTART_DELAY_MS + 20;

export const SOURCES = ["source-0", "source-1"] as const;
export const OPERATOR = "totals";
export const SINK = "sink";
export const COORDINATOR = "coordinator";
export const TASKS = [...SOURCES, OPERATOR, SINK] as const;

export interface JobOptions {
  seed: number;
  records: number;
  checkpointIntervalMs: number;
  crashes: number;
  sink: SinkKind;
  /** Align barriers (Flink's exactly-once mode); false is the broken at-least-once variant. */
  alignment: boolean;
}

export interface Restart {
  readonly failedTask: string;
  readonly failedAtMs: number;
  readonly restartedAtMs: number;
  /** The checkpoint restored, or undefined: none had completed, the job started over. */
  readonly checkpointId: number | undefined;
  readonly offsets: readonly number[];
  /** How far each source had read when the job was cancelled: the replay re-reads from offsets to here. */
  readonly readUpTo: readonly number[];
}

export interface JobResult {
  readonly log: readonly (readonly LogRecord[])[];
  readonly rows: readonly StoredRow[];
  readonly storeStats: StoreStats;
  readonly checkpoints: readonly CompletedCheckpoint[];
  readonly abandoned: readonly number[];
  readonly alignments: readonly AlignmentMetric[];
  readonly restarts: readonly Restart[];
  /** Crashes that did not happen because the input was done before they were due. */
  readonly crashesNotStruck: number;
  readonly endMs: number;
}

export function runJob(trace: Trace, options: JobOptions): JobResult {
  const sim = new Simulation({ seed: options.seed, trace });
  const log = generateLog(sim.random.fork("log"), options.records);
  const net = new Network<DataflowMessage>(sim);
  // Each data channel gets a fixed latency, so nothing overtakes a barrier (Flink's channels are
  // TCP connections, reliable and in order); control messages get the default random latency.
  const links = sim.random.fork("links");
  const channel = (from: string, to: string) => {
    const ms = links.int(1, 10);
    net.setLink(from, to, { latencyMsMin: ms, latencyMsMax: ms });
  };
  for (const s of SOURCES) channel(s, OPERATOR);
  channel(OPERATOR, SINK);

  const store = new ExternalStore(() => sim.now);
  const coordinator = net.add(
    new CheckpointCoordinator(COORDINATOR, net, {
      intervalMs: options.checkpointIntervalMs,
      sources: SOURCES,
      tasks: TASKS,
      partitionLengths: log.map((p) => p.length),
    }),
  );
  const sources = SOURCES.map((id, p) =>
    net.add(
      new Source(id, net, {
        partition: log[p] ?? [],
        partitionIndex: p,
        downstream: OPERATOR,
        coordinator: COORDINATOR,
      }),
    ),
  );
  const operator = net.add(
    new KeyedTotals(OPERATOR, net, {
      inputs: SOURCES,
      downstream: SINK,
      coordinator: COORDINATOR,
      alignment: options.alignment,
    }),
  );
  const sink = net.add(
    new Sink(SINK, net, { kind: options.sink, store, coordinator: COORDINATOR }),
  );
  const tasks = [...sources, operator, sink];

  const faults = sim.random.fork("faults");
  const restarts: Restart[] = [];
  let crashesLeft = options.crashes;
  let struck = 0;
  // The time the sources take to send their whole partitions, shared among the crashes: each
  // strikes within its share after the job (re)starts, so that most of them strike before the
  // input is done (with one share for all, one failure late in the input would leave no time for
  // the others).
  const inputMs = Math.max(1, Math.ceil(options.records / 2)) * ((EMIT_MS_MIN + EMIT_MS_MAX) / 2);
  const horizonMs = Math.max(1, inputMs / Math.max(1, options.crashes));

  const deploy = (checkpoint: CompletedCheckpoint | undefined) => {
    for (const task of tasks) task.restore(checkpoint?.snapshots.get(task.id));
    coordinator.jobStarted();
    if (crashesLeft > 0 && !coordinator.finished) {
      crashesLeft--;
      const task = faults.pick(tasks);
      sim.schedule(faults.uniform(1, horizonMs), () => fail(task.id));
    }
  };

  const fail = (taskId: string) => {
    if (coordinator.finished) return;
    struck++;
    const failedAtMs = sim.now;
    net.node(taskId).crash();
    sim.trace.note(
      `the task fails; the other tasks run on until the coordinator hears of it, ${FAILURE_DETECTION_MS} ms later`,
      { node: taskId, time: sim.now },
    );
    sim.schedule(FAILURE_DETECTION_MS, () => {
      const readUpTo = sources.map((s) => s.readUpTo);
      for (const task of tasks) task.crash();
      coordinator.jobFailed();
      const checkpoint = coordinator.latest();
      sim.schedule(RESTART_DELAY_MS, () => {
        for (const task of tasks) task.recover();
        const offsets = offsetsOf(checkpoint);
        restarts.push({
          failedTask: taskId,
          failedAtMs,
          restartedAtMs: sim.now,
          checkpointId: checkpoint?.id,
          offsets,
          readUpTo: readUpTo.map((r, p) => Math.max(r, offsets[p] ?? 0)),
        });
        sim.trace.note(
          checkpoint === undefined
            ? "restarts every task from the beginning: no checkpoint had completed. The sources read their partitions again from offset 0."
            : `restarts every task from checkpoint ${checkpoint.id}: the totals as they were then, the sources rewound to ${offsets.map((o, p) => `p${p} offset ${o}`).join(" and ")}.`,
          { node: COORDINATOR, time: sim.now },
        );
        deploy(checkpoint);
      });
    });
  };

  deploy(undefined);
  if (!sim.runUntil(() => coordinator.finished, RUN_LIMIT_MS))
    throw new LimitExceeded(
      `seed ${options.seed}: the input was not done after ${RUN_LIMIT_MS} simulated ms`,
    );
  sim.run(sim.now + SETTLE_MS);
  assert(
    restarts.length === struck,
    `seed ${options.seed}: ${struck} failures struck but ${restarts.length} restarts`,
  );
  return {
    log,
    rows: store.rows(),
    storeStats: store.stats,
    checkpoints: coordinator.completed,
    abandoned: coordinator.abandoned,
    alignments: operator.alignments,
    restarts,
    crashesNotStruck: options.crashes - struck,
    endMs: coordinator.finishedAtMs ?? sim.now,
  };
}

/** The rows a correct job writes: each record once, with its key's running total (keys are per partition). */
export function expectedRows(log: readonly (readonly LogRecord[])[]): OutputRow[] {
  const rows: OutputRow[] = [];
  for (const partition of log) {
    const totals = new Map<string, number>();
    for (const r of partition) {
      const total = (totals.get(r.key) ?? 0) + r.value;
      totals.set(r.key, total);
      rows.push({ id: rowId(r.partition, r.offset), key: r.key, value: r.value, total });
    }
  }
  return rows;
}

export interface Comparison {
  readonly equal: boolean;
  /** Rows beyond the first with the same id: the store should hold each record's row once. */
  readonly duplicates: number;
  /** Ids in the store more than once (each listed once). */
  readonly duplicatedIds: readonly string[];
  /** Ids in the reference that are missing. */
  readonly missing: readonly string[];
  /** Ids with a row (any of their copies) whose content differs from the reference's. */
  readonly changed: readonly string[];
}

const content = (r: OutputRow) => `${r.id} ${r.key} ${r.value} ${r.total}`;

/** Compare a store's rows with a reference, as multisets of rows. */
export function compareRows(
  reference: readonly OutputRow[],
  actual: readonly OutputRow[],
): Comparison {
  const want = new Map(reference.map((r) => [r.id, content(r)]));
  const seen = new Map<string, number>();
  const changed = new Set<string>();
  for (const r of actual) {
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    if (want.get(r.id) !== content(r)) changed.add(r.id);
  }
  const duplicatedIds = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const duplicates = actual.length - seen.size;
  const missing = [...want.keys()].filter((id) => !seen.has(id));
  const sorted = (rows: readonly OutputRow[]) => rows.map(content).sort();
  const a = sorted(reference);
  const b = sorted(actual);
  const equal = a.length === b.length && a.every((x, i) => x === b[i]);
  return { equal, duplicates, duplicatedIds, missing, changed: [...changed] };
}

export interface Inconsistency {
  readonly checkpointId: number;
  /** Keys whose snapshot total differs from the fold of the log before the offsets. */
  readonly keys: readonly { key: string; snapshot: number; log: number }[];
}

/**
 * A checkpoint is consistent when the operator's snapshot equals the fold of the log's records
 * before the checkpoint's source offsets: every record is either in the state and behind the
 * offsets, or in neither (Carbone et al.: the snapshot is a consistent cut).
 */
export function inconsistentCheckpoints(
  log: readonly (readonly LogRecord[])[],
  checkpoints: readonly CompletedCheckpoint[],
): Inconsistency[] {
  const out: Inconsistency[] = [];
  for (const c of checkpoints) {
    const snapshot = c.snapshots.get(OPERATOR);
    const state = snapshot?.kind === "operator" ? snapshot.totals : {};
    const fold = foldLog(log, offsetsOf(c));
    const keys = [...new Set([...Object.keys(state), ...Object.keys(fold)])]
      .sort()
      .filter((k) => (state[k] ?? 0) !== (fold[k] ?? 0))
      .map((key) => ({ key, snapshot: state[key] ?? 0, log: fold[key] ?? 0 }));
    if (keys.length > 0) out.push({ checkpointId: c.id, keys });
  }
  return out;
}
