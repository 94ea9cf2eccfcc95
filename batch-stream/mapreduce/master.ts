/**
 * The MapReduce master (Dean and Ghemawat 2004, sections 3.2 to 3.6; the book's "scheduler", a
 * role Hadoop splits between the ResourceManager and each job's ApplicationMaster; DDIA ch. 10,
 * "Distributed execution of MapReduce"). For each map and reduce task it keeps the state (idle,
 * in progress, completed) and the attempts, with the worker of each; for each completed map task,
 * where its output is. It:
 * - assigns a map task to an idle worker that holds a replica of the task's input block when one
 *   is free ("putting the computation near the data", DDIA), otherwise to any idle worker;
 * - starts the reduce tasks once every map task has completed;
 * - pings every worker; one silent for DEAD_AFTER_MS is marked failed: its tasks in progress go
 *   back to idle, and so do its completed map tasks, whose output was on its local disk and is
 *   now out of reach (the paper: "Completed map tasks are re-executed on a failure because their
 *   output is stored on the local disk(s) of the failed machine"). Completed reduce tasks are not
 *   re-run: their output is in the distributed filesystem;
 * - near the end of a phase, gives an idle worker a backup attempt of a task that has run much
 *   longer than the finished ones (a straggler); the first attempt to finish wins, and the master
 *   kills the other (the paper's backup tasks; Hadoop calls it speculative execution);
 * - ignores a completion report for a task already completed.
 *
 * State: volatile only. The master does not crash here; the paper's implementation aborts the job
 * when it does, and the client retries.
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { REF } from "../refs.js";
import { DEAD_AFTER_MS, LATENCY_MS_MAX, PING_MS, SLOW_TASK_FACTOR } from "./costs.js";
import type { Dfs } from "./dfs.js";
import type { Job } from "./job.js";
import type { AttemptId, FinishedReduce, HeldMapOutput, MapReduceMessage } from "./messages.js";

export type AttemptOutcome =
  | "running"
  | "completed"
  | "committed"
  | "discarded"
  | "killed"
  | "crashed"
  | "lost"
  | "output lost"
  | "ignored";

export interface Attempt {
  readonly id: AttemptId;
  readonly kind: "map" | "reduce";
  readonly task: number;
  readonly worker: string;
  readonly startMs: number;
  endMs?: number;
  outcome: AttemptOutcome;
  /** A backup attempt, launched while another attempt of the task was still running. */
  readonly backup: boolean;
  /** For map attempts: whether the worker held a replica of the input block. */
  readonly local?: boolean;
}

interface Task {
  readonly kind: "map" | "reduce";
  readonly index: number;
  state: "idle" | "in progress" | "completed";
  attempts: Attempt[];
  /** Map tasks: the input block, and the worker holding the output once completed. */
  readonly path?: string;
  readonly block?: number;
  readonly replicas?: readonly string[];
  outputAt?: string | null;
}

interface WorkerState {
  alive: boolean;
  lastPongMs: number;
  /** Its attempts the master counts as running, and the completed map outputs it holds. */
  readonly running: Set<Attempt>;
  readonly outputs: Set<Task>;
}

export interface MasterOptions {
  job: Job;
  dfs: Dfs;
  workers: readonly string[];
  speculative: boolean;
}

export class Master extends SimNode<MapReduceMessage, null, null> {
  readonly mapTasks: Task[] = [];
  readonly reduceTasks: Task[] = [];
  readonly attempts: Attempt[] = [];
  readonly workers = new Map<string, WorkerState>();
  phase: "map" | "reduce" | "done" = "map";
  doneMs: number | undefined;
  private readonly job: Job;
  private readonly speculative: boolean;

  constructor(id: string, net: Network<MapReduceMessage>, options: MasterOptions) {
    super(id, net, null);
    this.job = options.job;
    this.speculative = options.speculative;
    for (const w of options.workers)
      this.workers.set(w, { alive: true, lastPongMs: 0, running: new Set(), outputs: new Set() });
    for (const input of this.job.inputs)
      for (const path of options.dfs.inputFiles(input.path))
        for (const block of options.dfs.blocks(path))
          this.mapTasks.push({
            kind: "map",
            index: this.mapTasks.length,
            state: "idle",
            attempts: [],
            path,
            block: block.index,
            replicas: block.replicas,
            outputAt: null,
          });
    for (let r = 0; r < this.job.reducers; r++)
      this.reduceTasks.push({ kind: "reduce", index: r, state: "idle", attempts: [] });
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    this.note(
      `job ${this.job.name}: ${this.mapTasks.length} map tasks (one per input block), ${this.job.reducers === 0 ? "no reduce tasks (a map-only job)" : `${this.job.reducers} reduce tasks`}, ${this.workers.size} workers`,
      { level: "detail" },
    );
    this.setTimer("ping", 0);
  }

