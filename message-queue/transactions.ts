/**
 * Kafka-style transactions for a read-process-write pipeline (DDIA ch. 11, "Fault Tolerance":
 * "Atomic commit revisited" and "Idempotence"; Kafka's KIP-98). The pipeline's output records and
 * its input offsets commit together, or not at all.
 *
 * - A transactional producer registers its transactional id with the coordinator and gets a
 *   producer id and an epoch; registering again bumps the epoch, which aborts whatever the previous
 *   incarnation left open and fences that incarnation (a zombie) out.
 * - Records written in a transaction sit in the output log as usual, but read_committed consumers
 *   only see them once a COMMIT marker for their transaction follows; an ABORT marker discards
 *   them. (Kafka also holds read_committed consumers at the first open transaction, the last
 *   stable offset; with one producer per partition, as here, the order is the same either way.)
 * - The input offsets are part of the transaction: they become the group's committed offsets only
 *   when the transaction commits.
 */

export type OutputEntry =
  | { kind: "data"; value: string; producerId: number; epoch: number; transactional: boolean }
  | { kind: "marker"; marker: "COMMIT" | "ABORT"; producerId: number; epoch: number };

interface TransactionState {
  producerId: number;
  epoch: number;
  open: boolean;
  pendingOffset: number | undefined;
}

export class ProducerFenced extends Error {
  override name = "ProducerFenced";
}

export class TransactionCoordinator {
  /** The output partition (one partition keeps the example small). */
  readonly output: OutputEntry[] = [];
  /** The consumer group's committed input offset (Kafka's __consumer_offsets). */
  committedOffset = 0;
  private readonly transactions = new Map<string, TransactionState>();
  private nextProducerId = 1;

  /** initTransactions(): a new epoch for this transactional id, aborting what the last one left open. */
  initTransactions(transactionalId: string): {
    producerId: number;
    epoch: number;
    aborted: boolean;
  } {
    const state = this.transactions.get(transactionalId);
    if (state === undefined) {
      const fresh = {
        producerId: this.nextProducerId++,
        epoch: 0,
        open: false,
        pendingOffset: undefined,
      };
      this.transactions.set(transactionalId, fresh);
      return { producerId: fresh.producerId, epoch: 0, aborted: false };
    }
    const aborted = state.open;
    if (state.open)
      this.output.push({
        kind: "marker",
        marker: "ABORT",
        producerId: state.producerId,
        epoch: state.epoch,
      });
    state.epoch++;
    state.open = false;
    state.pendingOffset = undefined;
    return { producerId: state.producerId, epoch: state.epoch, aborted };
  }

  private current(transactionalId: string, epoch: number): TransactionState {
    const state = this.transactions.get(transactionalId);
    if (state === undefined || state.epoch !== epoch)
      throw new ProducerFenced(`${transactionalId} epoch ${epoch} is fenced`);
    return state;
  }

  send(transactionalId: string, epoch: number, value: string): void {
    const state = this.current(transactionalId, epoch);
    state.open = true;
    this.output.push({
      kind: "data",
      value,
      producerId: state.producerId,
      epoch,
      transactional: true,
    });
  }

  sendOffsetsToTransaction(transactionalId: string, epoch: number, offset: number): void {
    const state = this.current(transactionalId, epoch);
    state.open = true;
    state.pendingOffset = offset;
  }

  /** Commit: the marker and the offsets, together. */
  commit(transactionalId: string, epoch: number): void {
    const state = this.current(transactionalId, epoch);
    if (!state.open) return;
    this.output.push({ kind: "marker", marker: "COMMIT", producerId: state.producerId, epoch });
    if (state.pendingOffset !== undefined) this.committedOffset = state.pendingOffset;
    state.open = false;
    state.pendingOffset = undefined;
  }
}

/** What a read_committed consumer sees: each transaction's data once its COMMIT marker is read. */
export function readCommitted(output: readonly OutputEntry[]): string[] {
  const out: string[] = [];
  const pending = new Map<number, string[]>();
  for (const entry of output) {
    if (entry.kind === "data" && !entry.transactional) out.push(entry.value);
    else if (entry.kind === "data")
      pending.set(entry.producerId, [...(pending.get(entry.producerId) ?? []), entry.value]);
    else {
      if (entry.marker === "COMMIT") out.push(...(pending.get(entry.producerId) ?? []));
      pending.delete(entry.producerId);
    }
  }
  return out;
}

/** What a read_uncommitted consumer sees: every data record. */
export function readUncommitted(output: readonly OutputEntry[]): string[] {
  return output.flatMap((e) => (e.kind === "data" ? [e.value] : []));
}
