/**
 * A MapReduce worker (Dean and Ghemawat 2004, section 3.1; Hadoop's NodeManager running task
 * attempts; DDIA ch. 10, "Distributed execution of MapReduce"). It runs the attempts the master
 * assigns it:
 * - a map attempt reads its input block (from a local replica when it has one), calls the mapper
 *   on every record, partitions the output by hash of key into R partitions, sorts each, runs the
 *   combiner, and keeps the result on its local disk, to be fetched by the reducers;
 * - a reduce attempt fetches its partition from every map task's output (the shuffle), merges the
 *   sorted runs, calls the reducer once per key, and writes its output to a private temporary
 *   file, committed at the end by an atomic rename to `part-r-NNNNN`. If that file is already
 *   there (a backup or an earlier attempt committed first), the rename fails and this attempt's
 *   output is discarded: a task's output is committed at most once.
 * The broken variant `no-rename` appends straight to `part-r-NNNNN` as it goes, so a second
 * attempt of the same task (a re-run after a crash, or a backup) adds its output a second time.
 *
 * Durable state: none. A crash here stands for the machine failing, as in the paper: its local
 * disk, and the map outputs on it, are gone; it restarts empty. Volatile state: the running
 * attempts, the map outputs it holds, and the reduce attempts it finished (restated in every Pong
 * until the master has them).
 *
 * Left out: several task slots per machine (one task at a time here), spills of map output to
 * disk in sorted runs, compression, and reducers that start fetching before the map phase ends.
 */

