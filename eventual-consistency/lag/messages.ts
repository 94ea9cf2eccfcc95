/**
 * The protocol of the replication-lag store (DDIA ch. 5, "Leaders and Followers" and "Problems
 * with Replication Lag"): one leader per partition appends each write to its replication log with
 * the next log sequence number (LSN) and ships the log to its followers asynchronously; a follower
 * applies what it receives after its lag; a client (one user's session) routes each read.
 *
 *   client ──Write (key, value, dependencies)──▶ leader ──WriteOk (LSN)──▶ client
 *   leader ──Replicate (entries after the follower's position)──▶ follower ──ReplicateAck──▶ leader
 *   client ──Read (key, minimum position)──▶ any replica ──ReadOk | Behind──▶ client
 *
 * Positions are per partition: LSN n of partition 1 says nothing about partition 2's log.
 */

/** Log positions a write depends on, by partition: what its writer had seen when it wrote. */
export type Dependencies = Readonly<Record<number, number>>;

export interface LogEntry {
  readonly lsn: number;
  readonly key: string;
  readonly value: string;
  readonly requestId: string;
  readonly dependencies: Dependencies;
}

export type LagMessage =
  | {
      readonly type: "Write";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
      readonly dependencies: Dependencies;
    }
  | { readonly type: "WriteOk"; readonly requestId: string; readonly lsn: number }
  | {
      readonly type: "Read";
      readonly requestId: string;
      readonly key: string;
      /** Answer only once the replica has applied the log up to here (0: answer at once). */
      readonly minLsn: number;
    }
  | {
      readonly type: "ReadOk";
      readonly requestId: string;
      readonly value: string | null;
      /** The LSN of the write that wrote the value (0 for nil), and what that write depended on. */
      readonly valueLsn: number;
      readonly dependencies: Dependencies;
      /** How far this replica had applied the log when it answered. */
      readonly appliedLsn: number;
    }
  | { readonly type: "Behind"; readonly requestId: string; readonly appliedLsn: number }
  | { readonly type: "Replicate"; readonly entries: readonly LogEntry[] }
  | { readonly type: "ReplicateAck"; readonly lsn: number };
