/**
 * A client of the AP store (DDIA ch. 9, "The CAP theorem"; messages in messages.ts): it runs a
 * script of reads and writes, one at a time, each sent to one replica, the one beside it, which
 * answers at once. A request or reply lost on the way is sent again every `retryMs` (the replica
 * answers a resent request from its record of replies, so a write is applied once); the client
 * gives up after `timeoutMs` (a write as `info`, a read as `fail`), which on a link that is never
 * partitioned happens only when the network loses every attempt.
 */

import { type CheckedOp, recordCall, recordReturn } from "../../shared/check/linearizability.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { ScriptedOperation } from "../../shared/quorum/abd-client.js";
import type { ClientMessage } from "./messages.js";

export interface ApClientConfig {
  /**
   * The replica every operation goes to (the one beside the client); or a list, and then each
   * operation goes to one picked at random from it, as behind a load balancer that keeps no
   * session (the consistency-models scenario's `lww-any-replica`).
   */
  replica: string | readonly string[];
  retryMs: number;
  timeoutMs: number;
  script: readonly ScriptedOperation[];
  history: CheckedOp[];
  /** Where to record the siblings each read returned (op id → values), for the multi-value store. */
  siblings?: Map<number, readonly string[]>;
}

/** M: the store's messages; the client sends and receives only the ClientMessage ones. */
export class ApClient<M extends { type: string } = ClientMessage> extends SimNode<M, null, null> {
  private current:
    | { op: CheckedOp; planned: ScriptedOperation; requestId: string; replica: string }
    | undefined;
  private next = 0;
  done = false;

  constructor(
    id: string,
    net: Network<M>,
    readonly config: ApClientConfig,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  begin(): void {
    this.pause();
  }

  private pause(): void {
    const planned = this.config.script[this.next];
    if (planned === undefined) {
      this.done = true;
      return;
    }
    this.setTimer("think", planned.thinkMs);
  }

  override onTimer(name: string): void {
    if (name === "think") this.invoke();
    else if (name === "retry") this.request();
    else if (name === "timeout" && this.current !== undefined)
      this.finish(this.current.planned.f === "write" ? "info" : "fail", null);
  }

  private invoke(): void {
    const n = this.next++;
    const planned = this.config.script[n] as ScriptedOperation;
    const op = recordCall(this.config.history, {
      process: this.id,
      f: planned.f,
      key: planned.key,
      input: planned.f === "write" ? planned.value : null,
      callTime: this.sim.now,
    });
    const { replica } = this.config;
    this.current = {
      op,
      planned,
      requestId: `${this.id}-${n}`,
      replica: typeof replica === "string" ? replica : this.random.pick(replica),
    };
    this.setTimer("timeout", this.config.timeoutMs);
    this.request();
  }

  private request(): void {
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
      this.finish("ok", msg.value);
    } else if (msg.type === "WriteAck") this.finish("ok", null);
  }

  private finish(outcome: "ok" | "fail" | "info", value: string | null): void {
    const c = this.current;
    if (c === undefined) return;
    if (outcome !== "info") recordReturn(c.op, outcome, this.sim.now, value);
    this.cancelTimer("retry");
    this.cancelTimer("timeout");
    this.current = undefined;
    this.pause();
  }
}
