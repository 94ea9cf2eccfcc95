/**
 * The leader and the lock (DDIA ch. 8, "The leader and the lock", figures 8-4 and 8-5): a lock
 * service grants leases with a fencing token that increases with every grant; a client that holds
 * a lease pauses (a long garbage-collection pause), its lease expires, another client takes the
 * lease and writes, and then the first client wakes up and writes too, still believing it holds
 * the lock. Storage that checks fencing tokens rejects the late write; storage that does not
 * accepts it and corrupts the file.
 *
 * All three roles are here because each is a few lines: the lock service, the storage, the client.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";

export type FencingMessage =
  | { readonly type: "Acquire" }
  | { readonly type: "Granted"; readonly token: number; readonly leaseMs: number }
  | { readonly type: "Busy" }
  | { readonly type: "Write"; readonly token: number; readonly data: string }
  | { readonly type: "WriteResult"; readonly accepted: boolean };

/** Grants one lease at a time; a lease lapses after `leaseMs`, and every grant gets a larger token. */
export class LockService extends SimNode<
  FencingMessage,
  { token: number },
  { holder: string | null; expiresAt: number }
> {
  constructor(
    id: string,
    net: Network<FencingMessage>,
    readonly leaseMs: number,
  ) {
    super(id, net, { token: 32 });
  }

  protected initialVolatile() {
    return { holder: null, expiresAt: 0 };
  }

  onMessage(from: string, msg: FencingMessage): void {
    if (msg.type !== "Acquire") return;
    if (
      this.volatile.holder !== null &&
      this.volatile.holder !== from &&
      this.sim.now < this.volatile.expiresAt
    ) {
      this.send(from, { type: "Busy" });
      return;
    }
    this.durable.token++;
    this.volatile = { holder: from, expiresAt: this.sim.now + this.leaseMs };
    this.note(
      `grants the lease to ${from} with fencing token ${this.durable.token}, until ${this.volatile.expiresAt.toFixed(0)} ms`,
    );
    this.send(from, { type: "Granted", token: this.durable.token, leaseMs: this.leaseMs });
  }
}

/** The storage service: with fencing, it rejects any write whose token is older than one it has seen. */
export class Storage extends SimNode<
  FencingMessage,
  { file: string[]; tokens: number[]; maxToken: number },
  null
> {
  constructor(
    id: string,
    net: Network<FencingMessage>,
    readonly checkTokens: boolean,
  ) {
    super(id, net, { file: [], tokens: [], maxToken: 0 });
  }

  protected initialVolatile(): null {
    return null;
  }

  get file(): readonly string[] {
    return this.durable.file;
  }

  /** The token of every accepted write, in the order accepted. */
  get tokens(): readonly number[] {
    return this.durable.tokens;
  }

  onMessage(from: string, msg: FencingMessage): void {
    if (msg.type !== "Write") return;
    const accepted = !this.checkTokens || msg.token >= this.durable.maxToken;
    if (accepted) {
      this.durable.maxToken = Math.max(this.durable.maxToken, msg.token);
      this.durable.file.push(`${msg.data} (token ${msg.token})`);
      this.durable.tokens.push(msg.token);
      this.note(`accepts ${from}'s write with token ${msg.token}`);
    } else {
      this.note(
        `rejects ${from}'s write: token ${msg.token} is older than ${this.durable.maxToken}`,
        { level: "summary" },
      );
    }
    this.send(from, { type: "WriteResult", accepted });
  }
}

/**
 * A client that takes the lease, then (if told to) stops for `pauseMs` before writing: the pause
 * strikes between its check of the lease and its write, as in figure 8-4.
 */
export class LeaseClient extends SimNode<FencingMessage, null, null> {
  token = -1;

  constructor(
    id: string,
    net: Network<FencingMessage>,
    readonly pauseMs: number,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  acquire(): void {
    this.send("lock", { type: "Acquire" });
  }

  override onTimer(name: string): void {
    if (name === "write") {
      this.note(
        this.pauseMs > 0
          ? `wakes from a ${this.pauseMs} ms pause, still believing it holds the lease, and writes`
          : "writes",
      );
      this.send("storage", { type: "Write", token: this.token, data: `${this.id}'s data` });
    }
  }

  onMessage(_from: string, msg: FencingMessage): void {
    if (msg.type === "Granted") {
      this.token = msg.token;
      if (this.pauseMs > 0)
        this.note(
          `checks its lease (valid), then stops for ${this.pauseMs} ms: a stop-the-world garbage collection`,
          { level: "summary" },
        );
      this.setTimer("write", this.pauseMs);
    }
  }
}
