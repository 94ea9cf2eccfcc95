/**
 * The coordinator of two-phase commit, or transaction manager (DDIA ch. 9, "Atomic Commit and
 * Two-Phase Commit (2PC)": "Introduction to two-phase commit", "A system of promises",
 * "Coordinator failure").
 *
 * Durable state: its transaction log, with a `commit` record per committed transaction (naming
 * its participants) and an `end` record once every participant has acknowledged. Writing the
 * commit record is the commit point: once it is on disk the decision is irrevocable. Aborts are
 * not logged: under presumed abort (Mohan, Lindsay and Obermarck, 1986), a transaction with no
 * commit record in the log was aborted, which is what the book says the recovering coordinator
 * does: "Any transactions that don't have a commit record in the coordinator's log are aborted."
 * Volatile state: the transactions in progress, their votes and acknowledgements.
 *
 * A log write takes `LOG_WRITE_MS` (the fsync), so a crash can strike between deciding and
 * the record reaching the disk. The correct coordinator sends its decision only once the record is
 * on disk; the broken variant `decision-before-log` sends Commit at once and writes the record
 * afterwards, and a crash in between leaves participants that committed while the recovering
 * coordinator, finding no record, presumes abort.
 *
 * Messages: Vote (a no, or the vote timeout, aborts; all yes commits), Ack (the decision is
 * resent until every participant acknowledges), QueryOutcome (from an in-doubt participant).
 *
 * Left out: the application's reads and writes before commit (here the write set travels in the
 * Prepare), the read-only optimisation, replicating the coordinator (the book's way out of
 * blocking is consensus; see "Three-phase commit" and "Fault-Tolerant Consensus").
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { TwoPhaseCommitMessage, Write } from "./messages.js";

export type CoordinatorLogRecord =
  | { readonly kind: "commit"; readonly txid: string; readonly participants: readonly string[] }
  | { readonly kind: "end"; readonly txid: string };

export interface CoordinatorDurable {
  log: CoordinatorLogRecord[];
}

export type CoordinatorVariant = "correct" | "decision-before-log";

/** The time a forced write to the log takes (an fsync). */
export const LOG_WRITE_MS = 5;
/** How often Prepare, Commit and Abort are resent to those that have not answered. */
export const RETRY_MS = 30;
/** How long the coordinator waits for every vote before it aborts. */
export const VOTE_TIMEOUT_MS = 250;

type Phase = "preparing" | "logging" | "committing" | "aborting";

interface Transaction {
  readonly txid: string;
  readonly writes: ReadonlyMap<string, readonly Write[]>;
  readonly votes: Map<string, boolean>;
  readonly acks: Set<string>;
  phase: Phase;
}

interface CoordinatorVolatile {
  transactions: Map<string, Transaction>;
}

export class Coordinator extends SimNode<
  TwoPhaseCommitMessage,
  CoordinatorDurable,
  CoordinatorVolatile
