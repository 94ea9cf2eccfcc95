/**
 * A service of the saga that owns rows: the stock service (items in stock) or the payment service
 * (customers' balances). Each request is a local transaction, committed at once and visible to
 * every reader from then on: a saga has no isolation between its steps.
 *
 * Durable state: the rows, a log of applied changes (each with its log sequence number, LSN), and
 * the result of every request by requestId, so that a retried request gets the same result
 * and is applied at most once (DDIA ch. 11, "Idempotence"). No volatile state.
 *
 * Messages: ReserveStock and ChargePayment (fail if the row would fall below zero), ReleaseStock
 * (a compensation: never fails), Read (answers the value and the LSN it reflects).
 *
 * Left out: concurrency control between requests (each is applied whole, one at a time, in the
 * order it arrives), expiry of the remembered results, and reservations with a deadline.
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { RowAction, SagaMessage } from "./messages.js";

export interface AppliedChange {
  readonly lsn: number;
  readonly requestId: string;
  readonly saga: string;
  readonly action: RowAction;
  readonly key: string;
  readonly delta: number;
}

export interface ServiceDurable {
  rows: Record<string, number>;
  log: AppliedChange[];
  results: Record<string, { ok: boolean; reason?: string }>;
}

export class RowService extends SimNode<SagaMessage, ServiceDurable, null> {
  constructor(id: string, net: Network<SagaMessage>, rows: Record<string, number>) {
    super(id, net, { rows: { ...rows }, log: [], results: {} });
  }

  protected initialVolatile(): null {
    return null;
  }

  onMessage(from: string, msg: SagaMessage): void {
    switch (msg.type) {
      case "ReserveStock":
      case "ReleaseStock":
      case "ChargePayment": {
        const earlier = this.durable.results[msg.requestId];
        if (earlier !== undefined) {
          this.send(from, { type: "StepResult", requestId: msg.requestId, ...earlier });
          return;
        }
        const delta = msg.type === "ReleaseStock" ? msg.amount : -msg.amount;
        const value = (this.durable.rows[msg.key] ?? 0) + delta;
        let result: { ok: boolean; reason?: string };
        if (value < 0) {
          result = {
            ok: false,
            reason: `${msg.key} holds ${this.durable.rows[msg.key] ?? 0}, less than ${msg.amount}`,
          };
          this.note(`${msg.type} for ${msg.saga} fails: ${result.reason}`);
        } else {
          this.durable.rows[msg.key] = value;
          this.durable.log.push({
            lsn: this.durable.log.length + 1,
            requestId: msg.requestId,
            saga: msg.saga,
            action: msg.type,
            key: msg.key,
            delta,
          });
          result = { ok: true };
          this.note(`${msg.type} for ${msg.saga} commits: ${msg.key} is now ${value}`);
        }
        this.durable.results[msg.requestId] = result;
        this.send(from, { type: "StepResult", requestId: msg.requestId, ...result });
        return;
      }
      case "Read":
        this.send(from, {
          type: "ReadResult",
          requestId: msg.requestId,
          key: msg.key,
          value: this.durable.rows[msg.key] ?? 0,
          lsn: this.durable.log.length,
        });
        return;
      case "SendEmail":
      case "StepResult":
      case "ReadResult":
        assert(false, `${this.id} got ${msg.type}`);
        return;
      default:
        unreachable(msg, "message");
    }
  }
}
