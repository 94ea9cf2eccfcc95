/**
 * The sink task: writes each output row to the external store (DDIA ch. 11, "Fault Tolerance").
 * Three kinds:
 *
 * - `transactional` ("Atomic commit revisited"; after Flink's TwoPhaseCommitSinkFunction, now
 *   legacy, succeeded by the Sink API's committer): rows go into a store transaction, one per
 *   checkpoint interval. On barrier n the sink pre-commits the transaction (the store prepares
 *   it), starts the next, and acknowledges with the list of pre-committed transactions not yet
 *   committed. On NotifyCheckpointComplete n it commits every pending transaction up to
 *   checkpoint n. Restored from checkpoint n, it commits the transactions that checkpoint lists
 *   (n completed, but the notification may have been lost in the failure) and aborts every other
 *   uncommitted transaction of its own: their rows came from records that will be read again.
 *   Readers see a row only once its checkpoint completes.
 *   Flink splits that abort in two: TwoPhaseCommitSinkFunction's snapshot also records the
 *   transaction it opened at the barrier, and its initializeState aborts that one
 *   (recoverAndAbort); transactions opened after the checkpoint, pre-committed or not, are unknown
 *   to the snapshot, and the connector aborts them (Flink's Kafka producer by the transactional
 *   ids it draws from a known pool). Our store lists a writer's transactions, so one call does both.
 * - `idempotent` ("Idempotence"): an upsert keyed by the row's id, which is derived from the
 *   record's partition and offset, so a replayed record rewrites its own row. Readers see rows at
 *   once; a replay rewrites them, with the same value only if the computation is deterministic.
 * - `append` (broken): inserts every row it receives. A replayed record's row is inserted again.
 *
 * Volatile state: the open transaction and the pending ones; on restore they come back from the
 * checkpoint. Left out: Flink's sink writer/committer split (FLIP-143), and several sink tasks.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { plural } from "../../shared/words.js";
import type { DataflowMessage, TaskSnapshot } from "./messages.js";
import type { ExternalStore } from "./store.js";

export const SINKS = ["transactional", "idempotent", "append"] as const;
export type SinkKind = (typeof SINKS)[number];

interface Pending {
  readonly checkpointId: number;
  readonly txid: string;
}

interface SinkVolatile {
  deployed: boolean;
  /** The transaction rows go into now (transactional only). */
  current: string | undefined;
  pending: Pending[];
}

export interface SinkOptions {
  readonly kind: SinkKind;
  readonly store: ExternalStore;
  readonly coordinator: string;
}

export class Sink extends SimNode<DataflowMessage, null, SinkVolatile> {
  constructor(
    id: string,
    net: Network<DataflowMessage>,
    private readonly options: SinkOptions,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): SinkVolatile {
    return { deployed: false, current: undefined, pending: [] };
  }

  restore(snapshot: TaskSnapshot | undefined): void {
    this.volatile = { deployed: true, current: undefined, pending: [] };
    if (this.options.kind !== "transactional") return;
    const store = this.options.store;
    // As TwoPhaseCommitSinkFunction's initializeState: commit what the checkpoint lists as
    // pre-committed (recoverAndCommit), then abort what this sink left uncommitted (see the header).
    const toCommit = snapshot?.kind === "sink" ? snapshot.pending : [];
    for (const p of toCommit) {
      const { rows, repeated } = store.commit(p.txid);
      this.note(
        repeated
          ? `restored: ${p.txid} (checkpoint ${p.checkpointId}) was already committed; committing it again changes nothing`
          : `restored: commits ${p.txid} (checkpoint ${p.checkpointId}, ${plural(rows, "row")}), pre-committed before the failure; the checkpoint had completed but the sink never heard`,
      );
    }
    const aborted = store.abortUncommitted(this.id);
    if (aborted.transactions.length > 0)
      this.note(
        aborted.rows === 0
          ? `restored: aborts ${aborted.transactions.join(", ")}, which held no row`
          : `restored: aborts ${aborted.transactions.join(", ")} (${plural(aborted.rows, "uncommitted row")}, never seen by a reader): their records will be read again`,
      );
    this.volatile.current = store.begin(this.id);
  }

  onMessage(_from: string, msg: DataflowMessage): void {
    if (!this.volatile.deployed) return;
    const store = this.options.store;
    switch (msg.type) {
      case "Output": {
        const row = { id: msg.id, key: msg.key, value: msg.value, total: msg.total };
        switch (this.options.kind) {
          case "transactional":
            store.write(this.volatile.current as string, row);
            return;
          case "idempotent":
            store.upsert(row);
            return;
          case "append":
            store.append(row);
            return;
          default:
            unreachable(this.options.kind, "sink");
        }
        return;
      }
      case "Barrier": {
        const checkpointId = msg.checkpointId;
        const current = this.volatile.current;
        if (current !== undefined) {
          const rows = store.prepare(current);
          this.volatile.pending.push({ checkpointId, txid: current });
          this.volatile.current = store.begin(this.id);
          this.note(
            `barrier ${checkpointId}: pre-commits ${current} (${rows} rows), opens ${this.volatile.current}`,
            { level: "detail" },
          );
        }
        this.send(this.options.coordinator, {
          type: "AcknowledgeCheckpoint",
          checkpointId,
          snapshot: { kind: "sink", pending: this.volatile.pending.map((p) => ({ ...p })) },
        });
        return;
      }
      case "NotifyCheckpointComplete": {
        const done = this.volatile.pending.filter((p) => p.checkpointId <= msg.checkpointId);
        this.volatile.pending = this.volatile.pending.filter(
          (p) => p.checkpointId > msg.checkpointId,
        );
        for (const p of done) {
          const { rows } = store.commit(p.txid);
          this.note(
            `checkpoint ${msg.checkpointId} complete: commits ${p.txid}; its ${rows} rows become visible`,
            { level: "detail" },
          );
        }
        return;
      }
      case "Record":
      case "TriggerCheckpoint":
      case "AcknowledgeCheckpoint":
        return;
      default:
        unreachable(msg, "message");
    }
  }
}
