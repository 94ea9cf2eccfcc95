/**
 * The rebalancing protocol, readable at a glance (DDIA ch. 6, "Rebalancing Partitions" and
 * "Request Routing"). Three roles exchange these messages:
 *
 *   client ──Put/Get──▶ router ──Put/Get (forwarded)──▶ storage node ──PutOk/GetOk/Retry──▶ client
 *
 *   new node ──Join──▶ router                        (an operator adds a node)
 *   router ──StartMove──▶ old owner                  (move partition p to the new node)
 *   old owner ──MoveData (chunks, then catch-up)──▶ new owner ──MoveDataAck──▶ old owner
 *   old owner ──MoveComplete──▶ router ──Activate──▶ new owner ──ActivateAck──▶ router
 *   router ──Release──▶ old owner                    (the move is recorded; stop resending)
 */

export interface Entry {
  readonly key: string;
  readonly value: string;
  /** Per-key version: the writer's sequence number for this key. */
  readonly version: number;
}

export type RebalanceMessage =
  // Client operations, forwarded unchanged by the router to the partition's owner.
  | {
      readonly type: "Put";
      readonly requestId: string;
      readonly client: string;
      readonly key: string;
      readonly value: string;
      readonly version: number;
    }
  | {
      readonly type: "Get";
      readonly requestId: string;
      readonly client: string;
      readonly key: string;
    }
  // Replies from the owner straight to the client.
  | { readonly type: "PutOk"; readonly requestId: string }
  | {
      readonly type: "GetOk";
      readonly requestId: string;
      readonly value: string | null;
      readonly version: number;
    }
  | { readonly type: "Retry"; readonly requestId: string; readonly reason: string }
  // Membership and partition moves.
  | { readonly type: "Join"; readonly node: string }
  | { readonly type: "JoinAck" }
  | {
      readonly type: "StartMove";
      readonly moveId: number;
      readonly partition: number;
      readonly to: string;
    }
  | {
      readonly type: "MoveData";
      readonly moveId: number;
      readonly partition: number;
      /** Chunks 0..chunkCount-1 are the snapshot; chunk chunkCount is the catch-up. */
      readonly chunk: number;
      readonly entries: readonly Entry[];
    }
  | {
      readonly type: "MoveDataAck";
      readonly moveId: number;
      readonly partition: number;
      readonly chunk: number;
    }
  | { readonly type: "MoveComplete"; readonly moveId: number; readonly partition: number }
  | { readonly type: "Activate"; readonly moveId: number; readonly partition: number }
  | { readonly type: "ActivateAck"; readonly moveId: number; readonly partition: number }
  | { readonly type: "Release"; readonly moveId: number; readonly partition: number };

export type MessageType = RebalanceMessage["type"];
