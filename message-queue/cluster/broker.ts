/**
 * A broker: it holds one replica of some partitions and, for each, is either the leader or a
 * follower (DDIA ch. 11, "Partitioned Logs", and ch. 5, "Leaders and Followers"; Kafka's replica
 * manager).
 *
 * As leader of a partition it appends produced records (with its leader epoch), serves fetches,
 * tracks each follower's log end offset, and advances the high watermark to the smallest log end
 * offset in the in-sync replica set (ISR): records below the high watermark are on every ISR member,
 * so they are committed, and only they are visible to consumers. An `acks=all` produce is answered
 * once the high watermark passes it; `acks=1` as soon as the leader has it; `acks=0` never.
 * A follower that has not caught up for `replicaLagMaxMs` is dropped from the ISR, and one that
 * has caught up is added back, both through the controller (AlterPartition), one request in flight
 * at a time, as Kafka's Partition does it: while an expansion is pending the high watermark already
 * counts the new member (the "maximal ISR"); while a shrink is pending it still counts the member
 * being removed. A follower is caught up enough to rejoin when it has reached both the high
 * watermark and the offset where the leader's epoch began (Kafka's isFollowerInSync, KAFKA-7128:
 * a new leader's high watermark may lag behind what was committed).
 *
 * As follower, before it fetches in a new leader epoch (and after a restart), it makes its log a
 * prefix of the leader's, as Kafka does with leader epochs. It asks the leader where the epoch of
 * its own last record ends (OffsetsForLeaderEpoch); the leader answers with the largest epoch at
 * or below that one in its log and that epoch's end offset. If the follower has that epoch too, it
 * truncates to the smaller of the two end offsets and starts fetching; if not, it truncates to the
 * end of its own largest epoch below it and asks again (KIP-279). KIP-101 alone truncated to the
 * leader's end offset at once, which left a follower whose last record came from an epoch the
 * leader never saw with a different record at the same offset: `truncation: "kip-101"` keeps that
 * behaviour reachable, for the test that shows the liveness check catching it. Every fetch still
 * carries the epoch of the follower's last record, and a mismatch sends it back to asking.
 *
 * The follower's side follows Kafka 2.0 to 2.6 (KIP-279): since 2.7 (KIP-595's fetch protocol) a
 * follower no longer sends OffsetsForLeaderEpoch before fetching; the leader finds the divergence
 * from the fetch itself and answers with a DivergingEpoch, to which the follower truncates. The two
 * reach the same log; the older one shows the question being asked.
 *
 * Durable (on disk): the logs with their leader-epoch caches, the high watermarks, and the producer
 * state. Volatile: the partition state (leader, ISR, epochs), follower progress, pending acks, the
 * AlterPartition in flight. The partition state is not trusted across a restart: a broker that
 * restarts leads and follows nothing until the controller tells it the current state, as Kafka's
 * does (in KRaft mode the broker waits to catch up with the metadata log before it serves
 * requests; in ZooKeeper mode its replica manager holds no partition until LeaderAndIsr arrives).
 * What it saved may be stale: it may have led in an epoch whose ISR has since grown, and leading on
 * that would acknowledge acks=all writes the rest of the ISR never saw. Logs are durable here (as
 * if fsync'd); real Kafka does not fsync by default and relies on replication instead.
 */

import { assert } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import { type LogRecord, PartitionLog } from "../log.js";
import type { ClusterMessage, PartitionState, ProduceError, WireRecord } from "./messages.js";

export interface BrokerConfig {
  controller: string;
  minInsyncReplicas: number;
  replicaLagMaxMs: number;
  /**
   * Once per tick a broker heartbeats to the controller, checks its ISRs as leader, answers the
   * waiting fetches whose time is up, and as follower sends a fetch where none is in flight.
   */
  tickMs: number;
  /**
   * How long a follower's fetch waits at the leader when there is nothing new to read (Kafka's
   * replica.fetch.wait.max.ms): the leader answers at once when a record is appended, or empty
   * when this time is up.
   */
  fetchWaitMaxMs: number;
  /** A follower sends its fetch again when no answer came in this time (a lost message). */
  fetchTimeoutMs: number;
  /** A leader sends its AlterPartition again when no answer came in this time (a lost message). */
  alterPartitionTimeoutMs: number;
  /** Idempotence: the leader drops a retried record it has already appended (by producer id and sequence). */
  idempotence: boolean;
  /**
   * How a follower finds where its log and the leader's agree: "kip-279" (the default, Kafka since
   * 2.0) or "kip-101", the earlier rule that can leave a follower stuck: a broken variant, kept
   * so that a test can show the liveness check catching it.
   */
  truncation?: "kip-279" | "kip-101";
}