> {
  readonly variant: CoordinatorVariant;

  constructor(
    id: string,
    net: Network<TwoPhaseCommitMessage>,
    options: { variant: CoordinatorVariant },
  ) {
    super(id, net, { log: [] });
    this.variant = options.variant;
  }

  protected initialVolatile(): CoordinatorVolatile {
    return { transactions: new Map() };
  }

  /** Hooks for the run: all votes are in; the commit record is on disk (the commit point). */
  protected votesCollected(_txid: string, _yes: boolean): void {}
  protected commitPoint(_txid: string): void {}
  protected finished(_txid: string, _outcome: "committed" | "aborted"): void {}

  /** The application asks to commit a transaction that wrote `writes` on each participant. */
  begin(txid: string, writes: ReadonlyMap<string, readonly Write[]>): boolean {
    if (this.crashed) return false;
    assert(!this.volatile.transactions.has(txid), `${txid} begun twice`);
    const txn: Transaction = {
      txid,
      writes,
      votes: new Map(),
      acks: new Set(),
      phase: "preparing",
    };
    this.volatile.transactions.set(txid, txn);
    this.note(`${txid}: phase 1, sends Prepare to ${[...writes.keys()].join(", ")}`);
    for (const [participant, w] of writes)
      this.send(participant, { type: "Prepare", txid, writes: w });
    this.setTimer(`retry:${txid}`, RETRY_MS);
    this.setTimer(`vote-timeout:${txid}`, VOTE_TIMEOUT_MS);
    return true;
  }

  /** Transactions begun or recovered and not yet acknowledged by every participant. */
  inProgress(): string[] {
    return [...this.volatile.transactions.keys()];
  }

  /** The decision its log records: commit if there is a commit record, else presumed abort. */
  logged(txid: string): boolean {
    return this.durable.log.some((r) => r.kind === "commit" && r.txid === txid);
  }

  onMessage(from: string, msg: TwoPhaseCommitMessage): void {
    switch (msg.type) {
      case "Vote":
        this.onVote(from, msg.txid, msg.yes);
        return;
      case "Ack": {
        const txn = this.volatile.transactions.get(msg.txid);
        if (txn === undefined || (txn.phase !== "committing" && txn.phase !== "aborting")) return;
        txn.acks.add(from);
        if (txn.acks.size === txn.writes.size) this.finish(txn);
        return;
      }
      case "QueryOutcome": {
        const txn = this.volatile.transactions.get(msg.txid);
        if (txn !== undefined) {
          // Still collecting votes, or the commit record is not on disk yet: no answer yet.
          if (txn.phase === "committing") this.send(from, { type: "Commit", txid: msg.txid });
          else if (txn.phase === "aborting") this.send(from, { type: "Abort", txid: msg.txid });
          return;
        }
        this.answerFromLog(from, msg.txid, "asks about");
        return;
      }
      case "Prepare":
      case "Commit":
      case "Abort":
        assert(false, `${this.id} got ${msg.type}, a message for a participant`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const [kind, txid] = name.split(":");
    assert(txid !== undefined, `unknown timer ${name}`);
    const txn = this.volatile.transactions.get(txid);
    if (txn === undefined) return;
    switch (kind) {
      case "retry":
        for (const participant of txn.writes.keys()) {
          if (txn.phase === "preparing" && !txn.votes.has(participant))
            this.send(participant, {
              type: "Prepare",
              txid,
              writes: txn.writes.get(participant) ?? [],
            });
          else if (txn.phase === "committing" && !txn.acks.has(participant))
            this.send(participant, { type: "Commit", txid });
          else if (txn.phase === "aborting" && !txn.acks.has(participant))
            this.send(participant, { type: "Abort", txid });
        }
        this.setTimer(name, RETRY_MS);
        return;
      case "vote-timeout":
        if (txn.phase !== "preparing") return;
        this.note(
          `${txid}: no vote from ${[...txn.writes.keys()].filter((p) => !txn.votes.has(p)).join(", ")} within ${VOTE_TIMEOUT_MS} ms; aborts`,
        );
        this.abort(txn);
        return;
      case "log-write":
        this.logWritten(txn);
        return;
      default:
        assert(false, `unknown timer ${name}`);
    }
  }

  protected override onRecover(): void {
    const ended = new Set(this.durable.log.filter((r) => r.kind === "end").map((r) => r.txid));
    const unfinished = this.durable.log.filter(
      (r): r is Extract<CoordinatorLogRecord, { kind: "commit" }> =>
        r.kind === "commit" && !ended.has(r.txid),
    );
    this.note(
      `recovers from its log: ${unfinished.length === 0 ? "no commit record is waiting for its end record, so there is no Commit to resend" : `commit record${unfinished.length === 1 ? "" : "s"} without an end record for ${unfinished.map((r) => r.txid).join(", ")}, so it sends Commit again`}; any transaction without a commit record is presumed aborted`,
    );
    for (const record of unfinished) {
      const txn: Transaction = {
        txid: record.txid,
        writes: new Map(record.participants.map((p) => [p, []])),
        votes: new Map(),
        acks: new Set(),
        phase: "committing",
      };
      this.volatile.transactions.set(record.txid, txn);
      for (const p of record.participants) this.send(p, { type: "Commit", txid: record.txid });
      this.setTimer(`retry:${record.txid}`, RETRY_MS);
    }
  }

  private onVote(from: string, txid: string, yes: boolean): void {
    const txn = this.volatile.transactions.get(txid);
    if (txn === undefined) {
      // A late vote, or one for a transaction this incarnation never knew.
      if (yes) this.answerFromLog(from, txid, "votes yes on");
      return;
    }
    if (txn.phase !== "preparing" || txn.votes.has(from)) return;
    txn.votes.set(from, yes);
    if (!yes) {
      this.note(`${txid}: ${from} voted no, so the transaction aborts everywhere`);
      this.votesCollected(txid, false);
      if (!this.crashed) this.abort(txn);
      return;
    }
    if (txn.votes.size < txn.writes.size) return;
    this.votesCollected(txid, true);
    if (this.crashed) return;
    this.cancelTimer(`vote-timeout:${txid}`);
    this.cancelTimer(`retry:${txid}`);
    if (this.variant === "decision-before-log") {
      // The bug: participants hear the decision before it is durable.
      this.note(
        `${txid}: every participant voted yes; sends Commit at once and starts writing the commit record (broken: the decision is not durable yet)`,
      );
      txn.phase = "committing";
      this.sendDecision(txn);
      if (this.crashed) {
        this.note(
          `${txid}: had sent Commit to ${this.sentTo.join(", ") || "no one"} when it crashed, before the commit record was on disk`,
        );
        return;
      }
      this.setTimer(`retry:${txid}`, RETRY_MS);
    } else {
      this.note(`${txid}: every participant voted yes; writes the commit record to its log`);
      txn.phase = "logging";
    }
    this.setTimer(`log-write:${txid}`, LOG_WRITE_MS);
  }

  private logWritten(txn: Transaction): void {
    this.durable.log.push({ kind: "commit", txid: txn.txid, participants: [...txn.writes.keys()] });
    if (this.variant === "decision-before-log") {
      this.note(`${txn.txid}: the commit record is on disk`);
      return;
    }
    this.note(`${txn.txid}: the commit record is on disk: the commit point`);
    this.commitPoint(txn.txid);
    if (this.crashed) return;
    txn.phase = "committing";
    this.sendDecision(txn);
    const sent = this.sentTo;
    const all = [...txn.writes.keys()];
    this.note(
      sent.length === all.length
        ? `${txn.txid}: sent Commit to ${sent.join(", ")}`
        : `${txn.txid}: had sent Commit to ${sent.join(", ") || "no one"} when it crashed; ${all.filter((p) => !sent.includes(p)).join(", ")} did not get it`,
    );
    this.setTimer(`retry:${txn.txid}`, RETRY_MS);
  }

  private abort(txn: Transaction): void {
    txn.phase = "aborting";
    this.cancelTimer(`vote-timeout:${txn.txid}`);
    this.sendDecision(txn);
    this.setTimer(`retry:${txn.txid}`, RETRY_MS);
  }

  /** Whom the last sendDecision reached before a crash, if one struck in the middle. */
  private sentTo: string[] = [];

  private sendDecision(txn: Transaction): void {
    const type = txn.phase === "committing" ? "Commit" : "Abort";
    this.sentTo = [];
    for (const p of txn.writes.keys()) {
      // A crash can strike between two sends: some participants hear the decision, others not.
      if (this.crashed) return;
      this.send(p, { type, txid: txn.txid });
      this.sentTo.push(p);
    }
  }

  private finish(txn: Transaction): void {
    this.cancelTimer(`retry:${txn.txid}`);
    this.cancelTimer(`log-write:${txn.txid}`);
    this.volatile.transactions.delete(txn.txid);
    if (txn.phase === "committing") {
      // The end record lets a recovering coordinator skip it; it need not be forced to disk.
      if (!this.logged(txn.txid)) {
        // decision-before-log: every Ack came before the commit record was written.
        this.durable.log.push({
          kind: "commit",
          txid: txn.txid,
          participants: [...txn.writes.keys()],
        });
      }
      this.durable.log.push({ kind: "end", txid: txn.txid });
      this.note(`${txn.txid}: every participant acknowledged; committed and forgotten`);
      this.finished(txn.txid, "committed");
    } else {
      this.note(`${txn.txid}: every participant acknowledged the abort; forgotten`);
      this.finished(txn.txid, "aborted");
    }
  }

  private answerFromLog(to: string, txid: string, verb: string): void {
    if (this.logged(txid)) {
      this.send(to, { type: "Commit", txid });
      return;
    }
    this.note(
      `${to} ${verb} ${txid}, which has no commit record in the log: presumed abort, answers Abort`,
    );
    this.send(to, { type: "Abort", txid });
  }
}
