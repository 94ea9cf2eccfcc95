/**
 * Single-leader replication (DDIA ch. 5, "Leaders and Followers"): the leader writes to its
 * replication log, with a log sequence number (LSN) per entry, and ships entries to followers,
 * which acknowledge the highest LSN they hold.
 *
 *   client ──Write──▶ leader ──Replicate (entries after the follower's LSN)──▶ follower
 *   follower ──ReplicateAck (its LSN)──▶ leader ──WriteOk──▶ client   (when the mode allows)
 *   client ──Read──▶ any replica ──ReadOk (value, the replica's LSN)──▶ client
 *   monitor ──Promote──▶ follower; monitor ──FollowNewLeader──▶ others   (naive failover)
 */

export interface ReplicatedWrite {
  readonly lsn: number;
  readonly key: string;
  readonly value: string;
  readonly requestId: string;
}

export type LeaderFollowerMessage =
  | {
      readonly type: "Write";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | { readonly type: "WriteOk"; readonly requestId: string; readonly lsn: number }
  | { readonly type: "NotLeader"; readonly requestId: string }
  | { readonly type: "Read"; readonly requestId: string; readonly key: string }
  | {
      readonly type: "ReadOk";
      readonly requestId: string;
      readonly value: string | null;
      readonly lsn: number;
    }
  | {
      readonly type: "Replicate";
      readonly entries: readonly ReplicatedWrite[];
      readonly leaderLsn: number;
    }
  | { readonly type: "ReplicateAck"; readonly lsn: number }
  | { readonly type: "Ping" }
  | { readonly type: "Pong"; readonly lsn: number; readonly leader: boolean }
  | { readonly type: "Promote"; readonly followers: readonly string[] }
  | { readonly type: "FollowNewLeader"; readonly leader: string };