interface BrokerDurable {
  logs: Map<number, PartitionLog>;
  highWatermark: Map<number, number>;
  /** Idempotence: per partition, producerId → last sequence appended and its offset. */
  producers: Map<number, Map<number, { sequence: number; offset: number }>>;
}

interface PendingAck {
  requestId: string;
  producer: string;
  partition: number;
  offset: number;
}

interface FollowerProgress {
  endOffset: number;
  caughtUpAtMs: number;
  /** The leader's log end offset and the time when it answered this follower's previous fetch. */
  lastFetchLeaderEnd: number;
  lastFetchAtMs: number;
}

/** A follower's fetch waiting at the leader for something to read (Kafka's DelayedFetch purgatory). */
interface WaitingFetch {
  follower: string;
  fetchOffset: number;
  fetchId: number | undefined;
  deadlineMs: number;
}

/**
 * A leader's AlterPartition awaiting its answer (Kafka's PendingExpandIsr and PendingShrinkIsr).
 * It is dropped when the answer comes, or when a newer partition state arrives: the controller
 * applies a request only at the partition epoch it was based on, so it can no longer apply this one.
 */
interface AlterInFlight {
  requestId: number;
  change: "expand" | "shrink";
  isr: string[];
  partitionEpoch: number;
  sentAtMs: number;
  /** Refused (INVALID_UPDATE_VERSION and the like): not sent again; newer state will come. */
  refused: boolean;
}

interface BrokerVolatile {
  /**
   * The partition state as the controller last told it, per partition: lost in a crash, and
   * heard again after a restart before this broker leads or follows anything.
   */
  state: Map<number, PartitionState>;
  /** Leader side: follower → how far it has fetched, and when it was last caught up. */
  followers: Map<number, Map<string, FollowerProgress>>;
  /** Leader side: the log end offset when this broker's current leader epoch began, per partition. */
  leaderEpochStartOffset: Map<number, number>;
  pending: PendingAck[];
  /** Leader side: the AlterPartition in flight, per partition (at most one). */
  alterInFlight: Map<number, AlterInFlight>;
  /**
   * Follower side: the leader epoch in which this replica last made its log a prefix of the
   * leader's, per partition. It fetches only in that epoch; a new epoch or a restart asks again.
   */
  truncatedInEpoch: Map<number, number>;
  /** Leader side: per partition, each follower's fetch that waits for a record to be appended. */
  waitingFetches: Map<number, Map<string, WaitingFetch>>;
  /** Follower side: per partition, the fetch in flight (one at a time, as Kafka's fetcher). */
  fetchInFlight: Map<number, { fetchId: number; sentAtMs: number }>;
}

export class Broker extends SimNode<ClusterMessage, BrokerDurable, BrokerVolatile> {
  /** Fetch numbers never repeat, across restarts too, so an answer from before a crash is not taken for a new one. */
  private fetchesSent = 0;
  /** AlterPartition numbers, likewise. */
  private alterPartitionsSent = 0;

  constructor(
    id: string,
    net: Network<ClusterMessage>,
    readonly config: BrokerConfig,
  ) {
    super(id, net, {
      logs: new Map(),
      highWatermark: new Map(),
      producers: new Map(),
    });
  }

  protected initialVolatile(): BrokerVolatile {
    return {
      state: new Map(),
      followers: new Map(),
      leaderEpochStartOffset: new Map(),
      pending: [],
      alterInFlight: new Map(),
      truncatedInEpoch: new Map(),
      waitingFetches: new Map(),
      fetchInFlight: new Map(),
    };
  }

  protected override onStart(): void {
    this.setTimer("tick", 0);
  }

  protected override onRecover(): void {
    this.setTimer("tick", 0);
    if (this.durable.logs.size > 0)
      this.note(
        "restarts with its logs but no partition state: it leads and follows nothing until the controller says who leads, since what it knew before the crash may be out of date",
      );
  }

  log(partition: number): PartitionLog {
    let log = this.durable.logs.get(partition);
    if (log === undefined) {
      log = new PartitionLog({ segmentBytes: 1 << 20 });
      this.durable.logs.set(partition, log);
    }
    return log;
  }

  highWatermark(partition: number): number {
    return this.durable.highWatermark.get(partition) ?? 0;
  }

  /** The partition's leader, ISR and epochs as this broker last heard them from the controller, since its last restart. */
  partitionState(partition: number): PartitionState | undefined {
    return this.volatile.state.get(partition);
  }

