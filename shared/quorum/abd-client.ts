/**
 * A client of the ABD register (DDIA ch. 9, "Linearizability and quorums"; see abd-messages.ts):
 * it runs a script of reads and writes, one at a time, and coordinates each one's two phases
 * itself, as the leaderless client of client.ts does (DDIA ch. 5, "Quorums for reading and
 * writing").
 *
 * - write(v): Query every replica; with a majority's replies, take the highest timestamp's counter
 *   c and Update every replica with (c + 1, this client's id) and v; done at a majority's acks.
 * - read: Query every replica; with a majority's replies, take the newest (timestamp, value) and
 *   Update every replica with it (the write-back, "read repair performed synchronously"); done at
 *   a majority's acks, answering that value.
 *
 * Any two majorities share a replica, so a read's query meets every write (and every read's
 * write-back) that finished before it began, and the write-back makes sure no later read can
 * return something older than this read did. Messages lost on the way are sent again every
 * `retryMs` to the replicas that have not answered the phase. An operation that has no majority
 * after `timeoutMs` gives up: a write is recorded as `info` (it may have reached some replicas,
 * and a later read may still return it), a read as `fail`. A client cut off from a majority by a
 * partition can therefore never answer: the CP side of CAP (DDIA ch. 9, "The CAP theorem").
 *
 * Two broken variants, for tests and scenarios that show what each step is for: `writeBack:
 * false` answers a read after its query phase (the book's figure 9-6 anomaly comes back), and a
 * `quorum` below a majority lets two quorums miss each other.
 */

import type { Network } from "../network.js";
import {
  ScriptedClient,
  type ScriptedClientConfig,
  type ScriptedOperation,
} from "../scripted-client.js";
import { type AbdMessage, compareTimestamps, type Timestamp } from "./abd-messages.js";

export interface AbdClientConfig extends ScriptedClientConfig {
  replicas: readonly string[];
  /** Replies needed in each phase: a majority, floor(n / 2) + 1, unless broken on purpose. */
  quorum: number;
  /** The reader's write-back; false only for the broken variant. */
  writeBack: boolean;
}

/** An operation's progress through its two phases. */
interface Phase {
  phase: "query" | "update";
  requestId: string;
  /** Replicas that answered this phase, with what a Query reply held. */
  answers: Map<string, { timestamp: Timestamp; value: string | null }>;
  /** The (timestamp, value) the update phase sends. */
  update?: { timestamp: Timestamp; value: string | null };
}

export class AbdClient extends ScriptedClient<AbdMessage, AbdClientConfig, Phase> {
  private phases = 0;

  constructor(id: string, net: Network<AbdMessage>, config: AbdClientConfig) {
    super(id, net, config);
  }

  /** A new operation begins with its query phase. */
  protected newOperation(): Phase {
    return { phase: "query", requestId: this.nextRequestId(), answers: new Map() };
  }

  private nextRequestId(): string {
    return `${this.id}-${this.phases++}`;
  }

  private beginPhase(phase: "query" | "update"): void {
    const c = this.current as NonNullable<typeof this.current>;
    c.phase = phase;
    c.requestId = this.nextRequestId();
    c.answers = new Map();
    this.resend();
  }

  /** Send the phase's message to every replica that has not answered it yet. */
  protected resend(): void {
    const c = this.current;
    if (c === undefined) return;
    for (const replica of this.config.replicas) {
      if (c.answers.has(replica)) continue;
      if (c.phase === "query")
        this.send(replica, { type: "Query", requestId: c.requestId, key: c.planned.key });
      else {
        const update = c.update as { timestamp: Timestamp; value: string | null };
        this.send(replica, {
          type: "Update",
          requestId: c.requestId,
          key: c.planned.key,
          timestamp: update.timestamp,
          value: update.value,
        });
      }
    }
    this.setTimer("retry", this.config.retryMs);
  }

  onMessage(from: string, msg: AbdMessage): void {
    const c = this.current;
    if (c === undefined || !("requestId" in msg) || msg.requestId !== c.requestId) return;
    if (c.answers.has(from)) return; // A duplicate, or the answer to a resent message.
    switch (msg.type) {
      case "QueryReply":
        c.answers.set(from, { timestamp: msg.timestamp, value: msg.value });
        if (c.answers.size === this.config.quorum) this.queried(c);
        return;
      case "UpdateAck":
        c.answers.set(from, {
          timestamp: (c.update as { timestamp: Timestamp }).timestamp,
          value: null,
        });
        if (c.answers.size === this.config.quorum) this.answer(c);
        return;
      case "Query":
      case "Update":
        return; // Requests go to replicas; a client is never sent one.
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  /** A quorum answered the query phase: pick the newest, then update (or, broken, answer now). */
  private queried(c: Phase & { planned: ScriptedOperation }): void {
    let newest = {
      timestamp: { counter: 0, writer: "" } as Timestamp,
      value: null as string | null,
    };
    for (const a of c.answers.values())
      if (compareTimestamps(a.timestamp, newest.timestamp) > 0) newest = a;
    if (c.planned.f === "write") {
      c.update = {
        timestamp: { counter: newest.timestamp.counter + 1, writer: this.id },
        value: c.planned.value,
      };
    } else if (this.config.writeBack) {
      c.update = newest;
    } else {
      c.update = newest;
      this.answer(c);
      return;
    }
    this.beginPhase("update");
  }

  /** The operation is done: a read answers the value its update phase carried (or would have). */
  private answer(c: Phase & { planned: ScriptedOperation }): void {
    this.complete("ok", c.planned.f === "read" ? (c.update?.value ?? null) : null);
  }
}
