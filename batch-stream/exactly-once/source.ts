/**
 * A source task: reads one partition of the log from an offset and sends each record to the
 * operator (DDIA ch. 11, "Fault Tolerance": "Microbatching and checkpointing"; Flink's Kafka
 * source).
 *
 * Volatile state: the offset of the next record to read. It keeps no durable state of its own:
 * its offset is saved in each checkpoint, and after a failure the job hands it the offset of the
 * last completed checkpoint, from which it reads the partition again.
 *
 * Messages: TriggerCheckpoint n from the coordinator. The source injects barrier n into its output
 * at that point of the stream (after the records it has sent, before the next), and acknowledges
 * with its offset. Timer `emit`: the next record, a few milliseconds after the last.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { DataflowMessage, LogRecord, TaskSnapshot } from "./messages.js";

/** A record leaves every EMIT_MS_MIN to EMIT_MS_MAX ms (uniformly) while there are any left. */
export const EMIT_MS_MIN = 2;
export const EMIT_MS_MAX = 6;

interface SourceVolatile {
  deployed: boolean;
  offset: number;
}

export interface SourceOptions {
  readonly partition: readonly LogRecord[];
  readonly partitionIndex: number;
  readonly downstream: string;
  readonly coordinator: string;
}

export class Source extends SimNode<DataflowMessage, null, SourceVolatile> {
  /**
   * How far this attempt has read (the next offset), kept outside the task's state as a metric is,
   * so that it still tells after a crash how much the restart will read again.
   */
  readUpTo = 0;

  constructor(
    id: string,
    net: Network<DataflowMessage>,
    private readonly options: SourceOptions,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): SourceVolatile {
    return { deployed: false, offset: 0 };
  }

  /** Deploy the task: from the start of the partition, or from a checkpoint's offset. */
  restore(snapshot: TaskSnapshot | undefined): void {
    const offset = snapshot?.kind === "source" ? snapshot.offset : 0;
    this.volatile = { deployed: true, offset };
    this.readUpTo = offset;
    this.setTimer("emit", this.random.uniform(EMIT_MS_MIN, EMIT_MS_MAX));
  }

  override onTimer(name: string): void {
    if (name !== "emit" || !this.volatile.deployed) return;
    const record = this.options.partition[this.volatile.offset];
    if (record === undefined) return;
    this.volatile.offset++;
    this.readUpTo = this.volatile.offset;
    this.send(this.options.downstream, { type: "Record", ...record });
    this.setTimer("emit", this.random.uniform(EMIT_MS_MIN, EMIT_MS_MAX));
  }

  onMessage(_from: string, msg: DataflowMessage): void {
    if (!this.volatile.deployed) return;
    switch (msg.type) {
      case "TriggerCheckpoint": {
        const offset = this.volatile.offset;
        this.send(this.options.downstream, { type: "Barrier", checkpointId: msg.checkpointId });
        this.send(this.options.coordinator, {
          type: "AcknowledgeCheckpoint",
          checkpointId: msg.checkpointId,
          snapshot: { kind: "source", partition: this.options.partitionIndex, offset },
        });
        this.note(
          `injects barrier ${msg.checkpointId} ${offset === 0 ? "before its first record" : `after offset ${offset - 1}`} and acknowledges with offset ${offset}, the next to read`,
          { level: "detail" },
        );
        return;
      }
      case "NotifyCheckpointComplete":
        return;
      case "Record":
      case "Barrier":
      case "Output":
      case "AcknowledgeCheckpoint":
        return;
      default:
        unreachable(msg, "message");
    }
  }
}