  isLeader(partition: number): boolean {
    return this.volatile.state.get(partition)?.leader === this.id;
  }

  override onTimer(name: string): void {
    if (name !== "tick") return;
    this.send(this.config.controller, { type: "Heartbeat", broker: this.id });
    for (const [partition, state] of this.volatile.state) {
      if (state.leader === this.id) {
        this.resendAlterPartition(partition);
        this.checkIsr(partition, state);
        this.answerWaitingFetches(partition, (w) => w.deadlineMs <= this.sim.now);
      } else if (state.leader !== null && state.replicas.includes(this.id)) {
        const inFlight = this.volatile.fetchInFlight.get(partition);
        if (inFlight === undefined || this.sim.now - inFlight.sentAtMs > this.config.fetchTimeoutMs)
          this.fetchFromLeader(partition, state);
      }
    }
    this.setTimer("tick", this.config.tickMs);
  }

  onMessage(from: string, msg: ClusterMessage): void {
    switch (msg.type) {
      case "Produce":
        this.produce(from, msg);
        break;
      case "Fetch":
        this.serveFetch(from, msg);
        break;
      case "FetchResponse":
        this.followerReceive(msg);
        break;
      case "OffsetsForLeaderEpoch":
        this.serveOffsetsForLeaderEpoch(from, msg);
        break;
      case "OffsetsForLeaderEpochResponse":
        this.truncateByLeaderEpoch(msg);
        break;
      case "LeaderAndIsr":
        this.adopt(msg.state);
        break;
      case "AlterPartitionResponse":
        this.alterPartitionAnswered(msg);
        break;
      case "ProduceResponse":
      case "Heartbeat":
      case "AlterPartition":
      case "Metadata":
      case "MetadataResponse":
        break;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Leader

  private produce(from: string, msg: Extract<ClusterMessage, { type: "Produce" }>): void {
    const reply = (fields: { offset?: number; error?: ProduceError; duplicate?: boolean }) => {
      if (msg.acks !== "0")
        this.send(from, {
          type: "ProduceResponse",
          requestId: msg.requestId,
          partition: msg.partition,
          ...fields,
        });
    };
    const state = this.volatile.state.get(msg.partition);
    if (state === undefined || state.leader !== this.id) {
      reply({ error: "NOT_LEADER_OR_FOLLOWER" });
      return;
    }
    if (msg.acks === "all" && state.isr.length < this.config.minInsyncReplicas) {
      reply({ error: "NOT_ENOUGH_REPLICAS" });
      return;
    }

    if (this.config.idempotence && msg.producerId !== undefined && msg.sequence !== undefined) {
      const last = this.durable.producers.get(msg.partition)?.get(msg.producerId);
      if (last !== undefined && msg.sequence <= last.sequence) {
        // A retry of a record already in the log: answer with its offset, append nothing.
        this.note(
          `drops a duplicate from producer ${msg.producerId} (sequence ${msg.sequence} ≤ ${last.sequence})`,
        );
        this.ackWhenCommitted(from, msg, last.offset, true);
        return;
      }
      if (last !== undefined && msg.sequence > last.sequence + 1) {
        reply({ error: "OUT_OF_ORDER_SEQUENCE" });
        return;
      }
    }
    const producer =
      this.config.idempotence && msg.producerId !== undefined && msg.sequence !== undefined
        ? { producerId: msg.producerId, sequence: msg.sequence }
        : undefined;
    const offset = this.log(msg.partition).append(
      msg.key,
      msg.value,
      this.sim.now,
      state.leaderEpoch,
      producer,
    );
    if (producer !== undefined)
      this.rememberProducer(msg.partition, producer.producerId, producer.sequence, offset);
    this.advanceHighWatermark(msg.partition, state);
    this.ackWhenCommitted(from, msg, offset, false);
    // A new record: every follower fetch waiting at the log end is answered now, not at its deadline.
    this.answerWaitingFetches(msg.partition, () => true);
  }

  private ackWhenCommitted(
    from: string,
    msg: Extract<ClusterMessage, { type: "Produce" }>,
    offset: number,
    duplicate: boolean,
  ): void {
    if (msg.acks === "0") return;
    if (msg.acks === "1" || this.highWatermark(msg.partition) > offset) {
      this.send(from, {
        type: "ProduceResponse",
        requestId: msg.requestId,
        partition: msg.partition,
        offset,
        ...(duplicate ? { duplicate } : {}),
      });
      return;
    }
    this.volatile.pending.push({
      requestId: msg.requestId,
      producer: from,
      partition: msg.partition,
      offset,
    });
  }

  private serveFetch(from: string, msg: Extract<ClusterMessage, { type: "Fetch" }>): void {
    const state = this.volatile.state.get(msg.partition);
    const log = this.log(msg.partition);
    const respond = (fields: Partial<Extract<ClusterMessage, { type: "FetchResponse" }>>) =>
      this.send(from, {
        type: "FetchResponse",
        partition: msg.partition,
        records: [],
        highWatermark: this.highWatermark(msg.partition),
        leaderEpoch: state?.leaderEpoch ?? -1,
        ...(msg.fetchId === undefined ? {} : { fetchId: msg.fetchId }),
        ...fields,
      });
    if (state === undefined || state.leader !== this.id) {
      respond({ error: "NOT_LEADER_OR_FOLLOWER" });
      return;
    }

    // Divergence: the fetcher's last record must be the one we hold at that offset, in the same epoch.
    if (
      msg.fetchOffset > log.endOffset ||
      (msg.fetchOffset > 0 && log.at(msg.fetchOffset - 1)?.epoch !== msg.lastFetchedEpoch)
    ) {
      const end = log.endOffsetForEpoch(msg.lastFetchedEpoch);
      const epochEnd =
        end.endOffset >= 0 ? end.endOffset : msg.lastFetchedEpoch < 0 ? 0 : log.endOffset;
      respond({ truncateTo: Math.min(msg.fetchOffset, epochEnd) });
      return;
    }
    const limit = msg.isFollower ? log.endOffset : this.highWatermark(msg.partition);
    const records = log
      .read(msg.fetchOffset, 50)
      .filter((r) => r.offset < limit)
      .map(toWire);
    if (msg.isFollower) {
      const followers = this.followersOf(msg.partition);
      const progress = followers.get(msg.replica) ?? this.freshProgress();
      progress.endOffset = msg.fetchOffset;
      // Kafka's rule: caught up now if it has everything; or caught up as of its previous fetch
      // if it has everything the leader had then (a busy partition is never fully idle).
      if (msg.fetchOffset >= log.endOffset) progress.caughtUpAtMs = this.sim.now;
      else if (msg.fetchOffset >= progress.lastFetchLeaderEnd)
        progress.caughtUpAtMs = Math.max(progress.caughtUpAtMs, progress.lastFetchAtMs);
      progress.lastFetchLeaderEnd = log.endOffset;
      progress.lastFetchAtMs = this.sim.now;
      followers.set(msg.replica, progress);
      this.advanceHighWatermark(msg.partition, state);
      // A follower that has caught up rejoins the ISR (Kafka's maybeExpandIsr), unless an ISR
      // change is already in flight.
      if (
        !state.isr.includes(msg.replica) &&
        !this.volatile.alterInFlight.has(msg.partition) &&
        this.isFollowerInSync(msg.partition, msg.fetchOffset)
      ) {
        this.proposeIsr(msg.partition, state, "expand", [...state.isr, msg.replica]);
      }
      if (records.length === 0) {
        // Nothing to read: the fetch waits here (a long poll), replacing an earlier one from the
        // same follower, until a record is appended or fetchWaitMaxMs passes.
        this.waitingOn(msg.partition).set(msg.replica, {
          follower: from,
          fetchOffset: msg.fetchOffset,
          fetchId: msg.fetchId,
          deadlineMs: this.sim.now + this.config.fetchWaitMaxMs,
        });
        return;
      }
    }
    respond({ records });
  }

  private waitingOn(partition: number): Map<string, WaitingFetch> {
    let waiting = this.volatile.waitingFetches.get(partition);
    if (waiting === undefined) {
      waiting = new Map();
      this.volatile.waitingFetches.set(partition, waiting);
    }
    return waiting;
  }

  /** Answer the waiting fetches of a partition that `due` selects, with what they can now read. */
  private answerWaitingFetches(
    partition: number,
    due: (waiting: WaitingFetch) => boolean,
    error?: "NOT_LEADER_OR_FOLLOWER",
  ): void {
    const waiting = this.volatile.waitingFetches.get(partition);
    if (waiting === undefined || waiting.size === 0) return;
    const state = this.volatile.state.get(partition);
    for (const [replica, w] of waiting) {
      if (!due(w)) continue;
      waiting.delete(replica);
      this.send(w.follower, {
        type: "FetchResponse",
        partition,
        records: error === undefined ? this.log(partition).read(w.fetchOffset, 50).map(toWire) : [],
        highWatermark: this.highWatermark(partition),
        leaderEpoch: state?.leaderEpoch ?? -1,
        ...(w.fetchId === undefined ? {} : { fetchId: w.fetchId }),
        ...(error === undefined ? {} : { error }),
      });
    }
  }

  /** Where the follower's epoch ends in our log (Kafka's LeaderEpochFileCache.endOffsetFor). */
  private serveOffsetsForLeaderEpoch(
    from: string,
    msg: Extract<ClusterMessage, { type: "OffsetsForLeaderEpoch" }>,
  ): void {
    const state = this.volatile.state.get(msg.partition);
    if (state === undefined || state.leader !== this.id || state.leaderEpoch !== msg.leaderEpoch) {
      this.send(from, {
        type: "OffsetsForLeaderEpochResponse",
        partition: msg.partition,
        requestedEpoch: msg.epoch,
        leaderEpoch: msg.leaderEpoch,
        epoch: -1,
        endOffset: -1,
        error: "NOT_LEADER_OR_FOLLOWER",
      });
      return;
    }
    const { epoch, endOffset } = this.log(msg.partition).endOffsetForEpoch(msg.epoch);
    this.send(from, {
      type: "OffsetsForLeaderEpochResponse",
      partition: msg.partition,
      requestedEpoch: msg.epoch,
      leaderEpoch: state.leaderEpoch,
      epoch,
      endOffset,
    });
  }

  private freshProgress(): FollowerProgress {
    return {
      endOffset: 0,
      caughtUpAtMs: this.sim.now,
      lastFetchLeaderEnd: 0,
      lastFetchAtMs: this.sim.now,
    };
  }

  private followersOf(partition: number): Map<string, FollowerProgress> {
    let followers = this.volatile.followers.get(partition);
    if (followers === undefined) {
      followers = new Map();
      this.volatile.followers.set(partition, followers);
    }
    return followers;
  }

  /**
   * Kafka's isFollowerInSync: the follower has reached the high watermark, and the offset where
   * this leader's epoch began. The second matters right after a change of leader: the new
   * leader's high watermark can lag behind what the old leader committed (it learns the true one
   * from its followers' fetches), and a follower past that lagging mark could still lack
   * committed records that the new leader holds (KAFKA-7128).
   */
  private isFollowerInSync(partition: number, followerEndOffset: number): boolean {
    const epochStart = this.volatile.leaderEpochStartOffset.get(partition);
    return (
      followerEndOffset >= this.highWatermark(partition) &&
      epochStart !== undefined &&
      followerEndOffset >= epochStart
    );
  }

  /**
   * The ISR the high watermark waits for (Kafka's maximalIsr): the ISR, plus the replica being
   * added while an expansion is in flight. A follower on its way into the ISR must already hold
   * what is committed, or a leader elected from the new ISR could lack it (KIP-497). While a
   * shrink is in flight the ISR still has the replica being removed, so the high watermark waits
   * for it until the controller has agreed.
   */
  private maximalIsr(partition: number, state: PartitionState): readonly string[] {
    const inFlight = this.volatile.alterInFlight.get(partition);
    return inFlight?.change === "expand" ? inFlight.isr : state.isr;
  }

  private advanceHighWatermark(partition: number, state: PartitionState): void {
    const log = this.log(partition);
    const members = this.maximalIsr(partition, state);
    let hw = log.endOffset;
    for (const member of members) {
      if (member === this.id) continue;
      hw = Math.min(hw, this.followersOf(partition).get(member)?.endOffset ?? 0);
    }
    if (hw > this.highWatermark(partition)) {
      this.durable.highWatermark.set(partition, hw);
      this.completePending(partition);
    }
  }

  private completePending(partition: number): void {
    const hw = this.highWatermark(partition);
    const state = this.volatile.state.get(partition);
    this.volatile.pending = this.volatile.pending.filter((p) => {
      if (p.partition !== partition || p.offset >= hw) return true;
      const tooFew =
        (state === undefined ? 0 : this.maximalIsr(partition, state).length) <
        this.config.minInsyncReplicas;
      this.send(p.producer, {
        type: "ProduceResponse",
        requestId: p.requestId,
        partition,
        ...(tooFew ? { error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND" as const } : { offset: p.offset }),
      });
      return false;
    });
  }

  private checkIsr(partition: number, state: PartitionState): void {
    const followers = this.followersOf(partition);
    const endOffset = this.log(partition).endOffset;
    const lagging = state.isr.filter((m) => {
      if (m === this.id) return false;
      const progress = followers.get(m);
      if (progress === undefined) {
        followers.set(m, this.freshProgress());
        return false;
      }
      // Kafka's isFollowerOutOfSync: a follower at the leader's log end is in sync however long
      // ago it fetched (its fetch may be waiting here); otherwise it must have caught up recently.
      return (
        progress.endOffset !== endOffset &&
        this.sim.now - progress.caughtUpAtMs > this.config.replicaLagMaxMs
      );
    });
    if (lagging.length > 0 && !this.volatile.alterInFlight.has(partition))
      this.proposeIsr(
        partition,
        state,
        "shrink",
        state.isr.filter((m) => !lagging.includes(m)),
      );
  }

  /** Propose an ISR to the controller, based on the partition state we have; one at a time. */
  private proposeIsr(
    partition: number,
    state: PartitionState,
    change: "expand" | "shrink",
    isr: string[],
  ): void {
    assert(
      !this.volatile.alterInFlight.has(partition),
      `${this.id} proposes an ISR for partition ${partition} with one in flight`,
    );
    this.volatile.alterInFlight.set(partition, {
      requestId: 0,
      change,
      isr,
      partitionEpoch: state.partitionEpoch,
      sentAtMs: 0,
      refused: false,
    });
    this.sendAlterPartition(partition, state);
  }

  private sendAlterPartition(partition: number, state: PartitionState): void {
    const inFlight = this.volatile.alterInFlight.get(partition) as AlterInFlight;
    inFlight.requestId = ++this.alterPartitionsSent;
    inFlight.sentAtMs = this.sim.now;
    this.send(this.config.controller, {
      type: "AlterPartition",
      requestId: inFlight.requestId,
      partition,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: inFlight.partitionEpoch,
      isr: inFlight.isr,
    });
  }

  /** The same request again when its answer is overdue (lost on the way there or back). */
  private resendAlterPartition(partition: number): void {
    const inFlight = this.volatile.alterInFlight.get(partition);
    const state = this.volatile.state.get(partition);
    if (
      inFlight !== undefined &&
      state !== undefined &&
      !inFlight.refused &&
      this.sim.now - inFlight.sentAtMs > this.config.alterPartitionTimeoutMs
    )
      this.sendAlterPartition(partition, state);
  }

  /**
   * Kafka's handleAlterPartitionUpdate and handleAlterPartitionError. Only the answer to the
   * request in flight counts. The new state is adopted like any other (it ends the request in
   * flight, its partition epoch being newer). A refusal for a stale epoch, or from a broker that no
   * longer leads, keeps the request pending until newer state arrives (the controller has it, and
   * pushes it); INELIGIBLE_REPLICA says the state is current and nothing was applied, so the
   * leader goes back to its committed ISR and may propose again.
   */
  private alterPartitionAnswered(
    msg: Extract<ClusterMessage, { type: "AlterPartitionResponse" }>,
  ): void {
    const inFlight = this.volatile.alterInFlight.get(msg.partition);
    if (inFlight === undefined || inFlight.requestId !== msg.requestId) return;
    if (msg.state !== undefined) {
      const known = this.volatile.state.get(msg.partition);
      // The ISR asked for was already the ISR: nothing changed, and the request is done.
      if (known !== undefined && msg.state.partitionEpoch === known.partitionEpoch)
        this.volatile.alterInFlight.delete(msg.partition);
      this.adopt(msg.state);
      return;
    }
    if (msg.error === "INELIGIBLE_REPLICA") this.volatile.alterInFlight.delete(msg.partition);
    else inFlight.refused = true;
  }

  // ------------------------------------------------------------------------------------------
  // Follower

  private fetchFromLeader(partition: number, state: PartitionState): void {
    const log = this.log(partition);
    if (this.volatile.truncatedInEpoch.get(partition) !== state.leaderEpoch) {
      if (log.latestEpoch >= 0) {
        this.send(state.leader as string, {
          type: "OffsetsForLeaderEpoch",
          partition,
          replica: this.id,
          leaderEpoch: state.leaderEpoch,
          epoch: log.latestEpoch,
        });
        return;
      }
      // An empty log with no epochs is a prefix of every log.
      this.volatile.truncatedInEpoch.set(partition, state.leaderEpoch);
    }
    const last = log.endOffset > 0 ? log.at(log.endOffset - 1) : undefined;
    const fetchId = ++this.fetchesSent;
    this.volatile.fetchInFlight.set(partition, { fetchId, sentAtMs: this.sim.now });
    this.send(state.leader as string, {
      type: "Fetch",
      partition,
      replica: this.id,
      isFollower: true,
      fetchOffset: log.endOffset,
      lastFetchedEpoch: last?.epoch ?? -1,
      leaderEpoch: state.leaderEpoch,
      fetchId,
    });
  }

  private followerReceive(msg: Extract<ClusterMessage, { type: "FetchResponse" }>): void {
    // Only the answer to the fetch in flight counts: a late or duplicated one is ignored.
    if (this.volatile.fetchInFlight.get(msg.partition)?.fetchId !== msg.fetchId) return;
    this.volatile.fetchInFlight.delete(msg.partition);
    const state = this.volatile.state.get(msg.partition);
    if (
      state === undefined ||
      state.leader === this.id ||
      state.leader === null ||
      msg.error !== undefined ||
      msg.leaderEpoch !== state.leaderEpoch
    )
      return;
    const log = this.log(msg.partition);
    if (msg.truncateTo !== undefined) {
      // Our last record is not the leader's record at that offset: find where the logs agree again.
      this.volatile.truncatedInEpoch.delete(msg.partition);
      this.fetchFromLeader(msg.partition, state);
      return;
    }
    for (const r of msg.records) {
      if (r.offset !== log.endOffset) continue;
      const producer =
        r.producerId !== undefined && r.sequence !== undefined
          ? { producerId: r.producerId, sequence: r.sequence }
          : undefined;
      log.append(r.key, r.value, r.timestampMs, r.epoch, producer);
      if (producer !== undefined)
        this.rememberProducer(msg.partition, producer.producerId, producer.sequence, r.offset);
    }
    const hw = Math.min(msg.highWatermark, log.endOffset);
    if (hw > this.highWatermark(msg.partition)) this.durable.highWatermark.set(msg.partition, hw);
    // Kafka's fetcher fetches again as soon as an answer is in: the next fetch tells the leader
    // how far this replica has come, which is what moves the high watermark.
    this.fetchFromLeader(msg.partition, state);
  }

  /**
   * The leader said where an epoch ends in its log. KIP-279: if this log has that epoch too,
   * truncate to the smaller of the two end offsets and start fetching; if not, truncate to where
   * this log's largest epoch below it ends, and ask again with that epoch. Each round removes at
   * least one epoch from the end of this log, so the rounds end.
   */
  private truncateByLeaderEpoch(
    msg: Extract<ClusterMessage, { type: "OffsetsForLeaderEpochResponse" }>,
  ): void {
    const state = this.volatile.state.get(msg.partition);
    if (
      state === undefined ||
      state.leader === this.id ||
      msg.error !== undefined ||
      msg.leaderEpoch !== state.leaderEpoch ||
      this.volatile.truncatedInEpoch.get(msg.partition) === state.leaderEpoch
    )
      return;
    const log = this.log(msg.partition);
    // A follower asks on every tick until it is answered: an answer about an epoch this log no
    // longer ends with (an earlier answer truncated it) is stale.
    if (msg.requestedEpoch !== log.latestEpoch) return;
    // We asked about our latest epoch, and the leader's latest epoch is the current one, which
    // is at least ours: the leader's log always knows an epoch at or after the one asked.
    assert(msg.epoch >= 0, `leader has no epoch for partition ${msg.partition}`);
    const endOffset = log.endOffset;
    const asked = log.latestEpoch;
    const own = log.endOffsetForEpoch(msg.epoch);
    const kip101 = this.config.truncation === "kip-101";
    const sameEpoch = kip101 || own.epoch === msg.epoch;
    const target = Math.min(
      endOffset,
      kip101 ? msg.endOffset : sameEpoch ? Math.min(msg.endOffset, own.endOffset) : own.endOffset,
    );
    log.truncateTo(target);
    if (target < endOffset) {
      this.note(
        sameEpoch
          ? `truncates partition ${msg.partition} to offset ${target}, dropping ${endOffset - target} record(s) the leader does not have: epoch ${msg.epoch} ends at offset ${msg.endOffset} in the leader's log${kip101 ? "" : ` and at ${own.endOffset} in this one`}`
          : `truncates partition ${msg.partition} to offset ${target}, dropping ${endOffset - target} record(s) the leader does not have: the leader's latest epoch up to ${asked} is ${msg.epoch}, which this log lacks, so it keeps what it has up to the end of its own epoch ${own.epoch} and asks again (KIP-279)`,
      );
      this.rebuildProducers(msg.partition);
      if (this.highWatermark(msg.partition) > target)
        this.durable.highWatermark.set(msg.partition, target);
    }
    if (sameEpoch) {
      // A check that found nothing to remove is worth a line only when the leader's epoch differs
      // from ours: that is when a log can hold records the leader never had.
      if (target === endOffset && msg.epoch !== state.leaderEpoch)
        this.note(
          `asks ${state.leader} where epoch ${msg.epoch} ends (OffsetsForLeaderEpoch): at offset ${msg.endOffset}, and its own log holds nothing past that, so it keeps all ${endOffset} record(s) and fetches in epoch ${state.leaderEpoch}`,
        );
      this.volatile.truncatedInEpoch.set(msg.partition, state.leaderEpoch);
      this.fetchFromLeader(msg.partition, state);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Controller decisions

  private adopt(state: PartitionState): void {
    const known = this.volatile.state.get(state.partition);
    if (known !== undefined && state.partitionEpoch <= known.partitionEpoch) return;
    const becameLeader = state.leader === this.id && known?.leader !== this.id;
    const newLeaderEpoch = state.leader === this.id && known?.leaderEpoch !== state.leaderEpoch;
    const lostLeadership = known?.leader === this.id && state.leader !== this.id;
    this.volatile.state.set(state.partition, state);
    // The request in flight was based on an older partition epoch: the controller refuses it now
    // or has just applied it (and this is the result), so the new state is the committed one (as
    // Kafka's makeLeader resets its pending ISR state).
    this.volatile.alterInFlight.delete(state.partition);
    // A fetch in flight to a former leader, or in a former epoch, will not be answered usefully.
    if (known?.leader !== state.leader || known?.leaderEpoch !== state.leaderEpoch)
      this.volatile.fetchInFlight.delete(state.partition);
    // A leader records where its epoch starts, also when it leads again in a later epoch without
    // having heard of the ones between: a follower may hold records from those.
    if (state.leader === this.id)
      this.log(state.partition).assignEpoch(state.leaderEpoch, this.log(state.partition).endOffset);
    if (newLeaderEpoch) {
      // Kafka's makeLeader: a new leader epoch starts follower tracking afresh, and records where
      // the epoch starts, which a follower must reach to rejoin the ISR.
      this.volatile.followers.set(state.partition, new Map());
      this.volatile.leaderEpochStartOffset.set(
        state.partition,
        this.log(state.partition).endOffset,
      );
    }
    if (becameLeader) {
      this.note(
        `becomes leader of partition ${state.partition} in epoch ${state.leaderEpoch} (log end offset ${this.log(state.partition).endOffset}, ISR ${state.isr.join(", ")})`,
      );
      this.advanceHighWatermark(state.partition, state);
    }
    if (lostLeadership) {
      this.volatile.leaderEpochStartOffset.delete(state.partition);
      this.answerWaitingFetches(state.partition, () => true, "NOT_LEADER_OR_FOLLOWER");
      for (const p of this.volatile.pending.filter((x) => x.partition === state.partition)) {
        this.send(p.producer, {
          type: "ProduceResponse",
          requestId: p.requestId,
          partition: p.partition,
          error: "NOT_LEADER_OR_FOLLOWER",
        });
      }
      this.volatile.pending = this.volatile.pending.filter((x) => x.partition !== state.partition);
    }
    if (state.leader === this.id) this.completePending(state.partition);
  }

  /** For the checks: the committed records of a partition as this broker holds them. */
  committed(partition: number): WireRecord[] {
    return this.log(partition)
      .read(0, Number.MAX_SAFE_INTEGER)
      .filter((r) => r.offset < this.highWatermark(partition))
      .map(toWire);
  }

  /**
   * Producer state (last sequence per producer) lives with the log: followers keep it too, from
   * the records they replicate, so a new leader still recognises a retried record (as Kafka
   * rebuilds it from the log's batches). After a truncation it is rebuilt from what is left.
   */
  private rememberProducer(
    partition: number,
    producerId: number,
    sequence: number,
    offset: number,
  ): void {
    const producers =
      this.durable.producers.get(partition) ??
      new Map<number, { sequence: number; offset: number }>();
    this.durable.producers.set(partition, producers);
    producers.set(producerId, { sequence, offset });
  }

  private rebuildProducers(partition: number): void {
    this.durable.producers.set(partition, new Map());
    for (const r of this.log(partition).read(0, Number.MAX_SAFE_INTEGER)) {
      if (r.producerId !== undefined && r.sequence !== undefined)
        this.rememberProducer(partition, r.producerId, r.sequence, r.offset);
    }
  }
}

function toWire(r: LogRecord): WireRecord {
  return {
    offset: r.offset,
    key: r.key,
    value: typeof r.value === "string" ? r.value : null,
    epoch: r.epoch,
    timestampMs: r.timestampMs,
    ...(r.producerId !== undefined ? { producerId: r.producerId, sequence: r.sequence } : {}),
  };
}
