/**
 * The keyed operator: a running total per key, fed by both sources, so it has two inputs and must
 * align their barriers (DDIA ch. 11, "Fault Tolerance": "Microbatching and checkpointing";
 * Carbone et al. 2015, "Lightweight Asynchronous Snapshots for Distributed Dataflows", its
 * algorithm for acyclic dataflows).
 *
 * Volatile state: the total per key (its keyed state), and the alignment under way. It keeps
 * nothing durable of its own: its state is saved in each checkpoint and handed back on restore.
 *
 * Messages: Record (add the value to its key's total and send the row to the sink); Barrier n.
 * Aligned (Flink's exactly-once mode): an input that delivered barrier n is blocked, its records
 * held back, until barrier n has arrived on every input; then the operator forwards barrier n to
 * the sink, snapshots its state and acknowledges with it (the paper's order, and Flink's: the
 * barrier goes downstream first so the next task's alignment is not held up by the snapshot), and
 * processes what it held back. So the snapshot holds exactly the records before the barriers,
 * which are exactly those before the sources' offsets in the checkpoint.
 *
 * Broken variant, `alignment: false` (Flink's at-least-once mode, its BarrierTracker): no input
 * is blocked; the snapshot is taken when the last barrier arrives. Records that came after the
 * barrier on a faster input are then in the snapshot although the checkpoint's offsets say they
 * are still to be read: after a restore from it they are read again and counted twice.
 *
 * Left out: Flink's unaligned checkpoints (since 1.11), exactly-once without the wait: the barrier
 * overtakes the records queued before it, and the snapshot stores those in-flight records with
 * the operator's state, to be replayed on restore.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { plural } from "../../shared/words.js";
import { type DataflowMessage, rowId, type TaskSnapshot } from "./messages.js";

interface Alignment {
  readonly checkpointId: number;
  readonly startedAtMs: number;
  readonly barriersFrom: Set<string>;
  /** Records held back from inputs that have delivered the barrier, in arrival order. */
  readonly held: { from: string; msg: DataflowMessage }[];
  /** Records processed from such inputs before the snapshot (the broken variant only). */
  counted: number;
}

interface OperatorVolatile {
  deployed: boolean;
  totals: Map<string, number>;
  alignment: Alignment | undefined;
}

/** What each alignment cost, for the table: kept outside the task's state, as metrics are. */
export interface AlignmentMetric {
  readonly checkpointId: number;
  readonly durationMs: number;
  /** Records held back (aligned), or processed past a barrier before the snapshot (not aligned). */
  readonly records: number;
}

export interface OperatorOptions {
  readonly inputs: readonly string[];
  readonly downstream: string;
  readonly coordinator: string;
  readonly alignment: boolean;
}

export class KeyedTotals extends SimNode<DataflowMessage, null, OperatorVolatile> {
  readonly alignments: AlignmentMetric[] = [];

  constructor(
    id: string,
    net: Network<DataflowMessage>,
    private readonly options: OperatorOptions,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): OperatorVolatile {
    return { deployed: false, totals: new Map(), alignment: undefined };
  }

  restore(snapshot: TaskSnapshot | undefined): void {
    const totals = snapshot?.kind === "operator" ? Object.entries(snapshot.totals) : [];
    this.volatile = { deployed: true, totals: new Map(totals), alignment: undefined };
  }

  onMessage(from: string, msg: DataflowMessage): void {
    if (!this.volatile.deployed) return;
    switch (msg.type) {
      case "Record": {
        const alignment = this.volatile.alignment;
        if (alignment?.barriersFrom.has(from)) {
          if (this.options.alignment) {
            alignment.held.push({ from, msg });
            return;
          }
          alignment.counted++;
        }
        const total = (this.volatile.totals.get(msg.key) ?? 0) + msg.value;
        this.volatile.totals.set(msg.key, total);
        this.send(this.options.downstream, {
          type: "Output",
          id: rowId(msg.partition, msg.offset),
          key: msg.key,
          value: msg.value,
          total,
        });
        return;
      }
      case "Barrier":
        this.onBarrier(from, msg.checkpointId);
        return;
      case "TriggerCheckpoint":
      case "Output":
      case "AcknowledgeCheckpoint":
      case "NotifyCheckpointComplete":
        return;
      default:
        unreachable(msg, "message");
    }
  }

  private onBarrier(from: string, checkpointId: number): void {
    let alignment = this.volatile.alignment;
    if (alignment === undefined) {
      alignment = {
        checkpointId,
        startedAtMs: this.sim.now,
        barriersFrom: new Set(),
        held: [],
        counted: 0,
      };
      this.volatile.alignment = alignment;
    }
    alignment.barriersFrom.add(from);
    if (alignment.barriersFrom.size < this.options.inputs.length) {
      this.note(
        this.options.alignment
          ? `barrier ${checkpointId} from ${from}: ${from} blocked until the barrier arrives on every input`
          : `barrier ${checkpointId} from ${from}: not aligning, ${from}'s next records are processed at once`,
        { level: "detail" },
      );
      return;
    }
    this.send(this.options.downstream, { type: "Barrier", checkpointId });
    const totals = Object.fromEntries(
      [...this.volatile.totals].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    this.send(this.options.coordinator, {
      type: "AcknowledgeCheckpoint",
      checkpointId,
      snapshot: { kind: "operator", totals },
    });
    const records = this.options.alignment ? alignment.held.length : alignment.counted;
    this.alignments.push({
      checkpointId,
      durationMs: this.sim.now - alignment.startedAtMs,
      records,
    });
    this.note(
      this.options.alignment
        ? `aligned on barrier ${checkpointId} after ${(this.sim.now - alignment.startedAtMs).toFixed(1)} ms: forwards the barrier, snapshots its totals, releases ${plural(records, "held-back record")}`
        : `barrier ${checkpointId} on every input: forwards the barrier, snapshots its totals, which already count ${plural(records, "record")} from after the barrier`,
      { level: "detail" },
    );
    this.volatile.alignment = undefined;
    for (const { from: input, msg } of alignment.held) this.onMessage(input, msg);
  }
}
