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
import type { ApMessage } from "./messages.js";

export interface ApClientConfig {
  replica: string;
  retryMs: number;
  timeoutMs: number;
  script: readonly ScriptedOperation[];
  history: CheckedOp[];
}

export class ApClient extends SimNode<ApMessage, null, null> {
  private current: { op: CheckedOp; planned: ScriptedOperation; requestId: string } | undefined;
  private next = 0;
  done = false;

  constructor(
    id: string,
    net: Network<ApMessage>,
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
    this.current = { op, planned, requestId: `${this.id}-${n}` };
    this.setTimer("timeout", this.config.timeoutMs);
    this.request();
  }

  private request(): void {
    const c = this.current;
    if (c === undefined) return;
    const { key, value } = c.planned;
    this.send(
      this.config.replica,
      c.planned.f === "write"
        ? { type: "Write", requestId: c.requestId, key, value: value as string }
        : { type: "Read", requestId: c.requestId, key },
    );
    this.setTimer("retry", this.config.retryMs);
  }

  onMessage(_from: string, msg: ApMessage): void {
    const c = this.current;
    if (c === undefined || !("requestId" in msg) || msg.requestId !== c.requestId) return;
    if (msg.type === "ReadReply") this.finish("ok", msg.value);
    else if (msg.type === "WriteAck") this.finish("ok", null);
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
