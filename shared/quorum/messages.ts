/**
 * Leaderless replication, Dynamo style (DDIA ch. 5, "Leaderless Replication"): the client sends
 * every write and every read to all n replicas and waits for w (or r) answers. Versions order the
 * writes of a key (one writer per key here, so a counter is enough).
 *
 *   client ──Store (key, value, version)──▶ every replica ──Stored──▶ client   (w needed)
 *   client ──Fetch (key)──▶ every replica ──Fetched (value, version)──▶ client   (r needed)
 *   client ──Store (the newest version)──▶ replicas that answered older   (read repair)
 */

export type LeaderlessMessage =
  | {
      readonly type: "Store";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
      readonly version: number;
    }
  | { readonly type: "Stored"; readonly requestId: string }
  | { readonly type: "Fetch"; readonly requestId: string; readonly key: string }
  | {
      readonly type: "Fetched";
      readonly requestId: string;
      readonly value: string | null;
      readonly version: number;
    };
