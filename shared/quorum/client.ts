/**
 * A client that coordinates its own quorum operations (DDIA ch. 5, "Quorums for reading and
 * writing"): a write goes to all n replicas and succeeds once w acknowledge; a read goes to all n
 * and returns, once r have answered, the value with the highest version among them, and then
 * repairs the replicas that answered with something older (read repair). A write that does not
 * reach w replicas before its timeout is reported as failed, but is not rolled back on the
 * replicas that did take it: one of the book's edge cases.
 */

import type { Versioned } from "../check/register.js";
import type { History } from "../history.js";
import type { Network } from "../network.js";
import { SimNode } from "../node.js";
import type { LeaderlessMessage } from "./messages.js";

export interface QuorumConfig {
  replicas: string[];
  w: number;
  r: number;
  timeoutMs: number;
  readRepair: boolean;
  /** This client's keys: it writes only these (one writer per key), and reads any key. */
  ownKeys: string[];
  allKeys: string[];
  operations: number;
  history: History<Versioned>;
  /**
   * Scripted operations instead of random ones: each starts at `atMs`, or when the one before it
   * ends if that is later; `operations` is then ignored.
   */
  script?: readonly { f: "write" | "read"; key: string; atMs: number }[];
  /** Keep each operation's answers (who answered what, when), for narrating a short run. */
  keepAnswers?: boolean;
}

/** One answer to an operation: the replica, the version it held or stored, and when it came. */
export interface Answer {
  replica: string;
  version: number;
  atMs: number;
}

interface InFlight {
  requestId: string;
  historyOp: number;
  kind: "write" | "read";
  key: string;
  version: number;
  answers: Map<string, { value: string | null; version: number; atMs: number }>;
}

export class QuorumClient extends SimNode<LeaderlessMessage, null, null> {
  private current: InFlight | undefined;
  private count = 0;
  private readonly nextVersion = new Map<string, number>();
  /** Writes reported as failed (too few acknowledgements), by key and version. */
  readonly failedWrites: { key: string; version: number }[] = [];
  readRepairs = 0;
  /** With `keepAnswers`: the answers that completed each operation, by history operation. */
  readonly answered: { historyOp: number; answers: Answer[] }[] = [];
  done = false;

  constructor(
    id: string,
    net: Network<LeaderlessMessage>,
    readonly config: QuorumConfig,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  begin(): void {
    this.next();
  }

  private next(): void {
    if (this.count >= (this.config.script?.length ?? this.config.operations)) {
      this.done = true;
      return;
    }
    const scripted = this.config.script?.[this.count];
    if (scripted !== undefined && scripted.atMs > this.sim.now) {
      this.setTimer("pause", scripted.atMs - this.sim.now);
      return;
    }
    const n = this.count++;
    const requestId = `${this.id}-${n}`;
    const isWrite = scripted === undefined ? this.random.chance(0.5) : scripted.f === "write";
    if (isWrite) {
      const key = scripted?.key ?? this.random.pick(this.config.ownKeys);
      const version = (this.nextVersion.get(key) ?? 0) + 1;
      this.nextVersion.set(key, version);
      const historyOp = this.config.history.invoke(
        this.id,
        "write",
        key,
        { version },
        this.sim.now,
      );
      this.current = { requestId, historyOp, kind: "write", key, version, answers: new Map() };
      for (const r of this.config.replicas)
        this.send(r, { type: "Store", requestId, key, value: `${key}@${version}`, version });
    } else {
      const key = scripted?.key ?? this.random.pick(this.config.allKeys);
      const historyOp = this.config.history.invoke(
        this.id,
        "read",
        key,
        { version: 0 },
        this.sim.now,
      );
      this.current = { requestId, historyOp, kind: "read", key, version: 0, answers: new Map() };
      for (const r of this.config.replicas) this.send(r, { type: "Fetch", requestId, key });
    }
    this.setTimer("timeout", this.config.timeoutMs);
  }

  override onTimer(name: string): void {
    if (name === "pause") {
      this.next();
      return;
    }
    const c = this.current;
    if (name !== "timeout" || c === undefined) return;
    if (c.kind === "write") {
      // Fewer than w acknowledgements: reported as failed, though some replicas may have it.
      this.failedWrites.push({ key: c.key, version: c.version });
      this.config.history.complete(c.historyOp, "info", undefined, this.sim.now);
    } else {
      this.config.history.complete(c.historyOp, "fail", undefined, this.sim.now);
    }
    this.finish();
  }

  onMessage(from: string, msg: LeaderlessMessage): void {
    const c = this.current;
    if (c === undefined || !("requestId" in msg) || msg.requestId !== c.requestId) return;
    if (msg.type === "Stored" && c.kind === "write") {
      c.answers.set(from, { value: null, version: c.version, atMs: this.sim.now });
      if (c.answers.size === this.config.w) {
        this.config.history.complete(c.historyOp, "ok", { version: c.version }, this.sim.now);
        this.keep(c);
        this.finish();
      }
    } else if (msg.type === "Fetched" && c.kind === "read") {
      c.answers.set(from, { value: msg.value, version: msg.version, atMs: this.sim.now });
      if (c.answers.size === this.config.r) {
        const newest = Math.max(...[...c.answers.values()].map((a) => a.version));
        this.config.history.complete(c.historyOp, "ok", { version: newest }, this.sim.now);
        this.keep(c);
        if (this.config.readRepair) this.repair(c, newest);
        this.finish();
      }
    }
  }

  private keep(c: InFlight): void {
    if (!this.config.keepAnswers) return;
    this.answered.push({
      historyOp: c.historyOp,
      answers: [...c.answers].map(([replica, a]) => ({
        replica,
        version: a.version,
        atMs: a.atMs,
      })),
    });
  }

  /** Read repair: send the newest version to the replicas that answered with an older one. */
  private repair(c: InFlight, newest: number): void {
    const best = [...c.answers.values()].find((a) => a.version === newest);
    if (best === undefined || best.value === null) return;
    for (const [replica, a] of c.answers) {
      if (a.version < newest) {
        this.readRepairs++;
        this.send(replica, {
          type: "Store",
          requestId: `${c.requestId}-repair`,
          key: c.key,
          value: best.value,
          version: newest,
        });
      }
    }
  }

  private finish(): void {
    this.cancelTimer("timeout");
    this.current = undefined;
    this.setTimer("pause", this.random.uniform(0, 3));
  }
}
