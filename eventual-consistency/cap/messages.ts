/**
 * The AP store of the `cap` scenario (DDIA ch. 9, "The CAP theorem"): any replica answers a
 * client at once from what it holds, and replicas bring each other up to date in the background.
 *
 *   client ──Read (key)──▶ its replica ──ReadReply (value)──▶ client
 *   client ──Write (key, value)──▶ its replica ──WriteAck──▶ client
 *   replica ──Replicate (key, value, timestamp)──▶ every other replica    (at once, after a write)
 *   replica ──Sync (every key, value, timestamp)──▶ every other replica   (anti-entropy, periodic)
 *
 * Conflicts are resolved by last write wins over Lamport timestamps (see lww-replica.ts).
 */

import type { Timestamp } from "../../shared/quorum/abd-messages.js";

export interface Entry {
  readonly key: string;
  readonly value: string;
  readonly timestamp: Timestamp;
}

export type ApMessage =
  | { readonly type: "Read"; readonly requestId: string; readonly key: string }
  | { readonly type: "ReadReply"; readonly requestId: string; readonly value: string | null }
  | {
      readonly type: "Write";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
    }
  | { readonly type: "WriteAck"; readonly requestId: string }
  | { readonly type: "Replicate"; readonly entry: Entry }
  | { readonly type: "Sync"; readonly entries: readonly Entry[] };
