/**
 * A participant of two-phase commit: one shard of a key-value store (DDIA ch. 9, "Atomic Commit
 * and Two-Phase Commit (2PC)": "A system of promises").
 *
 * Durable state (its disk): the rows, and a log of what it promised and decided: `prepared`
 * (the write set, whose keys it holds locked), `committed`, `aborted`, and `local` for the
 * shard's own single-node transactions. Volatile state: the row locks, which it rebuilds from
 * the log on recovery (every prepared transaction without a decision holds its locks again), and
 * the queue of work blocked on those locks.
 *
 * Messages: Prepare (vote yes only after the prepared record is on disk: from then on it has
 * promised to commit if told to, and can no longer abort on its own), Commit and Abort (apply or
 * discard, release the locks, Ack). A participant in doubt, prepared with no decision, asks the
 * coordinator (QueryOutcome) until it hears: "The only way 2PC can complete is by waiting for the
 * coordinator to recover." (DDIA ch. 9, "Coordinator failure").
 *
 * PostgreSQL's PREPARE TRANSACTION is the prepare step: the transaction's state is stored on disk
 * (in the WAL, and copied to a state file in pg_twophase if it is still prepared at a checkpoint),
 * its locks are taken again after a restart, pg_prepared_xacts lists it with the time it was
 * prepared, and COMMIT PREPARED or ROLLBACK PREPARED, from any session, ends it. PostgreSQL never
 * decides a prepared transaction on its own: one the coordinator has forgotten (an orphaned
 * in-doubt transaction) holds its locks until an administrator runs one of those two commands.
 *
 * The broken variant `heuristic` decides an in-doubt transaction on its own after a timeout, as
 * the "heuristic decisions" of XA implementations do (DDIA ch. 9, "Recovering from coordinator
 * failure": a participant may "unilaterally decide to abort or commit an in-doubt transaction").
 * It commits or aborts, as its `guess` option says or, without one, by a coin from its own seeded
 * stream: so it breaks atomicity both ways, committing what the coordinator aborted (presumed
 * abort after a crash before the commit record) and aborting what the coordinator committed.
 *
 * Left out: the store's isolation levels (a write set is locked whole, exclusive locks only),
 * reads, deadlock detection (a Prepare blocked too long is aborted by the coordinator's vote
 * timeout), log truncation, XA's recover() call.
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { TwoPhaseCommitMessage, Write } from "./messages.js";

export type ParticipantLogRecord =
  | {
      readonly kind: "prepared";
      readonly txid: string;
      readonly writes: readonly Write[];
      /** When it was written (simulated time), so that a restarted node knows how long it has been in doubt. */
      readonly atMs: number;
    }
  | { readonly kind: "committed"; readonly txid: string; readonly heuristic: boolean }
  | { readonly kind: "aborted"; readonly txid: string; readonly heuristic: boolean }
  | { readonly kind: "local"; readonly id: string; readonly key: string; readonly delta: number };

export interface ParticipantDurable {
  rows: Record<string, number>;
  log: ParticipantLogRecord[];
}

export type ParticipantVariant = "correct" | "heuristic";

/** What the heuristic variant decides on its own: always one way, or by a seeded coin. */
export type HeuristicGuess = "commit" | "abort" | "coin";

/** How often an in-doubt participant asks the coordinator for the outcome. */
export const QUERY_INTERVAL_MS = 60;
/** How long the heuristic variant waits in doubt before deciding on its own. */
export const HEURISTIC_TIMEOUT_MS = 150;

type Waiter =
  | {
      readonly kind: "prepare";
      readonly txid: string;
      readonly writes: readonly Write[];
      readonly sinceMs: number;
    }
  | {
      readonly kind: "local";
      readonly id: string;
      readonly key: string;
      readonly delta: number;
      readonly sinceMs: number;
    };

interface ParticipantVolatile {
  /** Decided transactions (rebuilt from the log). */
  decided: Map<string, "committed" | "aborted">;
  /** Prepared, undecided transactions: in doubt since their prepared record was written. */
  inDoubt: Map<string, { writes: readonly Write[]; sinceMs: number }>;
  /** Row locks: key → the transaction holding it. */
  locks: Map<string, string>;
  waiting: Waiter[];
}