  onMessage(from: string, msg: MapReduceMessage): void {
    switch (msg.type) {
      case "MapDone":
        this.mapDone(from, msg.task, msg.attempt);
        this.schedule();
        return;
      case "ReduceDone":
        this.reduceDone(msg.task, msg.attempt, msg.committed);
        this.schedule();
        return;
      case "Pong":
        this.onPong(from, msg.sentMs, msg.running, msg.holding, msg.finished);
        this.schedule();
        return;
      case "RunMap":
      case "RunReduce":
      case "Kill":
      case "Fetch":
      case "Partitions":
      case "Ping":
        assert(false, `master got ${msg.type}`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    if (name !== "ping" || this.phase === "done") return;
    for (const [id, w] of this.workers)
      if (w.alive && this.sim.now - w.lastPongMs > DEAD_AFTER_MS) this.workerFailed(id);
    // One list for every worker: the network freezes it once, not once per message.
    const mapOutputs = this.mapTasks.map((t) => t.outputAt ?? null);
    for (const id of this.workers.keys())
      this.send(id, { type: "Ping", sentMs: this.sim.now, mapOutputs });
    this.schedule();
    this.setTimer("ping", PING_MS);
  }

  private readonly attemptsById = new Map<AttemptId, Attempt>();

  private attempt(id: AttemptId): Attempt | undefined {
    return this.attemptsById.get(id);
  }

  private running(task: Task): Attempt[] {
    return task.attempts.filter((a) => a.outcome === "running");
  }

  /** Sum and count of the durations of finished attempts, by kind, for the straggler test. */
  private readonly finishedMs = { map: { sum: 0, count: 0 }, reduce: { sum: 0, count: 0 } };

  private end(a: Attempt, outcome: AttemptOutcome): void {
    if (a.outcome === "running") this.workers.get(a.worker)?.running.delete(a);
    a.outcome = outcome;
    a.endMs = this.sim.now;
    if (outcome === "completed" || outcome === "committed") {
      this.finishedMs[a.kind].sum += a.endMs - a.startMs;
      this.finishedMs[a.kind].count++;
    }
  }

  /** Where a completed map task's output is (null: nowhere, to be re-executed). */
  private setOutputAt(task: Task, worker: string | null): void {
    if (task.outputAt != null) this.workers.get(task.outputAt)?.outputs.delete(task);
    task.outputAt = worker;
    if (worker !== null) this.workers.get(worker)?.outputs.add(task);
  }

  /** Kill the other running attempts of a task that has just completed. */
  private killOthers(task: Task, winner: Attempt): void {
    for (const other of this.running(task)) {
      if (other === winner) continue;
      this.end(other, "killed");
      this.send(other.worker, { type: "Kill", attempt: other.id, reason: "superseded" });
      this.note(
        `${winner.id} on ${winner.worker} finished first; kills ${other.id} on ${other.worker}${winner.backup ? " (the backup won)" : ""}`,
        { ref: REF.mapReducePaperBackupTasks },
      );
    }
  }

  private mapDone(from: string, index: number, id: AttemptId): void {
    const task = this.mapTasks[index];
    const a = this.attempt(id);
    if (task === undefined || a === undefined || a.outcome !== "running" || a.worker !== from)
      return;
    if (task.state === "completed") {
      // The paper: "If the master receives a completion message for an already completed map
      // task, it ignores the message."
      this.end(a, "ignored");
      return;
    }
    this.end(a, this.job.reducers === 0 ? "committed" : "completed");
    task.state = "completed";
    this.setOutputAt(task, this.job.reducers === 0 ? null : from);
    this.killOthers(task, a);
    if (this.phase === "map" && this.mapTasks.every((t) => t.state === "completed")) {
      if (this.job.reducers === 0) this.finish();
      else {
        this.phase = "reduce";
        this.note(`every map task has completed: the reduce phase starts`, { level: "detail" });
      }
    }
  }

  private reduceDone(index: number, id: AttemptId, committed: boolean): void {
    const task = this.reduceTasks[index];
    const a = this.attempt(id);
    if (task === undefined || a === undefined) return;
    if (a.outcome !== "running" && a.outcome !== "killed") return;
    if (task.state === "completed") {
      // Another attempt committed first: this one's rename failed (or, with no rename, it has
      // appended its output a second time).
      if (a.outcome === "running") this.end(a, committed ? "committed" : "discarded");
      return;
    }
    if (a.outcome === "killed") return;
    this.end(a, committed ? "committed" : "discarded");
    task.state = "completed";
    this.killOthers(task, a);
    if (this.reduceTasks.every((t) => t.state === "completed")) this.finish();
  }

  private finish(): void {
    // Attempts still running are no longer needed (a map task re-run after a false suspicion,
    // say, once every reducer had its input): the job's clean-up kills them, as Hadoop's does.
    for (const w of this.workers.values())
      for (const a of [...w.running]) {
        this.end(a, "killed");
        this.send(a.worker, { type: "Kill", attempt: a.id, reason: "job complete" });
      }
    this.phase = "done";
    this.doneMs = this.sim.now;
    this.cancelTimer("ping");
    this.note(`job ${this.job.name} complete`, { level: "detail" });
  }

  private onPong(
    from: string,
    sentMs: number,
    running: readonly AttemptId[],
    holding: readonly HeldMapOutput[],
    finished: readonly FinishedReduce[],
  ): void {
    const w = this.workers.get(from);
    if (w === undefined || this.phase === "done") return;
    w.lastPongMs = this.sim.now;
    if (!w.alive) {
      w.alive = true;
      this.note(
        running.length === 0 && holding.length === 0 && finished.length === 0
          ? `${from} answers pings again: it is back in the pool, with an empty local disk`
          : `${from} answers pings again: it had not crashed, only pings or answers were lost; it is back in the pool, but its tasks have gone back to idle all the same`,
      );
    }
    // Completion reports the worker restates, in case MapDone or ReduceDone was lost.
    for (const h of holding) this.mapDone(from, h.task, h.attempt);
    for (const f of finished) {
      if (this.job.reducers === 0) this.mapDone(from, f.task, f.attempt);
      else this.reduceDone(f.task, f.attempt, f.committed);
    }
    // An attempt the worker still runs that the master has given up on (it marked the worker
    // failed, or another attempt won): stop it, so the worker runs one task at a time.
    for (const id of running) {
      const a = this.attempt(id);
      if (a !== undefined && a.outcome !== "running")
        this.send(from, {
          type: "Kill",
          attempt: id,
          reason: a.outcome === "killed" ? "superseded" : "abandoned",
        });
    }
    const reported = new Set(running);
    for (const h of holding) reported.add(h.attempt);
    for (const f of finished) reported.add(f.attempt);
    // An attempt the worker does not know, though its assignment was sent well before this ping:
    // the assignment was lost, or the worker restarted since.
    for (const a of [...w.running]) {
      if (a.outcome !== "running" || reported.has(a.id)) continue;
      if (sentMs - a.startMs <= LATENCY_MS_MAX) continue;
      this.end(a, "lost");
      this.requeue(a.kind === "map" ? this.mapTasks[a.task] : this.reduceTasks[a.task]);
    }
    // A completed map output the worker no longer has: it restarted with an empty disk.
    if (this.job.reducers > 0) {
      const held = new Set(holding.map((h) => h.task));
      // Only outputs completed before this ping was sent: a Pong overtaken by MapDone is stale.
      const lost = [...w.outputs]
        .filter(
          (t) =>
            !held.has(t.index) &&
            t.attempts.some((a) => a.outcome === "completed" && (a.endMs ?? 0) < sentMs),
        )
        .sort((a, b) => a.index - b.index);
      if (lost.length > 0) this.mapOutputsLost(from, lost, "is back but no longer holds");
    }
  }

  private requeue(task: Task | undefined): void {
    if (task !== undefined && task.state === "in progress" && this.running(task).length === 0)
      task.state = "idle";
  }

  private mapOutputsLost(worker: string, tasks: Task[], why: string): void {
    for (const t of tasks) {
      t.state = "idle";
      this.setOutputAt(t, null);
      const done = t.attempts.find((a) => a.outcome === "completed" && a.worker === worker);
      if (done !== undefined) done.outcome = "output lost";
    }
    this.note(
      `${worker} ${why} the output of completed map task${tasks.length === 1 ? "" : "s"} ${tasks.map((t) => `m${t.index}`).join(", ")}, on its local disk: ${tasks.length === 1 ? "it goes" : "they go"} back to idle, to be re-executed, since a reduce task that has not finished may still need to fetch ${tasks.length === 1 ? "it" : "them"}`,
      { ref: REF.mapReducePaperFaults },
    );
  }

  private workerFailed(id: string): void {
    const w = this.workers.get(id);
    if (w === undefined) return;
    w.alive = false;
    const cut = [...w.running].sort((a, b) => a.startMs - b.startMs);
    for (const a of cut) {
      this.end(a, "crashed");
      this.requeue(a.kind === "map" ? this.mapTasks[a.task] : this.reduceTasks[a.task]);
    }
    this.note(
      `no answer from ${id} for ${DEAD_AFTER_MS} ms: marks it failed${cut.length > 0 ? `; its task${cut.length === 1 ? "" : "s"} in progress (${cut.map((a) => a.id).join(", ")}) go${cut.length === 1 ? "es" : ""} back to idle` : ""}`,
      { ref: REF.mapReducePaperFaults },
    );
    if (this.job.reducers > 0) {
      const lost = [...w.outputs].sort((a, b) => a.index - b.index);
      if (lost.length > 0) this.mapOutputsLost(id, lost, "held");
    }
  }

  private idleWorkers(): string[] {
    return [...this.workers].filter(([, w]) => w.alive && w.running.size === 0).map(([id]) => id);
  }

  /** Give every idle worker something to do: an idle task, or else a backup of a straggler. */
  private schedule(): void {
    if (this.phase === "done") return;
    const idle = this.idleWorkers();
    if (idle.length === 0) return;
    let idleMaps = this.mapTasks.filter((t) => t.state === "idle");
    for (const worker of idle) {
      const local = idleMaps.find((t) => t.replicas?.includes(worker));
      const next =
        local ??
        idleMaps[0] ??
        (this.phase === "reduce" ? this.reduceTasks.find((t) => t.state === "idle") : undefined);
      if (next !== undefined) {
        this.assign(next, worker, false);
        if (next.kind === "map") idleMaps = idleMaps.filter((t) => t !== next);
      } else if (this.speculative) {
        const straggler = this.straggler(worker);
        if (straggler !== undefined) this.assign(straggler, worker, true);
      }
    }
  }

  /** The task in progress that has run longest past SLOW_TASK_FACTOR × the mean finished one. */
  private straggler(worker: string): Task | undefined {
    const meanMs = { map: this.finishedMs.map.sum, reduce: this.finishedMs.reduce.sum };
    const finished = { map: this.finishedMs.map.count, reduce: this.finishedMs.reduce.count };
    const mapsDone = this.mapTasks.every((t) => t.state === "completed");
    let best: { task: Task; elapsed: number } | undefined;
    for (const task of [...this.mapTasks, ...this.reduceTasks]) {
      if (task.state !== "in progress" || finished[task.kind] === 0) continue;
      // A reduce task waiting for a map output being re-run is not slow: it is waiting.
      if (task.kind === "reduce" && !mapsDone) continue;
      const running = this.running(task);
      if (running.length !== 1) continue;
      const only = running[0] as Attempt;
      if (only.worker === worker) continue;
      const elapsed = this.sim.now - only.startMs;
      const mean = meanMs[task.kind] / finished[task.kind];
      if (elapsed > SLOW_TASK_FACTOR * mean && (best === undefined || elapsed > best.elapsed))
        best = { task, elapsed };
    }
    return best?.task;
  }

  private assign(task: Task, worker: string, backup: boolean): void {
    const id = `${task.kind === "map" ? "m" : "r"}${task.index}.${task.attempts.length + 1}`;
    const local = task.kind === "map" ? (task.replicas ?? []).includes(worker) : undefined;
    const a: Attempt = {
      id,
      kind: task.kind,
      task: task.index,
      worker,
      startMs: this.sim.now,
      outcome: "running",
      backup,
      ...(local !== undefined ? { local } : {}),
    };
    task.attempts.push(a);
    this.attempts.push(a);
    this.workers.get(worker)?.running.add(a);
    this.attemptsById.set(id, a);
    task.state = "in progress";
    if (backup) {
      const other = this.running(task).find((x) => x !== a) as Attempt;
      this.note(
        `${other.id} on ${other.worker} has run ${(this.sim.now - other.startMs).toFixed(0)} ms, more than ${SLOW_TASK_FACTOR} times the mean finished ${task.kind} task: launches backup ${id} on ${worker}`,
        { ref: REF.mapReducePaperBackupTasks },
      );
    } else
      this.note(
        `assigns ${id} to ${worker}${task.kind === "map" ? (local ? " (data-local: it holds a replica of the block)" : " (no idle worker holds a replica: it reads the block over the network)") : ""}`,
        { level: "detail" },
      );
    if (task.kind === "map")
      this.send(worker, {
        type: "RunMap",
        task: task.index,
        attempt: id,
        path: task.path as string,
        block: task.block as number,
      });
    else
      this.send(worker, {
        type: "RunReduce",
        task: task.index,
        attempt: id,
        mapOutputs: this.mapTasks.map((t) => t.outputAt ?? null),
      });
  }
}
