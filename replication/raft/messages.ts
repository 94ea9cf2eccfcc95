/**
 * Raft's messages (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm",
 * figure 2), as used for failover by consensus (DDIA ch. 9, "Consensus"; ch. 5, "Handling Node
 * Outages"), plus the client's requests.
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
    }
  | {
      readonly type: "AppendEntriesResponse";
      readonly term: number;
      readonly success: boolean;
      /** On success, the follower's last matching index; on failure, where the leader should back up to. */
      readonly matchIndex: number;
    }
  | {
      readonly type: "ClientPut";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | {
      readonly type: "ClientPutResponse";
      readonly requestId: string;
      readonly ok: boolean;
      readonly leaderHint: string | null;
    };