/** Why a piece of work waited, and for how long (a measurement for the run). */
export interface Wait {
  readonly what: string;
  readonly key: string;
  readonly holder: string;
  readonly fromMs: number;
  toMs: number | undefined;
}

export class Participant extends SimNode<
  TwoPhaseCommitMessage,
  ParticipantDurable,
  ParticipantVolatile
> {
  readonly coordinator: string;
  readonly variant: ParticipantVariant;
  readonly guess: HeuristicGuess;
  /** The heuristic variant's coin, a stream of its own so that it moves nothing else. */
  private readonly coin = this.random.fork("heuristic");

  constructor(
    id: string,
    net: Network<TwoPhaseCommitMessage>,
    options: {
      coordinator: string;
      rows: Record<string, number>;
      variant: ParticipantVariant;
      guess?: HeuristicGuess;
    },
  ) {
    super(id, net, { rows: { ...options.rows }, log: [] });
    this.coordinator = options.coordinator;
    this.variant = options.variant;
    this.guess = options.guess ?? "coin";
  }

  protected initialVolatile(): ParticipantVolatile {
    return { decided: new Map(), inDoubt: new Map(), locks: new Map(), waiting: [] };
  }

  /** Hooks for the run to observe (and, in a scripted story, to crash the node at). */
  protected beforeVote(_txid: string, _yes: boolean): void {}
  protected afterVote(_txid: string, _yes: boolean): void {}
  protected waitStarted(_wait: Wait): void {}
  protected waitEnded(_what: string, _atMs: number): void {}
  protected localFinished(_id: string, _outcome: "committed" | "rejected" | "lost"): void {}

  /** The transactions this shard is in doubt about now. */
  inDoubt(): string[] {
    return [...this.volatile.inDoubt.keys()];
  }

  lockHolder(key: string): string | undefined {
    return this.volatile.locks.get(key);
  }

  onMessage(from: string, msg: TwoPhaseCommitMessage): void {
    switch (msg.type) {
      case "Prepare":
        this.onPrepare(from, msg.txid, msg.writes);
        return;
      case "Commit":
        this.learn(msg.txid, "committed");
        this.send(from, { type: "Ack", txid: msg.txid });
        return;
      case "Abort":
        this.learn(msg.txid, "aborted");
        this.send(from, { type: "Ack", txid: msg.txid });
        return;
      case "Vote":
      case "Ack":
      case "QueryOutcome":
        assert(false, `${this.id} got ${msg.type}, a message for the coordinator`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const [kind, txid] = name.split(":");
    assert(kind === "in-doubt" && txid !== undefined, `unknown timer ${name}`);
    const doubt = this.volatile.inDoubt.get(txid);
    if (doubt === undefined) return;
    if (this.variant === "heuristic" && this.sim.now - doubt.sinceMs >= HEURISTIC_TIMEOUT_MS) {
      // The broken variant: an "emergency escape hatch" that breaks the promise made by voting yes.
      const commit = this.guess === "coin" ? this.coin.chance(0.5) : this.guess === "commit";
      this.note(
        `in doubt about ${txid} for ${(this.sim.now - doubt.sinceMs).toFixed(0)} ms: ${commit ? "commits" : "aborts"} it on its own and releases its locks (a heuristic decision)`,
      );
      this.decide(txid, commit ? "committed" : "aborted", true);
      return;
    }
    this.send(this.coordinator, { type: "QueryOutcome", txid });
    this.setTimer(name, QUERY_INTERVAL_MS);
  }

  /**
   * A single-node transaction on this shard (another client's): add `delta` to `key`. It waits
   * while a prepared transaction holds the row's lock.
   */
  submitLocal(id: string, key: string, delta: number): void {
    if (this.crashed) {
      this.localFinished(id, "lost");
      return;
    }
    const waiter: Waiter = { kind: "local", id, key, delta, sinceMs: this.sim.now };
    if (!this.tryLocal(waiter)) this.block(waiter, id, key);
  }

  protected override onRecover(): void {
    const v = this.volatile;
    const prepared = new Map<string, { writes: readonly Write[]; atMs: number }>();
    for (const record of this.durable.log) {
      if (record.kind === "prepared") prepared.set(record.txid, record);
      else if (record.kind === "committed" || record.kind === "aborted") {
        v.decided.set(record.txid, record.kind);
        prepared.delete(record.txid);
      }
    }
    for (const [txid, { writes, atMs }] of prepared) {
      for (const w of writes) {
        assert(!v.locks.has(w.key), `${this.id}: two prepared transactions lock ${w.key}`);
        v.locks.set(w.key, txid);
      }
      v.inDoubt.set(txid, { writes, sinceMs: atMs });
      this.note(
        `recovers ${txid} from its log: prepared, no decision, so it is in doubt; it takes the locks on ${writes.map((w) => w.key).join(", ")} again and asks the coordinator for the outcome`,
      );
      this.send(this.coordinator, { type: "QueryOutcome", txid });
      this.setTimer(`in-doubt:${txid}`, QUERY_INTERVAL_MS);
    }
  }

  override crash(): void {
    if (this.crashed) return;
    for (const w of this.volatile.waiting) {
      const what = w.kind === "prepare" ? w.txid : w.id;
      this.waitEnded(what, this.sim.now);
      if (w.kind === "local") this.localFinished(w.id, "lost");
    }
    super.crash();
  }

  private onPrepare(from: string, txid: string, writes: readonly Write[]): void {
    assert(from === this.coordinator, `${this.id} got Prepare from ${from}`);
    const v = this.volatile;
    const decided = v.decided.get(txid);
    // A repeated Prepare (a retry, a duplicate) gets the same vote again.
    if (decided !== undefined) {
      this.send(from, { type: "Vote", txid, yes: decided === "committed" });
      return;
    }
    if (v.inDoubt.has(txid)) {
      this.send(from, { type: "Vote", txid, yes: true });
      return;
    }
    if (v.waiting.some((w) => w.kind === "prepare" && w.txid === txid)) return;
    const waiter: Waiter = { kind: "prepare", txid, writes, sinceMs: this.sim.now };
    const blocker = this.tryPrepare(waiter);
    if (blocker !== undefined) this.block(waiter, txid, blocker);
  }

  /** Prepare or vote no; returns the key whose lock is taken when it must wait instead. */
  private tryPrepare(w: Extract<Waiter, { kind: "prepare" }>): string | undefined {
    const v = this.volatile;
    const locked = w.writes.find((x) => v.locks.has(x.key) && v.locks.get(x.key) !== w.txid);
    if (locked !== undefined) return locked.key;
    const violates = w.writes.find((x) => (this.durable.rows[x.key] ?? 0) + x.delta < 0);
    if (violates !== undefined) {
      // Before it votes yes a participant may still abort on its own; it logs the abort so that a
      // late copy of the Prepare gets the same answer.
      this.note(
        `votes no on ${w.txid}: ${violates.key} would fall to ${(this.durable.rows[violates.key] ?? 0) + violates.delta} (a constraint violation), so it aborts`,
      );
      this.beforeVote(w.txid, false);
      if (this.crashed) return undefined;
      this.durable.log.push({ kind: "aborted", txid: w.txid, heuristic: false });
      v.decided.set(w.txid, "aborted");
      this.send(this.coordinator, { type: "Vote", txid: w.txid, yes: false });
      this.afterVote(w.txid, false);
      return undefined;
    }
    this.beforeVote(w.txid, true);
    if (this.crashed) return undefined;
    // The promise: the write set and its locks are on disk before the vote leaves.
    this.durable.log.push({ kind: "prepared", txid: w.txid, writes: w.writes, atMs: this.sim.now });
    for (const x of w.writes) v.locks.set(x.key, w.txid);
    v.inDoubt.set(w.txid, { writes: w.writes, sinceMs: this.sim.now });
    this.note(
      `prepared ${w.txid} (${w.writes.map((x) => `${x.key} ${x.delta >= 0 ? "+" : ""}${x.delta}`).join(", ")}) on disk, locks held; votes yes`,
    );
    this.send(this.coordinator, { type: "Vote", txid: w.txid, yes: true });
    this.setTimer(`in-doubt:${w.txid}`, QUERY_INTERVAL_MS);
    this.afterVote(w.txid, true);
    return undefined;
  }

  private tryLocal(w: Extract<Waiter, { kind: "local" }>): boolean {
    const holder = this.volatile.locks.get(w.key);
    if (holder !== undefined) return false;
    const value = (this.durable.rows[w.key] ?? 0) + w.delta;
    if (value < 0) {
      this.note(`rejects ${w.id}: ${w.key} would fall to ${value}`);
      this.localFinished(w.id, "rejected");
      return true;
    }
    this.durable.log.push({ kind: "local", id: w.id, key: w.key, delta: w.delta });
    this.durable.rows[w.key] = value;
    this.note(`commits ${w.id}: ${w.key} is now ${value}`);
    this.localFinished(w.id, "committed");
    return true;
  }

  private block(w: Waiter, what: string, key: string): void {
    const holder = this.volatile.locks.get(key) ?? "?";
    this.volatile.waiting.push(w);
    this.note(
      `${what} waits: ${key} is locked by ${holder}${this.volatile.inDoubt.has(holder) ? ", which is prepared and in doubt" : ""}`,
    );
    this.waitStarted({ what, key, holder, fromMs: this.sim.now, toMs: undefined });
  }

  /** The coordinator's decision arrives. */
  private learn(txid: string, outcome: "committed" | "aborted"): void {
    const v = this.volatile;
    const decided = v.decided.get(txid);
    if (decided !== undefined) {
      if (decided !== outcome) {
        const onItsOwn = this.durable.log.some(
          (r) => (r.kind === "committed" || r.kind === "aborted") && r.txid === txid && r.heuristic,
        );
        this.note(
          `told to ${outcome === "committed" ? "commit" : "abort"} ${txid}, which it already ${decided}${onItsOwn ? " on its own: its heuristic decision contradicts the coordinator's" : ": the coordinator has given two different answers"}`,
        );
      }
      return;
    }
    const waiting = v.waiting.findIndex((w) => w.kind === "prepare" && w.txid === txid);
    if (waiting >= 0) {
      // Aborted while its Prepare was still waiting for a lock: it never voted.
      v.waiting.splice(waiting, 1);
      this.waitEnded(txid, this.sim.now);
    }
    this.decide(txid, outcome, false);
  }

  private decide(txid: string, outcome: "committed" | "aborted", heuristic: boolean): void {
    const v = this.volatile;
    const doubt = v.inDoubt.get(txid);
    if (outcome === "committed") {
      assert(doubt !== undefined, `${this.id} told to commit ${txid}, which it never prepared`);
      this.durable.log.push({ kind: "committed", txid, heuristic });
      for (const w of doubt.writes) {
        const value = (this.durable.rows[w.key] ?? 0) + w.delta;
        assert(value >= 0, `${this.id}: ${w.key} fell below zero`);
        this.durable.rows[w.key] = value;
      }
    } else {
      this.durable.log.push({ kind: "aborted", txid, heuristic });
    }
    v.decided.set(txid, outcome);
    this.cancelTimer(`in-doubt:${txid}`);
    if (doubt !== undefined) {
      v.inDoubt.delete(txid);
      if (!heuristic)
        this.note(
          `${outcome === "committed" ? "commits" : "aborts"} ${txid} and releases its locks, after ${(this.sim.now - doubt.sinceMs).toFixed(0)} ms in doubt`,
        );
      for (const w of doubt.writes) if (v.locks.get(w.key) === txid) v.locks.delete(w.key);
      this.wake();
    }
  }

  /** Locks were released: let the waiters that can go now go, in the order they came. */
  private wake(): void {
    const v = this.volatile;
    const still: Waiter[] = [];
    const queue = v.waiting;
    v.waiting = still;
    for (const w of queue) {
      if (this.crashed) break;
      const what = w.kind === "prepare" ? w.txid : w.id;
      const went = w.kind === "prepare" ? this.tryPrepare(w) === undefined : this.tryLocal(w);
      if (went) {
        const waited = this.sim.now - w.sinceMs;
        // After the line of what it then did (prepared, committed), which the try printed.
        this.note(
          `${what} had waited ${waited < 0.5 ? "under 1" : waited.toFixed(0)} ms for the lock`,
        );
        this.waitEnded(what, this.sim.now);
      } else still.push(w);
    }
  }
}