import { assert, unreachable } from "../../shared/assert.js";
import { deepFreeze, type Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import {
  FETCH_RETRY_MS,
  MAP_MS_PER_RECORD,
  REDUCE_MS_PER_RECORD,
  REMOTE_READ_MS_PER_RECORD,
  SIDE_LOAD_MS_PER_RECORD,
  WRITE_STEPS,
} from "./costs.js";
import type { Dfs } from "./dfs.js";
import {
  type Job,
  type KeyValue,
  mergeRuns,
  partitionSortCombine,
  reduceSorted,
  type Value,
} from "./job.js";
import type {
  AttemptId,
  FetchedOutput,
  FinishedReduce,
  HeldMapOutput,
  KillReason,
  MapReduceMessage,
} from "./messages.js";

const KILLED_BECAUSE: Record<KillReason, string> = {
  superseded: "another attempt of the task finished first",
  abandoned: "it had counted this worker failed and given the task to another",
  "job complete": "the job completed without it",
};

export type CommitVariant = "correct" | "no-rename";

/** What the run counts across all attempts (for the scenario's tables and the benchmark). */
export interface EngineCounters {
  mapInputRecords: number;
  mapOutputRecords: number;
  /** Map output records after the combiner: what the shuffle carries. */
  combinedRecords: number;
  shuffledRecords: number;
}

export interface WorkerConfig {
  job: Job;
  dfs: Dfs;
  variant: CommitVariant;
  /** 1 for a healthy machine; more for the straggler. */
  slowdown: number;
  counters: EngineCounters;
  /** Told when an attempt starts its timed work, for scripted crashes ("halfway through"). */
  onWorkStarted?: (worker: string, attempt: AttemptId, durationMs: number) => void;
  /** Reduce task → records fetched by the attempt that finished first (its load). */
  reducerLoads: Map<number, number>;
}

interface MapAttempt {
  kind: "map";
  task: number;
  attempt: AttemptId;
  /** Partitioned output, or the output lines of a map-only job. */
  partitions: KeyValue[][];
  lines: string[];
}

interface ReduceAttempt {
  kind: "reduce";
  task: number;
  attempt: AttemptId;
  locations: (string | null)[];
  fetched: (readonly KeyValue[] | undefined)[];
  missing: number;
  lines?: string[];
}

interface WriteState {
  lines: string[];
  step: number;
  target: string;
  final: string;
  stepMs: number;
}

interface WorkerVolatile {
  running: Map<AttemptId, MapAttempt | ReduceAttempt>;
  writes: Map<AttemptId, WriteState>;
  held: Map<number, { attempt: AttemptId; partitions: KeyValue[][] }>;
  finished: FinishedReduce[];
  seen: Set<AttemptId>;
}

const pad = (n: number) => String(n).padStart(5, "0");

export class Worker extends SimNode<MapReduceMessage, null, WorkerVolatile> {
  constructor(
    id: string,
    net: Network<MapReduceMessage>,
    readonly config: WorkerConfig,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): WorkerVolatile {
    return {
      running: new Map(),
      writes: new Map(),
      held: new Map(),
      finished: [],
      seen: new Set(),
    };
  }

  onMessage(from: string, msg: MapReduceMessage): void {
    switch (msg.type) {
      case "RunMap":
        if (this.volatile.seen.has(msg.attempt)) return;
        this.volatile.seen.add(msg.attempt);
        this.runMap(msg.task, msg.attempt, msg.path, msg.block);
        return;
      case "RunReduce":
        if (this.volatile.seen.has(msg.attempt)) return;
        this.volatile.seen.add(msg.attempt);
        this.runReduce(msg.task, msg.attempt, msg.mapOutputs);
        return;
      case "Kill":
        this.kill(msg.attempt, msg.reason);
        return;
      case "Fetch": {
        const outputs: FetchedOutput[] = [];
        const missing: number[] = [];
        for (const mapTask of msg.mapTasks) {
          const held = this.volatile.held.get(mapTask);
          if (held === undefined) missing.push(mapTask);
          else outputs.push({ mapTask, records: held.partitions[msg.partition] ?? [] });
        }
        this.send(from, { type: "Partitions", reduceAttempt: msg.reduceAttempt, outputs, missing });
        return;
      }
      case "Partitions": {
        for (const o of msg.outputs) this.received(msg.reduceAttempt, o.mapTask, o.records);
        const a = this.volatile.running.get(msg.reduceAttempt);
        if (a?.kind === "reduce")
          for (const m of msg.missing) if (a.fetched[m] === undefined) a.locations[m] = null;
        return;
      }
      case "Ping":
        this.onPing(from, msg.sentMs, msg.mapOutputs);
        return;
      case "MapDone":
      case "ReduceDone":
      case "Pong":
        assert(false, `${this.id} got ${msg.type}`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const [what, attempt] = name.split(":") as [string, AttemptId];
    if (what === "map") this.mapFinished(attempt);
    else if (what === "write") this.writeStep(attempt);
    else if (what === "fetch") this.fetchMissing(attempt, true);
  }

  private runMap(task: number, attempt: AttemptId, path: string, blockIndex: number): void {
    const { job, dfs, counters } = this.config;
    const block = dfs.blocks(path)[blockIndex];
    assert(block !== undefined, `no block ${blockIndex} of ${path}`);
    const local = block.replicas.includes(this.id);
    const input = job.inputs.find((i) => path === i.path || path.startsWith(`${i.path}/`));
    assert(input !== undefined, `no mapper for ${path}`);
    const sideLines = (job.sideFiles?.(path) ?? []).flatMap((p) =>
      dfs.inputFiles(p).flatMap((f) => dfs.read(f)),
    );
    const emitted: (KeyValue & { partition?: number })[] = [];
    const context = {
      recordIndex: 0,
      emit: (key: string, value: Value, partition?: number) => {
        emitted.push(partition === undefined ? { key, value } : { key, value, partition });
      },
      side: () => sideLines,
    };
    for (let i = 0; i < block.lines.length; i++) {
      context.recordIndex = i;
      input.map(block.lines[i] as string, context);
    }
    counters.mapInputRecords += block.lines.length;
    counters.mapOutputRecords += emitted.length;
    const mapOnly = job.reducers === 0;
    const partitions = mapOnly ? [] : partitionSortCombine(job, emitted);
    for (const p of partitions) counters.combinedRecords += p.length;
    const lines = mapOnly ? emitted.map((r) => `${r.key}\t${r.value}`) : [];
    this.volatile.running.set(attempt, { kind: "map", task, attempt, partitions, lines });
    const n = block.lines.length;
    const durationMs =
      (n * MAP_MS_PER_RECORD +
        (local ? 0 : n * REMOTE_READ_MS_PER_RECORD) +
        sideLines.length * SIDE_LOAD_MS_PER_RECORD) *
      this.config.slowdown;
    this.note(
      `runs ${attempt}: block ${blockIndex} of ${path}, ${n} records, ${local ? "from its local replica" : `read over the network from ${block.replicas.join(", ")}`}${sideLines.length > 0 ? `, after loading ${sideLines.length} lines of side data into memory` : ""}`,
      { level: "detail" },
    );
    this.config.onWorkStarted?.(this.id, attempt, durationMs);
    if (mapOnly) this.startWrites(attempt, lines, `part-m-${pad(task)}`, durationMs);
    else this.setTimer(`map:${attempt}`, durationMs);
  }

  private mapFinished(attempt: AttemptId): void {
    const a = this.volatile.running.get(attempt);
    if (a?.kind !== "map") return;
    this.volatile.running.delete(attempt);
    // Frozen once here, so the network need not walk every record of every reply that carries it.
    for (const p of a.partitions) deepFreeze(p);
    this.volatile.held.set(a.task, { attempt, partitions: a.partitions });
    this.note(
      `${attempt} done: its output, ${a.partitions.reduce((s, p) => s + p.length, 0)} records in ${a.partitions.length} sorted partitions, is on this worker's local disk`,
      { level: "detail" },
    );
    this.send("master", { type: "MapDone", task: a.task, attempt });
  }

  private runReduce(
    task: number,
    attempt: AttemptId,
    mapOutputs: readonly (string | null)[],
  ): void {
    const a: ReduceAttempt = {
      kind: "reduce",
      task,
      attempt,
      locations: [...mapOutputs],
      fetched: mapOutputs.map(() => undefined),
      missing: mapOutputs.length,
    };
    this.volatile.running.set(attempt, a);
    this.note(`runs ${attempt}: fetches partition ${task} from ${mapOutputs.length} map outputs`, {
      level: "detail",
    });
    if (a.missing === 0) this.reduceReady(a);
    else this.fetchMissing(attempt, false);
  }

  private fetchMissing(attempt: AttemptId, rearm: boolean): void {
    const a = this.volatile.running.get(attempt);
    if (a?.kind !== "reduce" || a.missing === 0) return;
    if (rearm || !this.hasTimer(`fetch:${attempt}`)) {
      // One request per worker, for every map output still expected there.
      const byWorker = new Map<string, number[]>();
      a.locations.forEach((worker, mapTask) => {
        if (worker === null || a.fetched[mapTask] !== undefined) return;
        const tasks = byWorker.get(worker);
        if (tasks === undefined) byWorker.set(worker, [mapTask]);
        else tasks.push(mapTask);
      });
      for (const [worker, mapTasks] of byWorker)
        this.send(worker, { type: "Fetch", reduceAttempt: attempt, partition: a.task, mapTasks });
    }
    this.setTimer(`fetch:${attempt}`, FETCH_RETRY_MS);
  }

  private received(attempt: AttemptId, mapTask: number, records: readonly KeyValue[]): void {
    const a = this.volatile.running.get(attempt);
    if (a?.kind !== "reduce" || a.fetched[mapTask] !== undefined) return;
    a.fetched[mapTask] = records;
    a.missing--;
    this.config.counters.shuffledRecords += records.length;
    if (a.missing === 0) {
      this.cancelTimer(`fetch:${attempt}`);
      this.reduceReady(a);
    }
  }

  private reduceReady(a: ReduceAttempt): void {
    const { job } = this.config;
    const runs = a.fetched as readonly (readonly KeyValue[])[];
    const records = runs.reduce((s, r) => s + r.length, 0);
    const lines = reduceSorted(job, mergeRuns(runs));
    const loads = this.config.reducerLoads;
    if (!loads.has(a.task)) loads.set(a.task, records);
    this.note(
      `${a.attempt} has all ${runs.length} map outputs: merges ${records} sorted records and reduces them`,
      {
        level: "detail",
      },
    );
    const durationMs = Math.max(1, records) * REDUCE_MS_PER_RECORD * this.config.slowdown;
    this.config.onWorkStarted?.(this.id, a.attempt, durationMs);
    this.startWrites(a.attempt, lines, `part-r-${pad(a.task)}`, durationMs);
  }

  /** Write the output in WRITE_STEPS steps over the task's duration, then commit it. */
  private startWrites(attempt: AttemptId, lines: string[], part: string, durationMs: number): void {
    const output = this.config.job.output;
    const final = `${output}/${part}`;
    const target =
      this.config.variant === "correct" ? `${output}/_temporary/${attempt}/${part}` : final;
    const stepMs = durationMs / WRITE_STEPS;
    this.volatile.writes.set(attempt, { lines, step: 0, target, final, stepMs });
    this.setTimer(`write:${attempt}`, stepMs);
  }

  private writeStep(attempt: AttemptId): void {
    const w = this.volatile.writes.get(attempt);
    const a = this.volatile.running.get(attempt);
    if (w === undefined || a === undefined) return;
    const per = Math.ceil(w.lines.length / WRITE_STEPS);
    this.config.dfs.append(w.target, w.lines.slice(w.step * per, (w.step + 1) * per), this.id);
    w.step++;
    if (w.step < WRITE_STEPS) {
      this.setTimer(`write:${attempt}`, w.stepMs);
      return;
    }
    this.volatile.writes.delete(attempt);
    this.volatile.running.delete(attempt);
    let committed = true;
    if (this.config.variant === "correct") {
      // The commit point: one atomic rename. If another attempt of this task got there first,
      // this one's output is thrown away (Dean and Ghemawat 2004, section 3.3).
      committed = this.config.dfs.rename(w.target, w.final);
      if (!committed) this.config.dfs.delete(w.target);
      this.note(
        committed
          ? `${attempt} commits: renames ${w.target} to ${w.final}`
          : `${attempt} cannot rename its output: ${w.final} already exists (another attempt committed first), so it discards its output`,
        { level: "detail" },
      );
    } else {
      this.note(`${attempt} finished appending to ${w.final}`, { level: "detail" });
    }
    this.volatile.finished.push({ task: a.task, attempt, committed });
    if (a.kind === "map") this.send("master", { type: "MapDone", task: a.task, attempt });
    else this.send("master", { type: "ReduceDone", task: a.task, attempt, committed });
  }

  private kill(attempt: AttemptId, reason: KillReason): void {
    if (!this.volatile.running.has(attempt)) return;
    this.volatile.running.delete(attempt);
    this.volatile.writes.delete(attempt);
    for (const t of ["map", "write", "fetch"]) this.cancelTimer(`${t}:${attempt}`);
    this.note(`kills ${attempt}, as the master asked: ${KILLED_BECAUSE[reason]}`, {
      level: "detail",
    });
  }

  private onPing(from: string, sentMs: number, mapOutputs: readonly (string | null)[]): void {
    for (const a of this.volatile.running.values()) {
      if (a.kind !== "reduce" || a.missing === 0) continue;
      let changed = false;
      mapOutputs.forEach((worker, m) => {
        if (a.fetched[m] === undefined && worker !== a.locations[m]) {
          a.locations[m] = worker;
          changed = true;
        }
      });
      if (changed) this.fetchMissing(a.attempt, true);
    }
    const holding: HeldMapOutput[] = [...this.volatile.held].map(([task, h]) => ({
      task,
      attempt: h.attempt,
    }));
    this.send(from, {
      type: "Pong",
      sentMs,
      running: [...this.volatile.running.keys()],
      holding,
      finished: [...this.volatile.finished],
    });
  }
}
