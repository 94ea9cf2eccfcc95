/**
 * The clients of the log-based broker: a producer that sends records one at a time and retries,
 * and a consumer that fetches committed records from each partition's leader. Both learn where
 * the leaders are from the controller (Metadata), and ask again when a broker says it is not the
 * leader or a request times out.
 *
 * The producer records every send in a Jepsen-style history: `ok` with the offset when the broker
 * acknowledged it, `info` when it gave up (the record may or may not be in the log). With acks=0
 * nothing is ever acknowledged, so nothing is recorded as `ok`.
 */

import type { History } from "../../shared/history.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { kafkaPartition } from "../partitioner.js";
import type { Acks, ClusterMessage, PartitionState, WireRecord } from "./messages.js";

export interface ProducerConfig {
  controller: string;
  partitions: number;
  acks: Acks;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  maxAttempts: number;
  /** Idempotent producer: send a producer id and per-partition sequence numbers. */
  idempotence: boolean;
  producerId: number;
  history: History<{ value: string; offset?: number }>;
}

interface Outgoing {
  key: string;
  value: string;
  partition: number;
  sequence: number;
  historyOp: number;
  attempts: number;
  requestId: string;
  firstSentMs: number;
}

export class Producer extends SimNode<ClusterMessage, null, null> {
  /** Acknowledgement latency of every acknowledged record, in simulated ms. */
  readonly latenciesMs: number[] = [];
  private leaders: (string | null)[] = [];
  private readonly queue: { key: string; value: string }[] = [];
  /** The next record of `queue` to send (an index, so that taking one costs nothing). */
  private head = 0;
  private current: Outgoing | undefined;
  private readonly sequences = new Map<number, number>();
  private requests = 0;
  retries = 0;

  constructor(
    id: string,
    net: Network<ClusterMessage>,
    readonly config: ProducerConfig,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  get idle(): boolean {
    return this.current === undefined && this.head === this.queue.length;
  }

  /** Queue records to send, in order, one at a time (max.in.flight.requests = 1). */
  sendAll(records: { key: string; value: string }[]): void {
    this.queue.push(...records);
    if (this.current === undefined) this.next();
  }

  override onTimer(name: string): void {
    if (name === "timeout" || name === "retry") this.attempt(name === "timeout");
  }

  onMessage(_from: string, msg: ClusterMessage): void {
    if (msg.type === "MetadataResponse") {
      this.leaders = msg.partitions.map((p: PartitionState) => p.leader);
      return;
    }
    const current = this.current;
    if (
      msg.type !== "ProduceResponse" ||
      current === undefined ||
      msg.requestId !== current.requestId
    )
      return;
    this.cancelTimer("timeout");
    if (msg.error === undefined) {
      this.latenciesMs.push(this.sim.now - current.firstSentMs);
      this.config.history.complete(
        current.historyOp,
        "ok",
        { value: current.value, offset: msg.offset ?? -1 },
        this.sim.now,
      );
      this.current = undefined;
      this.next();
      return;
    }
    // Not the leader, or not enough replicas: ask where the leader is, and try again shortly.
    this.refreshMetadata();
    this.setTimer("retry", this.config.retryBackoffMs);
  }

  private next(): void {
    const record = this.queue[this.head];
    if (record === undefined) return;
    this.head++;
    const partition = kafkaPartition(record.key, this.config.partitions);
    const sequence = this.sequences.get(partition) ?? 0;
    this.sequences.set(partition, sequence + 1);
    const historyOp = this.config.history.invoke(
      this.id,
      "send",
      String(partition),
      { value: record.value },
      this.sim.now,
    );
    this.current = {
      ...record,
      partition,
      sequence,
      historyOp,
      attempts: 0,
      requestId: "",
      firstSentMs: this.sim.now,
    };
    this.attempt(false);
  }

  private attempt(afterTimeout: boolean): void {
    const current = this.current;
    if (current === undefined) return;
    if (afterTimeout) this.refreshMetadata();
    if (current.attempts >= this.config.maxAttempts) {
      this.config.history.complete(current.historyOp, "info", undefined, this.sim.now);
      this.current = undefined;
      this.next();
      return;
    }
    if (current.attempts > 0) this.retries++;
    current.attempts++;
    current.requestId = `${this.id}-${++this.requests}`;
    const leader = this.leaders[current.partition];
    if (leader !== null && leader !== undefined) {
      this.send(leader, {
        type: "Produce",
        requestId: current.requestId,
        partition: current.partition,
        key: current.key,
        value: current.value,
        acks: this.config.acks,
        ...(this.config.idempotence
          ? { producerId: this.config.producerId, sequence: current.sequence }
          : {}),
      });
    } else {
      this.refreshMetadata();
    }
    if (this.config.acks === "0" && leader) {
      // Fire and forget: the producer moves on at once and never learns what happened.
      this.config.history.complete(current.historyOp, "info", undefined, this.sim.now);
      this.current = undefined;
      this.next();
      return;
    }
    this.setTimer("timeout", this.config.requestTimeoutMs);
  }

  refreshMetadata(): void {
    this.send(this.config.controller, { type: "Metadata", requestId: `${this.id}-meta` });
  }
}

/** A consumer that reads every partition from the start, only up to each leader's high watermark. */
export class Consumer extends SimNode<ClusterMessage, null, null> {
  /** What it read, per partition, in the order it read it. */
  readonly seen = new Map<number, WireRecord[]>();
  private leaders: (string | null)[] = [];
  private readonly positions = new Map<number, number>();
  /** Times the consumer's position was past the new leader's log: committed data it read is gone. */
  resets = 0;

  constructor(
    id: string,
    net: Network<ClusterMessage>,
    readonly controller: string,
    readonly partitions: number,
    readonly pollMs: number,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    this.setTimer("poll", 0);
  }

  override onTimer(): void {
    this.send(this.controller, { type: "Metadata", requestId: `${this.id}-meta` });
    for (let p = 0; p < this.partitions; p++) {
      const leader = this.leaders[p];
      if (leader === null || leader === undefined) continue;
      const position = this.positions.get(p) ?? 0;
      const last = this.seen.get(p)?.at(-1);
      this.send(leader, {
        type: "Fetch",
        partition: p,
        replica: this.id,
        isFollower: false,
        fetchOffset: position,
        lastFetchedEpoch: last !== undefined && last.offset === position - 1 ? last.epoch : -1,
        leaderEpoch: -1,
      });
    }
    this.setTimer("poll", this.pollMs);
  }

  onMessage(_from: string, msg: ClusterMessage): void {
    if (msg.type === "MetadataResponse") {
      this.leaders = msg.partitions.map((p) => p.leader);
      return;
    }
    if (msg.type !== "FetchResponse" || msg.error !== undefined) return;
    if (msg.truncateTo !== undefined) {
      // The leader no longer has what we read (only possible after an unclean election).
      this.resets++;
      this.positions.set(msg.partition, msg.truncateTo);
      return;
    }
    const position = this.positions.get(msg.partition) ?? 0;
    const list = this.seen.get(msg.partition) ?? [];
    for (const r of msg.records) {
      if (r.offset < position) continue;
      list.push(r);
      this.positions.set(msg.partition, r.offset + 1);
    }
    this.seen.set(msg.partition, list);
  }
}
