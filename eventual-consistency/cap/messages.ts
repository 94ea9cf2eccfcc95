/**
 * The AP store of the `cap` scenario (DDIA ch. 9, "The CAP theorem"): any replica answers a
 * client at once from what it holds, and replicas bring each other up to date in the background.
 *
 *   client ──Read (key)──▶ its replica ──ReadReply (value)──▶ client
 *   client ──Write (key, value)──▶ its replica ──WriteAck──▶ client
 *   replica ──Replicate (key, value, timestamp)──▶ every other replica    (at once, after a write)
 *   replica ──Sync (every key, value, timestamp)──▶ every other replica   (anti-entropy, periodic)
 *
 * Conflicts are resolved by last write wins over Lamport timestamps (see lww-replica.ts), or, in
 * the multi-value store, kept side by side as siblings (see mv-replica.ts, whose replicas send
 * each other registers instead of entries).
 */

import type { Timestamp } from "../../shared/quorum/abd-messages.js";

export interface Entry {
  readonly key: string;
  readonly value: string;
  readonly timestamp: Timestamp;
}

/** What a client and its replica exchange, in both AP stores. */
export type ClientMessage = Extract<
  ApMessage,
  { type: "Read" } | { type: "ReadReply" } | { type: "Write" } | { type: "WriteAck" }
>;

export type ApMessage =
  | { readonly type: "Read"; readonly requestId: string; readonly key: string }
  | {
      readonly type: "ReadReply";
      readonly requestId: string;
      /** The value; for the multi-value store, the siblings joined with " | " (nil for none). */
      readonly value: string | null;
      /** The multi-value store's siblings, sorted; absent for the LWW store. */
      readonly siblings?: readonly string[];
    }
  | {
      readonly type: "Write";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | { readonly type: "WriteAck"; readonly requestId: string }
  | { readonly type: "Replicate"; readonly entry: Entry }
  | { readonly type: "Sync"; readonly entries: readonly Entry[] };
