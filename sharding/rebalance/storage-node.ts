/**
 * Storage node: holds whole partitions and hands them to a new owner when the router asks
 * (DDIA ch. 6, "Rebalancing Partitions": "Fixed number of partitions"; the move protocol here is
 * ours, in the spirit of Riak's handoff and Elasticsearch's peer recovery).
 *
 * A partition copy on this node is in one of three roles:
 * - `active`: this node owns the partition and serves reads and writes.
 * - `moving-out`: this node still owns it but is copying it to a new owner. During the bulk copy
 *   it keeps serving ("the old assignment of partitions is used for any reads and writes that
 *   happen while the transfer is in progress") and remembers which keys were written. When every
 *   snapshot chunk is confirmed it freezes the partition (requests get Retry), sends the keys
 *   written during the copy as one catch-up chunk, and only when that too is confirmed does it
 *   delete its copy and tell the router the move is complete.
 * - `receiving`: a new owner storing chunks; it serves nothing until the router activates it.
 *
 * Durable: the copies (entries, role, move progress: how far the stream has got and which chunks
 * the new owner has confirmed) and the moves awaiting the router's Release. Volatile: when each
 * chunk was last sent. After a crash the old owner resumes where its durable state says it was:
 * confirmed chunks are never sent again, and chunks sent but not confirmed are resent (the new
 * owner merges by version, so a resend is harmless).
 *
 * Bandwidth: a node sends at most one chunk every `chunkIntervalMs` (over all its hand-offs,
 * resends included), and a chunk is resent only when `resendMs` pass without its
 * acknowledgement. So on a network that loses nothing, each chunk crosses it exactly once.
 *
 * The `unsafe` variant skips the confirmations: it sends each chunk once, tells the router the
 * move is complete at once, keeps acknowledging writes until the router releases it, and then
 * drops its copy. Writes acknowledged after their chunk was sent, and chunks the network lost,
 * are gone. Real systems add replication (DDIA ch. 5) so a partition lives on several nodes; we
 * keep one copy per partition so that the move protocol alone decides whether data survives.
 */

import { unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { partitionOf } from "../placement.js";
import { REF } from "../refs.js";
import { counted } from "../words.js";
import type { Entry, RebalanceMessage } from "./messages.js";

export interface StorageConfig {
  partitions: number;
  router: string;
  /** Keys per snapshot chunk. */
  chunkKeys: number;
  /** How long to wait for an acknowledgement before resending. */
  resendMs: number;
  /** Transfers are bandwidth-limited: one chunk leaves every this many milliseconds. */
  chunkIntervalMs: number;
  unsafe: boolean;
}

export interface StoredValue {
  value: string;
  version: number;
}

export interface MoveOut {
  moveId: number;
  to: string;
  /** The keys present when the move began, cut into chunks of `chunkKeys`. */
  keys: string[];
  chunkCount: number;
  /** The first chunk not yet streamed: a transfer sends one chunk per `chunkIntervalMs`. */
  nextChunk: number;
  phase: "copy" | "catch-up";
  /** Keys written during the copy, sent again in the catch-up chunk. */
  dirty: string[];
  /** Chunks the new owner has confirmed (the catch-up chunk is number `chunkCount`). */
  confirmed: number[];
}

export interface PartitionCopy {
  role: "active" | "moving-out" | "receiving";
  entries: Record<string, StoredValue>;
  move?: MoveOut;
}

export interface StorageDurable {
  copies: Record<number, PartitionCopy>;
  /** True from the operator's request to join until the router acknowledges it. */
  joining: boolean;
  /** moveId → partition: handed off, waiting for the router's Release. */
  awaitingRelease: Record<number, number>;
}

interface StorageVolatile {
  /** moveId → chunk → when it was last sent (simulated ms). Lost in a crash: then all unconfirmed chunks are due. */
  sentAtMs: Map<number, Map<number, number>>;
  /** When this node last sent a chunk: transfers are bandwidth-limited. */
  lastChunkAtMs: number;
}

export class StorageNode extends SimNode<RebalanceMessage, StorageDurable, StorageVolatile> {
  constructor(
    id: string,
    net: Network<RebalanceMessage>,
    readonly config: StorageConfig,
    copies: Record<number, PartitionCopy> = {},
  ) {
    super(id, net, { copies, joining: false, awaitingRelease: {} });
  }

  protected initialVolatile(): StorageVolatile {
    return { sentAtMs: new Map(), lastChunkAtMs: Number.NEGATIVE_INFINITY };
  }

  /** The operator adds this node to the cluster (DDIA: "Operations: Automatic or Manual Rebalancing"). */
  requestJoin(): void {
    this.durable.joining = true;
    this.note("is added by the operator and asks the router to join", {
      ref: REF.operations,
      level: "summary",
    });
    // A node that is down when the operator adds it asks once it is back (see onRecover).
    if (!this.crashed) this.sendJoin();
  }

  private sendJoin(): void {
    this.send(this.config.router, { type: "Join", node: this.id });
    this.setTimer("join", this.config.resendMs);
  }

  protected override onRecover(): void {
    if (this.durable.joining) this.sendJoin();
    // Resume every hand-off that was under way from its durable progress.
    for (const copy of Object.values(this.durable.copies)) {
      const move = copy.move;
      if (move === undefined) continue;
      const partition = this.partitionOfCopy(copy);
      if (!this.config.unsafe) {
        const confirmed = move.confirmed.filter((c) => c < move.chunkCount).length;
        const unconfirmed = move.nextChunk - confirmed;
        this.note(
          move.phase === "copy"
            ? `restarts and resumes moving partition ${partition} to ${move.to} from its durable state: ${confirmed} of ${move.chunkCount} snapshot chunks confirmed, ${move.nextChunk} streamed; it resends the ${unconfirmed} unconfirmed and streams on from chunk ${move.nextChunk}, not from the start`
            : `restarts and resumes moving partition ${partition} to ${move.to} from its durable state: the snapshot is confirmed and the partition frozen; it resends the catch-up chunk`,
          { ref: REF.fixed },
        );
      }
      this.continueMove(copy);
    }
    for (const moveId of Object.keys(this.durable.awaitingRelease))
      this.sendMoveComplete(Number(moveId));
  }

  onMessage(from: string, msg: RebalanceMessage): void {
    switch (msg.type) {
      case "Put":
      case "Get":
        this.serve(msg);
        break;
      case "StartMove":
        this.startMove(msg.moveId, msg.partition, msg.to);
        break;
      case "MoveData":
        this.receiveChunk(from, msg.moveId, msg.partition, msg.chunk, msg.entries);
        break;
      case "MoveDataAck":
        this.chunkConfirmed(msg.moveId, msg.partition, msg.chunk);
        break;
      case "Activate":
        this.activate(from, msg.moveId, msg.partition);
        break;
      case "Release":
        this.release(msg.moveId, msg.partition);
        break;
      case "JoinAck":
        this.durable.joining = false;
        this.cancelTimer("join");
        break;
      case "PutOk":
      case "GetOk":
      case "Retry":
      case "Join":
      case "MoveComplete":
      case "ActivateAck":
        break; // not addressed to a storage node
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    if (name === "join") {
      if (this.durable.joining) this.sendJoin();
      return;
    }
    const moveId = Number(name.slice("move-".length));
    if (this.durable.awaitingRelease[moveId] !== undefined) {
      this.sendMoveComplete(moveId);
      return;
    }
    const copy = Object.values(this.durable.copies).find((c) => c.move?.moveId === moveId);
    if (copy !== undefined) this.continueMove(copy);
  }

  private serve(msg: Extract<RebalanceMessage, { type: "Put" | "Get" }>): void {
    const partition = partitionOf(msg.key, this.config.partitions);
    const copy = this.durable.copies[partition];
    const refusal =
      copy === undefined
        ? `${this.id} does not own partition ${partition}`
        : copy.role === "receiving"
          ? `partition ${partition} is still arriving at ${this.id}`
          : copy.move?.phase === "catch-up"
            ? `partition ${partition} is frozen for hand-off`
            : undefined;
    if (copy === undefined || refusal !== undefined) {
      this.send(msg.client, { type: "Retry", requestId: msg.requestId, reason: refusal ?? "" });
      return;
    }
    if (msg.type === "Get") {
      const stored = copy.entries[msg.key];
      this.send(msg.client, {
        type: "GetOk",
        requestId: msg.requestId,
        value: stored?.value ?? null,
        version: stored?.version ?? 0,
      });
      return;
    }
    const stored = copy.entries[msg.key];
    // Versions make retries and duplicated messages harmless: an older write never overwrites a newer one.
    if (stored === undefined || msg.version > stored.version) {
      copy.entries[msg.key] = { value: msg.value, version: msg.version };
    }
    if (copy.move !== undefined && !copy.move.dirty.includes(msg.key))
      copy.move.dirty.push(msg.key);
    this.send(msg.client, { type: "PutOk", requestId: msg.requestId });
  }

  private startMove(moveId: number, partition: number, to: string): void {
    if (this.durable.awaitingRelease[moveId] !== undefined) {
      this.sendMoveComplete(moveId);
      return;
    }
    const copy = this.durable.copies[partition];
    // No copy: it moved away long ago and this StartMove is a stale resend.
    if (copy === undefined || copy.role === "receiving") return;
    // A resent StartMove for a hand-off under way: its own timer drives it, so nothing to add.
    if (copy.move !== undefined) {
      if (!this.hasTimer(`move-${copy.move.moveId}`)) this.continueMove(copy);
      return;
    }
    const keys = Object.keys(copy.entries).sort();
    const chunkCount = Math.max(1, Math.ceil(keys.length / this.config.chunkKeys));
    copy.role = "moving-out";
    copy.move = {
      moveId,
      to,
      keys,
      chunkCount,
      nextChunk: 0,
      phase: "copy",
      dirty: [],
      confirmed: [],
    };
    this.note(
      `copies partition ${partition} (${keys.length} key${keys.length === 1 ? "" : "s"}, ${chunkCount} chunk${chunkCount === 1 ? "" : "s"}) to ${to}; it keeps serving partition ${partition} during the copy`,
      { ref: REF.fixed },
    );
    this.continueMove(copy);
  }

  /**
   * Drive a hand-off one step, at most one chunk per `chunkIntervalMs`: resend the oldest chunk
   * whose acknowledgement is overdue, or else stream the next snapshot chunk; then arm the timer
   * for the next step (the next free slot, or the next acknowledgement to fall due).
   */
  private continueMove(copy: PartitionCopy): void {
    const move = copy.move;
    if (move === undefined) return;
    const timer = `move-${move.moveId}`;
    const partition = this.partitionOfCopy(copy);
    const now = this.sim.now;
    const freeAtMs = this.volatile.lastChunkAtMs + this.config.chunkIntervalMs;
    if (now < freeAtMs) {
      this.setTimer(timer, freeAtMs - now);
      return;
    }
    if (this.config.unsafe) {
      if (move.nextChunk < move.chunkCount) {
        this.sendChunk(copy, partition, move.nextChunk++);
        this.setTimer(timer, this.config.chunkIntervalMs);
        return;
      }
      if (this.durable.awaitingRelease[move.moveId] !== undefined) return;
      this.note(
        `UNSAFE: has sent partition ${partition} and reports the move complete, without waiting for ${move.to} to confirm a single chunk; it goes on acknowledging writes until the router switches`,
      );
      this.durable.awaitingRelease[move.moveId] = partition;
      this.sendMoveComplete(move.moveId);
      return;
    }
    const sentAt = this.volatile.sentAtMs.get(move.moveId) ?? new Map<number, number>();
    // The chunks sent and not yet confirmed: the snapshot streamed so far, or the catch-up chunk.
    const outstanding = (
      move.phase === "copy"
        ? Array.from({ length: move.nextChunk }, (_, c) => c)
        : [move.chunkCount]
    ).filter((c) => !move.confirmed.includes(c));
    // A chunk with no send time was sent before a crash (or, the catch-up, never): it is due now.
    const dueAt = (c: number) => (sentAt.get(c) ?? Number.NEGATIVE_INFINITY) + this.config.resendMs;
    const overdue = outstanding.find((c) => dueAt(c) <= now);
    if (overdue !== undefined) {
      this.sendChunk(copy, partition, overdue);
      this.setTimer(timer, this.config.chunkIntervalMs);
    } else if (move.phase === "copy" && move.nextChunk < move.chunkCount) {
      this.sendChunk(copy, partition, move.nextChunk++);
      this.setTimer(timer, this.config.chunkIntervalMs);
    } else if (outstanding.length > 0) {
      this.setTimer(timer, Math.min(...outstanding.map(dueAt)) - now);
    }
  }

  private sendChunk(copy: PartitionCopy, partition: number, chunk: number): void {
    const move = copy.move;
    if (move === undefined) return;
    const keys =
      chunk < move.chunkCount
        ? move.keys.slice(chunk * this.config.chunkKeys, (chunk + 1) * this.config.chunkKeys)
        : move.dirty;
    // Current values, not the values at the start of the move: anything newer is welcome.
    const entries: Entry[] = [];
    for (const key of keys) {
      const stored = copy.entries[key];
      if (stored !== undefined) entries.push({ key, value: stored.value, version: stored.version });
    }
    const sentAt = this.volatile.sentAtMs.get(move.moveId) ?? new Map<number, number>();
    this.volatile.sentAtMs.set(move.moveId, sentAt);
    sentAt.set(chunk, this.sim.now);
    this.volatile.lastChunkAtMs = this.sim.now;
    this.send(move.to, { type: "MoveData", moveId: move.moveId, partition, chunk, entries });
  }

  /** An acknowledgement counts whenever it arrives, during the stream or after it. */
  private chunkConfirmed(moveId: number, partition: number, chunk: number): void {
    const copy = this.durable.copies[partition];
    const move = copy?.move;
    if (copy === undefined || move === undefined || move.moveId !== moveId || this.config.unsafe)
      return;
    if (move.confirmed.includes(chunk)) return; // a duplicate, or the answer to a resend
    move.confirmed.push(chunk);
    const snapshotConfirmed = move.confirmed.filter((c) => c < move.chunkCount).length;
    if (move.phase === "copy" && snapshotConfirmed === move.chunkCount) {
      move.phase = "catch-up";
      this.note(
        move.dirty.length === 0
          ? `has every snapshot chunk of partition ${partition} confirmed; freezes it and sends an empty catch-up chunk (no key was written during the copy)`
          : `has every snapshot chunk of partition ${partition} confirmed; freezes it and sends the ${move.dirty.length} key${move.dirty.length === 1 ? "" : "s"} written during the copy`,
      );
      this.continueMove(copy);
    } else if (move.phase === "catch-up" && chunk === move.chunkCount) {
      delete this.durable.copies[partition];
      this.volatile.sentAtMs.delete(moveId);
      this.durable.awaitingRelease[moveId] = partition;
      this.cancelTimer(`move-${moveId}`);
      this.note(
        `${move.to} confirmed all of partition ${partition}; ${this.id} deletes its copy and tells the router`,
      );
      this.sendMoveComplete(moveId);
    }
  }

  private sendMoveComplete(moveId: number): void {
    const partition = this.durable.awaitingRelease[moveId];
    if (partition === undefined) return;
    this.send(this.config.router, { type: "MoveComplete", moveId, partition });
    this.setTimer(`move-${moveId}`, this.config.resendMs);
  }

  private release(moveId: number, partition: number): void {
    if (this.durable.awaitingRelease[moveId] === undefined) return;
    delete this.durable.awaitingRelease[moveId];
    this.cancelTimer(`move-${moveId}`);
    const copy = this.durable.copies[partition];
    if (this.config.unsafe && copy?.move?.moveId === moveId) {
      delete this.durable.copies[partition];
      this.note(
        `UNSAFE: drops its copy of partition ${partition}, never having heard that ${copy.move.to} has it`,
        {
          ref: REF.fixed,
        },
      );
    }
  }

  private receiveChunk(
    from: string,
    moveId: number,
    partition: number,
    chunk: number,
    entries: readonly Entry[],
  ): void {
    let copy = this.durable.copies[partition];
    if (copy === undefined) {
      copy = { role: "receiving", entries: {} };
      this.durable.copies[partition] = copy;
    }
    for (const entry of entries) {
      const stored = copy.entries[entry.key];
      if (stored === undefined || entry.version > stored.version) {
        copy.entries[entry.key] = { value: entry.value, version: entry.version };
      }
    }
    this.send(from, { type: "MoveDataAck", moveId, partition, chunk });
  }

  private activate(from: string, moveId: number, partition: number): void {
    let copy = this.durable.copies[partition];
    if (copy === undefined) {
      // Only the unsafe variant can get here: activated before any chunk arrived.
      copy = { role: "receiving", entries: {} };
      this.durable.copies[partition] = copy;
    }
    if (copy.role === "receiving") {
      copy.role = "active";
      this.note(
        `now owns partition ${partition} (${counted(Object.keys(copy.entries).length, "key")}) and serves it`,
      );
    }
    this.send(from, { type: "ActivateAck", moveId, partition });
  }

  private partitionOfCopy(copy: PartitionCopy): number {
    for (const [partition, c] of Object.entries(this.durable.copies))
      if (c === copy) return Number(partition);
    throw new Error(`${this.id}: copy not found`);
  }
}
