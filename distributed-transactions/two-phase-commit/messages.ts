/**
 * Two-phase commit (DDIA ch. 9, "Atomic Commit and Two-Phase Commit (2PC)": "Introduction to
 * two-phase commit"): the protocol at a glance.
 *
 *   coordinator ──Prepare (txid, this participant's write set)──▶ participant
 *   participant ──Vote (yes: prepared durably, locks held; no: aborted)──▶ coordinator
 *   coordinator writes its decision to its log (the commit point), then
 *   coordinator ──Commit | Abort──▶ participant     (retried until acknowledged)
 *   participant ──Ack──▶ coordinator
 *   participant in doubt ──QueryOutcome──▶ coordinator ──Commit | Abort──▶ participant
 *
 * Presumed abort: a coordinator that has no commit record for a transaction answers Abort.
 */

/** One write of a transaction: add `delta` to the row `key` (an order's stock or payment). */
export interface Write {
  readonly key: string;
  readonly delta: number;
}

export type TwoPhaseCommitMessage =
  | { readonly type: "Prepare"; readonly txid: string; readonly writes: readonly Write[] }
  | { readonly type: "Vote"; readonly txid: string; readonly yes: boolean }
  | { readonly type: "Commit"; readonly txid: string }
  | { readonly type: "Abort"; readonly txid: string }
  | { readonly type: "Ack"; readonly txid: string }
  | { readonly type: "QueryOutcome"; readonly txid: string };
