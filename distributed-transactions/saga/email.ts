/**
 * The email service of the saga: sending an email is an action in the outside world that cannot
 * be taken back. Its compensation is another email ("your order is cancelled"), a semantic
 * compensation: the state of the world after it is not the state before the saga, since the
 * customer has read both.
 *
 * Durable state: the outbox (emails sent) and the requestIds already handled, so that a retried
 * request sends no second copy. Sending takes `SEND_MS` (a call to the mail server), during which
 * the saga's earlier steps are visible to everyone.
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { SagaMessage } from "./messages.js";

export const SEND_MS = 20;

export interface Email {
  readonly requestId: string;
  readonly saga: string;
  readonly to: string;
  readonly text: string;
  readonly atMs: number;
}

export interface EmailDurable {
  outbox: Email[];
}

interface EmailVolatile {
  /** Requests whose email is being sent now, and who asked. */
  sending: Map<string, { from: string; email: Omit<Email, "atMs"> }>;
}

export class EmailService extends SimNode<SagaMessage, EmailDurable, EmailVolatile> {
  constructor(id: string, net: Network<SagaMessage>) {
    super(id, net, { outbox: [] });
  }

  protected initialVolatile(): EmailVolatile {
    return { sending: new Map() };
  }

  onMessage(from: string, msg: SagaMessage): void {
    switch (msg.type) {
      case "SendEmail": {
        if (this.durable.outbox.some((e) => e.requestId === msg.requestId)) {
          this.send(from, { type: "StepResult", requestId: msg.requestId, ok: true });
          return;
        }
        if (this.volatile.sending.has(msg.requestId)) return;
        const { requestId, saga, to, text } = msg;
        this.volatile.sending.set(requestId, { from, email: { requestId, saga, to, text } });
        this.setTimer(`send:${requestId}`, SEND_MS);
        return;
      }
      case "ReserveStock":
      case "ReleaseStock":
      case "ChargePayment":
      case "Read":
      case "StepResult":
      case "ReadResult":
        assert(false, `${this.id} got ${msg.type}`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const requestId = name.slice("send:".length);
    const sending = this.volatile.sending.get(requestId);
    assert(sending !== undefined, `unknown timer ${name}`);
    this.volatile.sending.delete(requestId);
    this.durable.outbox.push({ ...sending.email, atMs: this.sim.now });
    this.note(`emails ${sending.email.to}: "${sending.email.text}"`);
    this.send(sending.from, { type: "StepResult", requestId, ok: true });
  }
}
