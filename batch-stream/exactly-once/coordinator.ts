/**
 * The checkpoint coordinator (Flink's CheckpointCoordinator, in the JobManager): triggers a
 * checkpoint every interval, collects every task's acknowledgement, and declares the checkpoint
 * complete (DDIA ch. 11, "Fault Tolerance": "Microbatching and checkpointing").
 *
 * Durable state (checkpoint storage, a distributed filesystem in Flink): the completed
 * checkpoints, each with every task's snapshot, and the next checkpoint id, which keeps growing
 * across restarts. Volatile state: the checkpoint in progress and the acknowledgements so far.
 *
 * Messages: AcknowledgeCheckpoint (a task's snapshot); once all tasks have acknowledged,
 * NotifyCheckpointComplete goes to every task. Timer `trigger`: the next checkpoint, unless one
 * is still in progress (at most one at a time, Flink's default). When a completed checkpoint's
 * offsets reach the end of every partition, the job's input is done and it stops triggering.
 *
 * Left out: checkpoint timeouts and declines, retained and incremental checkpoints, savepoints,
 * and the coordinator's own failure (Flink keeps it highly available through ZooKeeper or
 * Kubernetes). Where Flink queues a periodic trigger that finds a checkpoint in progress and
 * fires it as soon as that one completes, ours waits for the next interval.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { PARTITION_KEYS } from "./log.js";
import type { DataflowMessage, TaskSnapshot } from "./messages.js";

export interface CompletedCheckpoint {
  readonly id: number;
  readonly triggeredAtMs: number;
  readonly completedAtMs: number;
  readonly snapshots: ReadonlyMap<string, TaskSnapshot>;
}

interface CoordinatorDurable {
  completed: CompletedCheckpoint[];
  nextId: number;
}

interface InProgress {
  readonly id: number;
  readonly triggeredAtMs: number;
  readonly acks: Map<string, TaskSnapshot>;
}

interface CoordinatorVolatile {
  inProgress: InProgress | undefined;
  running: boolean;
}

export interface CoordinatorOptions {
  readonly intervalMs: number;
  readonly sources: readonly string[];
  readonly tasks: readonly string[];
  /** Records in each partition: a checkpoint at these offsets has read all the input. */
  readonly partitionLengths: readonly number[];
}

export class CheckpointCoordinator extends SimNode<
  DataflowMessage,
  CoordinatorDurable,
  CoordinatorVolatile
> {
  /** The job's input is done: a completed checkpoint covers every record. */
  finished = false;
  finishedAtMs: number | undefined;
  /** Checkpoints abandoned by a restart while in progress. */
  readonly abandoned: number[] = [];

  constructor(
    id: string,
    net: Network<DataflowMessage>,
    private readonly options: CoordinatorOptions,
  ) {
    super(id, net, { completed: [], nextId: 1 });
  }

  protected initialVolatile(): CoordinatorVolatile {
    return { inProgress: undefined, running: false };
  }

  get completed(): readonly CompletedCheckpoint[] {
    return this.durable.completed;
  }

  latest(): CompletedCheckpoint | undefined {
    return this.durable.completed.at(-1);
  }

  /** The job's tasks are running (again): trigger checkpoints every interval. */
  jobStarted(): void {
    this.volatile.running = true;
    this.setTimer("trigger", this.options.intervalMs);
  }

  /** The job failed: the checkpoint in progress can never complete. */
  jobFailed(): void {
    const inProgress = this.volatile.inProgress;
    if (inProgress !== undefined) {
      this.abandoned.push(inProgress.id);
      this.note(`abandons checkpoint ${inProgress.id}, still in progress`, { level: "detail" });
    }
    this.volatile = { inProgress: undefined, running: false };
    this.cancelTimer("trigger");
  }

  override onTimer(name: string): void {
    if (name !== "trigger" || !this.volatile.running || this.finished) return;
    this.setTimer("trigger", this.options.intervalMs);
    if (this.volatile.inProgress !== undefined) {
      this.note(`checkpoint ${this.volatile.inProgress.id} still in progress: no new one`, {
        level: "detail",
      });
      return;
    }
    const id = this.durable.nextId++;
    this.volatile.inProgress = { id, triggeredAtMs: this.sim.now, acks: new Map() };
    this.note(`triggers checkpoint ${id}: barriers into ${this.options.sources.join(" and ")}`, {
      level: "detail",
    });
    for (const source of this.options.sources)
      this.send(source, { type: "TriggerCheckpoint", checkpointId: id });
  }

  onMessage(from: string, msg: DataflowMessage): void {
    switch (msg.type) {
      case "AcknowledgeCheckpoint": {
        const inProgress = this.volatile.inProgress;
        // A late acknowledgement of a checkpoint abandoned by a restart is ignored.
        if (inProgress === undefined || inProgress.id !== msg.checkpointId) return;
        inProgress.acks.set(from, msg.snapshot);
        if (inProgress.acks.size < this.options.tasks.length) return;
        this.complete(inProgress);
        return;
      }
      case "Record":
      case "Barrier":
      case "Output":
      case "TriggerCheckpoint":
      case "NotifyCheckpointComplete":
        return;
      default:
        unreachable(msg, "message");
    }
  }

  private complete(inProgress: InProgress): void {
    const checkpoint: CompletedCheckpoint = {
      id: inProgress.id,
      triggeredAtMs: inProgress.triggeredAtMs,
      completedAtMs: this.sim.now,
      snapshots: new Map(inProgress.acks),
    };
    this.durable.completed.push(checkpoint);
    this.volatile.inProgress = undefined;
    const offsets = offsetsOf(checkpoint);
    this.note(
      `checkpoint ${checkpoint.id} complete (offsets ${offsets.map((o, p) => `p${p}:${o}`).join(", ")}), written to checkpoint storage; notifies every task`,
      { level: "detail" },
    );
    for (const task of this.options.tasks)
      this.send(task, { type: "NotifyCheckpointComplete", checkpointId: checkpoint.id });
    if (offsets.every((o, p) => o >= (this.options.partitionLengths[p] ?? 0))) {
      this.finished = true;
      this.finishedAtMs = this.sim.now;
      this.cancelTimer("trigger");
    }
  }
}

/** The source offsets a checkpoint holds, by partition. */
export function offsetsOf(checkpoint: CompletedCheckpoint | undefined): number[] {
  const offsets: number[] = [];
  for (const snapshot of checkpoint?.snapshots.values() ?? [])
    if (snapshot.kind === "source") offsets[snapshot.partition] = snapshot.offset;
  return PARTITION_KEYS.map((_, p) => offsets[p] ?? 0);
}
