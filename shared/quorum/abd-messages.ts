/**
 * A linearizable register from majority quorums: ABD (Attiya, Bar-Noy and Dolev 1995, "Sharing
 * memory robustly in message-passing systems"), in its multi-writer form (Lynch and Shvartsman
 * 1997), the construction DDIA ch. 9 describes under "Linearizability and quorums": a reader
 * performs read repair synchronously before returning, and a writer reads the latest state of a
 * quorum of nodes before sending its write.
 *
 * Each operation is two phases, each a round trip to every replica that ends when a majority
 * has answered:
 *
 *   client ──Query (key)──▶ every replica ──QueryReply (timestamp, value)──▶ client   (majority)
 *   client ──Update (key, timestamp, value)──▶ every replica ──UpdateAck──▶ client     (majority)
 *
 * A write queries for the highest timestamp, then updates with a higher one; a read queries for
 * the newest (timestamp, value), then writes it back before answering.
 */

/**
 * A write's timestamp: a counter, and the writer's id to break ties, so that several clients
 * can write the same key and no two writes share a timestamp. Compared counter first.
 */
export interface Timestamp {
  readonly counter: number;
  readonly writer: string;
}

/** The timestamp of the initial nil, below every write's. */
export const ZERO: Timestamp = { counter: 0, writer: "" };

/** Negative when a is older than b, positive when newer, 0 when the same. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0;
}

export const showTimestamp = (t: Timestamp): string =>
  t.counter === 0 ? "(0)" : `(${t.counter}, ${t.writer})`;

export type AbdMessage =
  | { readonly type: "Query"; readonly requestId: string; readonly key: string }
  | {
      readonly type: "QueryReply";
      readonly requestId: string;
      readonly timestamp: Timestamp;
      readonly value: string | null;
    }
  | {
      readonly type: "Update";
      readonly requestId: string;
      readonly key: string;
      readonly timestamp: Timestamp;
      readonly value: string | null;
    }
  | { readonly type: "UpdateAck"; readonly requestId: string };
