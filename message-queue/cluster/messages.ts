/**
 * The Kafka-style protocol, readable at a glance (DDIA ch. 11, "Partitioned Logs"; ch. 5 for the
 * leader and followers). Names follow Kafka's own requests where they exist.
 *
 *   producer ──Produce──▶ leader ──ProduceResponse──▶ producer
 *   follower ──Fetch──▶ leader ──FetchResponse (records, high watermark)──▶ follower
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
  /** Bumped by the controller at every change, ISR changes included, so a stale copy is recognisable. */
  readonly version: number;
}

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
    }
  | {
      readonly type: "FetchResponse";
      readonly partition: number;
      readonly records: readonly WireRecord[];
      readonly highWatermark: number;
      readonly leaderEpoch: number;
      /** The follower's log diverges from the leader's: truncate to this offset and fetch again. */
      readonly truncateTo?: number;
      readonly error?: "NOT_LEADER_OR_FOLLOWER";
    }
  | { readonly type: "Heartbeat"; readonly broker: string }
  | { readonly type: "LeaderAndIsr"; readonly state: PartitionState }
  | {
      readonly type: "AlterPartition";
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly isr: readonly string[];
    }
  | { readonly type: "AlterPartitionResponse"; readonly state: PartitionState }
  | { readonly type: "Metadata"; readonly requestId: string }
  | {
      readonly type: "MetadataResponse";
      readonly requestId: string;
      readonly partitions: readonly PartitionState[];
    };
