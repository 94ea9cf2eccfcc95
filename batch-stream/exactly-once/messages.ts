/**
 * Exactly-once stream processing with checkpoints (DDIA ch. 11, "Fault Tolerance": "Microbatching
 * and checkpointing", "Atomic commit revisited", "Idempotence"): the protocol at a glance, in
 * Flink's words (Carbone et al. 2015, "Lightweight Asynchronous Snapshots for Distributed
 * Dataflows", a variant of Chandy and Lamport's snapshot algorithm).
 *
 *   coordinator ──TriggerCheckpoint n──▶ source       (every checkpoint interval)
 *   source ──Record…, Barrier n, Record…──▶ operator  (the barrier is injected into the stream)
 *   operator ──Output…, Barrier n, Output…──▶ sink    (forwarded once aligned on every input)
 *   task ──AcknowledgeCheckpoint n (its snapshot)──▶ coordinator
 *   coordinator ──NotifyCheckpointComplete n──▶ task  (once every task has acknowledged)
 *
 * Data channels (source to operator, operator to sink) are reliable and in order, as Flink's TCP
 * connections between tasks are: a barrier splits a channel's records into those before the
 * checkpoint and those after it only because nothing overtakes it.
 */

/** One record of the partitioned log: its place (partition, offset) and its content. */
export interface LogRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: number;
}

/**
 * One row the job writes to the external store: the record it came from (`id`, deterministic:
 * "p0@17" is offset 17 of partition 0), its key and value, and the key's running total after it.
 */
export interface OutputRow {
  readonly id: string;
  readonly key: string;
  readonly value: number;
  readonly total: number;
}

/** What each task puts in a checkpoint (its state backend snapshot). */
export type TaskSnapshot =
  /** A source: the offset of the next record it would read (every record before it is in). */
  | { readonly kind: "source"; readonly partition: number; readonly offset: number }
  /** The keyed operator: the total per key. */
  | { readonly kind: "operator"; readonly totals: Readonly<Record<string, number>> }
  /**
   * The sink: the transactions it pre-committed and has not yet seen committed, each with the
   * checkpoint it belongs to (empty for a sink without transactions).
   */
  | {
      readonly kind: "sink";
      readonly pending: readonly { readonly checkpointId: number; readonly txid: string }[];
    };

export type DataflowMessage =
  | ({ readonly type: "Record" } & LogRecord)
  | { readonly type: "Barrier"; readonly checkpointId: number }
  | ({ readonly type: "Output" } & OutputRow)
  | { readonly type: "TriggerCheckpoint"; readonly checkpointId: number }
  | {
      readonly type: "AcknowledgeCheckpoint";
      readonly checkpointId: number;
      readonly snapshot: TaskSnapshot;
    }
  | { readonly type: "NotifyCheckpointComplete"; readonly checkpointId: number };

/** Where each output row comes from: offset 17 of partition 0 is "p0@17". */
export const rowId = (partition: number, offset: number): string => `p${partition}@${offset}`;
