/**
 * Raft's messages (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm",
 * figure 2), as used for failover by consensus (DDIA ch. 9, "Fault-Tolerant Consensus"; ch. 5,
 * "Handling Node Outages: Leader failure: Failover"), plus the client's requests.
 */

export interface Command {
  readonly op: "put" | "noop";
  readonly key: string;
  readonly value: string;
  /** Unique per client operation (or per leader's no-op): retries carry the same id. */
  readonly requestId: string;
}

export interface LogEntry {
  readonly term: number;
  readonly command: Command;
}

export type RaftMessage =
  | {
      readonly type: "RequestVote";
      readonly term: number;
      readonly lastLogIndex: number;
      readonly lastLogTerm: number;
    }
  | { readonly type: "RequestVoteResponse"; readonly term: number; readonly voteGranted: boolean }
  | {
      readonly type: "AppendEntries";
      readonly term: number;
      readonly prevLogIndex: number;
      readonly prevLogTerm: number;
      readonly entries: readonly LogEntry[];
      readonly leaderCommit: number;
      /**
       * The leader's heartbeat round, echoed in the response: an answer to round r proves the
       * follower still accepted this leader's term after every read that waits on round r arrived.
       */
      readonly round: number;
    }
  | {
      readonly type: "AppendEntriesResponse";
      readonly term: number;
      readonly success: boolean;
      /** On success, the follower's last matching index; on failure, where the leader should back up to. */
      readonly matchIndex: number;
      readonly round: number;
    }
  | {
      readonly type: "ClientPut";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | { readonly type: "ClientGet"; readonly requestId: string; readonly key: string }
  | {
      /** The answer to a ClientPut or a ClientGet; `value` is what a get read (null: the key has no value). */
      readonly type: "ClientResponse";
      readonly requestId: string;
      readonly ok: boolean;
      readonly value: string | null;
      readonly leaderHint: string | null;
    };
