/**
 * The Kafka-style protocol, readable at a glance (DDIA ch. 11, "Partitioned Logs"; ch. 5 for the
 * leader and followers). Names follow Kafka's own requests where they exist.
 *
 *   producer ──Produce──▶ leader ──ProduceResponse──▶ producer
 *   follower ──OffsetsForLeaderEpoch──▶ leader ──OffsetsForLeaderEpochResponse──▶ follower
 *                                              (where does my last epoch end on your log?)
 *   follower ──Fetch──▶ leader ──FetchResponse (records, high watermark)──▶ follower
 *                      (a fetch with nothing to read waits at the leader until a record is
 *                       appended or replica.fetch.wait.max.ms passes: a long poll)
 *   consumer ──Fetch──▶ leader ──FetchResponse (only up to the high watermark)──▶ consumer
 *   broker ──Heartbeat──▶ controller           (the controller fences brokers that stop)
 *   controller ──LeaderAndIsr──▶ broker        (who leads, who is in sync, which epoch)
 *   leader ──AlterPartition──▶ controller ──AlterPartitionResponse──▶ leader   (ISR changes)
 *   client ──Metadata──▶ controller ──MetadataResponse──▶ client   (where the leaders are)
 */

export type Acks = "0" | "1" | "all";

export type ProduceError =
  | "NOT_LEADER_OR_FOLLOWER"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "OUT_OF_ORDER_SEQUENCE";

export interface WireRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly epoch: number;
  readonly timestampMs: number;
  readonly producerId?: number;
  readonly sequence?: number;
}

export interface PartitionState {
  readonly partition: number;
  readonly leader: string | null;
  readonly isr: readonly string[];
  readonly replicas: readonly string[];
  readonly leaderEpoch: number;
  /**
   * Kafka's partition epoch: bumped by the controller at every change of this state, leader or
   * ISR, so that a stale copy, or an AlterPartition based on one, is recognisable.
   */
  readonly partitionEpoch: number;
}

/**
 * Why the controller refused an AlterPartition (Kafka's errors, as KRaft's
 * ReplicationControlManager returns them): the leader epoch is old (FENCED_LEADER_EPOCH); the
 * sender is not the leader, or the ISR leaves the leader out (INVALID_REQUEST); the request was
 * based on an older partition epoch (INVALID_UPDATE_VERSION); the ISR names a fenced broker
 * (INELIGIBLE_REPLICA).
 */
export type AlterPartitionError =
  | "FENCED_LEADER_EPOCH"
  | "INVALID_REQUEST"
  | "INVALID_UPDATE_VERSION"
  | "INELIGIBLE_REPLICA";

export type ClusterMessage =
  | {
      readonly type: "Produce";
      readonly requestId: string;
      readonly partition: number;
      readonly key: string | null;
      readonly value: string;
      readonly acks: Acks;
      /** Idempotent producers send their producer id and a per-partition sequence number. */
      readonly producerId?: number;
      readonly sequence?: number;
    }
  | {
      readonly type: "ProduceResponse";
      readonly requestId: string;
      readonly partition: number;
      readonly offset?: number;
      readonly error?: ProduceError;
      /** True when an idempotent producer's retry was recognised and not appended again. */
      readonly duplicate?: boolean;
    }
  | {
      readonly type: "Fetch";
      readonly partition: number;
      /** A broker id for follower fetches; a consumer id otherwise (reads stop at the high watermark). */
      readonly replica: string;
      readonly isFollower: boolean;
      readonly fetchOffset: number;
      /** The epoch of the record just before fetchOffset (-1 for none): how divergence is found. */
      readonly lastFetchedEpoch: number;
      readonly leaderEpoch: number;
      /**
       * A follower numbers its fetches and keeps one in flight per partition: the leader echoes
       * the number, so a late or duplicated answer is recognised (Kafka's correlation id).
       */
      readonly fetchId?: number;
    }
  | {
      readonly type: "FetchResponse";
      readonly partition: number;
      readonly records: readonly WireRecord[];
      readonly highWatermark: number;
      readonly leaderEpoch: number;
      /**
       * The fetcher's last record is not the leader's record at that offset. A consumer moves back
       * to this offset; a follower asks again where its last epoch ends (OffsetsForLeaderEpoch).
       */
      readonly truncateTo?: number;
      readonly error?: "NOT_LEADER_OR_FOLLOWER";
      /** The follower's fetch this answers. */
      readonly fetchId?: number;
    }
  | {
      /**
       * A follower, before fetching in a new leader epoch (or after a restart), asks the leader
       * where `epoch`, the epoch of the follower's last record, ends in the leader's log
       * (Kafka's OffsetsForLeaderEpoch, KIP-101 and KIP-279).
       */
      readonly type: "OffsetsForLeaderEpoch";
      readonly partition: number;
      readonly replica: string;
      /** The follower's idea of the current leader epoch: a stale leader must not answer. */
      readonly leaderEpoch: number;
      readonly epoch: number;
    }
  | {
      /**
       * The largest epoch at or below the one asked that the leader's log knows, and its end
       * offset there: the start offset of the next larger epoch, or the leader's log end offset.
       */
      readonly type: "OffsetsForLeaderEpochResponse";
      readonly partition: number;
      readonly leaderEpoch: number;
      /** The epoch asked about, so that an answer to an earlier question is recognised as stale. */
      readonly requestedEpoch: number;
      readonly epoch: number;
      readonly endOffset: number;
      readonly error?: "NOT_LEADER_OR_FOLLOWER";
    }
  | { readonly type: "Heartbeat"; readonly broker: string }
  | { readonly type: "LeaderAndIsr"; readonly state: PartitionState }
  | {
      /** A leader proposes a new ISR, based on the partition state it has (one request in flight). */
      readonly type: "AlterPartition";
      /** Numbers the leader's requests, echoed in the answer (Kafka's correlation id). */
      readonly requestId: number;
      readonly partition: number;
      readonly leaderEpoch: number;
      /** The partition epoch of the state the proposal is based on: an older one is refused. */
      readonly partitionEpoch: number;
      readonly isr: readonly string[];
    }
  | {
      /** The partition state after the change, or why it was refused. */
      readonly type: "AlterPartitionResponse";
      readonly requestId: number;
      readonly partition: number;
      readonly state?: PartitionState;
      readonly error?: AlterPartitionError;
    }
  | { readonly type: "Metadata"; readonly requestId: string }
  | {
      readonly type: "MetadataResponse";
      readonly requestId: string;
      readonly partitions: readonly PartitionState[];
    };
