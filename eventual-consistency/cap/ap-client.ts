/**
 * A client of the AP store (DDIA ch. 9, "The CAP theorem"; messages in messages.ts): it runs a
 * script of reads and writes, one at a time, each sent to one replica, the one beside it, which
 * answers at once. A request or reply lost on the way is sent again every `retryMs` (the replica
 * answers a resent request from its record of replies, so a write is applied once); the client
 * gives up after `timeoutMs` (a write as `info`, a read as `fail`), which on a link that is never
 * partitioned happens only when the network loses every attempt.
 */

import type { Network } from "../../shared/network.js";
import {
  ScriptedClient,
  type ScriptedClientConfig,
  type ScriptedOperation,
} from "../../shared/scripted-client.js";
import type { ClientMessage } from "./messages.js";

export interface ApClientConfig extends ScriptedClientConfig {
  /**
   * The replica every operation goes to (the one beside the client); or a list, and then each
   * operation goes to one picked at random from it, as behind a load balancer that keeps no
   * session (the consistency-models scenario's `lww-any-replica`).
   */
  replica: string | readonly string[];
  /** Where to record the siblings each read returned (op id → values), for the multi-value store. */
  siblings?: Map<number, readonly string[]>;
}

/** M: the store's messages; the client sends and receives only the ClientMessage ones. */
export class ApClient<M extends { type: string } = ClientMessage> extends ScriptedClient<
  M,
  ApClientConfig,
  { requestId: string; replica: string }
> {
  constructor(id: string, net: Network<M>, config: ApClientConfig) {
    super(id, net, config);
  }

  protected newOperation(_planned: ScriptedOperation, index: number) {
    const { replica } = this.config;
    return {
      requestId: `${this.id}-${index}`,
      replica: typeof replica === "string" ? replica : this.random.pick(replica),
    };
  }

  protected resend(): void {
    const c = this.current;
    if (c === undefined) return;
    const { key, value } = c.planned;
    const msg: ClientMessage =
      c.planned.f === "write"
        ? { type: "Write", requestId: c.requestId, key, value: value as string }
        : { type: "Read", requestId: c.requestId, key };
    this.send(c.replica, msg as unknown as M);
    this.setTimer("retry", this.config.retryMs);
  }

  onMessage(_from: string, received: M): void {
    const c = this.current;
    const msg = received as unknown as ClientMessage;
    if (c === undefined || !("requestId" in msg) || msg.requestId !== c.requestId) return;
    if (msg.type === "ReadReply") {
      if (msg.siblings !== undefined) this.config.siblings?.set(c.op.id, msg.siblings);
      this.complete("ok", msg.value);
    } else if (msg.type === "WriteAck") this.complete("ok", null);
  }
}
