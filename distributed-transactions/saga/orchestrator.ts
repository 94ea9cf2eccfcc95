/**
 * The orchestrator of a saga (Garcia-Molina and Salem, "Sagas", 1987): it runs an order's steps
 * one after another, each a local transaction committed on its own service, and when a step fails
 * it runs the compensating transactions of the steps already done, newest first. The book's word
 * for such an undo is a "compensating transaction": a separate transaction, so "any
 * cross-transaction correctness requirements are the application's problem" (DDIA ch. 9, "From
 * single-node to distributed atomic commit").
 *
 * Durable state: the saga log, one entry per saga: where it stands (running, compensating,
 * completed, compensated) and which step it is on. It is written before each request goes out, so
 * a restarted orchestrator resends the same request (same requestId) and the service applies it
 * at most once. Volatile state: none beyond the timers.
 *
 * The broken variant `no-compensation` stops at a failed step and leaves the earlier steps in
 * place: the stock stays reserved for an order that was never paid.
 *
 * Left out: parallel steps, timeouts that give up on a service, choreography (services reacting
 * to each other's events instead of an orchestrator).
 */

import { assert, unreachable } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { SagaMessage } from "./messages.js";

export const RETRY_MS = 40;

export type SagaVariant = "correct" | "no-compensation";

export interface SagaOrder {
  readonly saga: string;
  readonly customer: string;
  readonly item: string;
  readonly quantity: number;
  readonly price: number;
}

export type StepName = "reserve stock" | "email received" | "charge payment";
export const STEPS: readonly StepName[] = ["reserve stock", "email received", "charge payment"];

export type SagaStatus = "running" | "compensating" | "completed" | "compensated" | "failed";

export interface SagaEntry {
  readonly order: SagaOrder;
  status: SagaStatus;
  /** The step being done (running) or undone (compensating). */
  step: number;
  /** Why the failed step failed. */
  failure?: string;
}

export interface OrchestratorDurable {
  sagas: Record<string, SagaEntry>;
}

export class Orchestrator extends SimNode<SagaMessage, OrchestratorDurable, null> {
  readonly variant: SagaVariant;

  constructor(id: string, net: Network<SagaMessage>, variant: SagaVariant) {
    super(id, net, { sagas: {} });
    this.variant = variant;
  }

  protected initialVolatile(): null {
    return null;
  }

  /** Hook for the run: a saga ended. */
  protected ended(_saga: string, _status: SagaStatus): void {}

  begin(order: SagaOrder): boolean {
    if (this.crashed) return false;
    assert(this.durable.sagas[order.saga] === undefined, `${order.saga} begun twice`);
    this.durable.sagas[order.saga] = { order, status: "running", step: 0 };
    this.note(
      `${order.saga}: ${order.customer} orders ${order.quantity} of ${order.item} at ${order.price}; step 1, ${STEPS[0]}`,
    );
    this.request(order.saga);
    return true;
  }

  protected override onRecover(): void {
    const unfinished = Object.keys(this.durable.sagas).filter((s) => {
      const status = this.durable.sagas[s]?.status;
      return status === "running" || status === "compensating";
    });
    this.note(
      `recovers from its saga log: ${unfinished.length === 0 ? "no saga in progress" : `resumes ${unfinished.join(", ")} where the log says, resending the same requests`}`,
    );
    for (const saga of unfinished) this.request(saga);
  }

  onMessage(_from: string, msg: SagaMessage): void {
    switch (msg.type) {
      case "StepResult":
        this.onResult(msg.requestId, msg.ok, msg.reason);
        return;
      case "ReserveStock":
      case "ReleaseStock":
      case "ChargePayment":
      case "SendEmail":
      case "Read":
      case "ReadResult":
        assert(false, `${this.id} got ${msg.type}`);
        return;
      default:
        unreachable(msg, "message");
    }
  }

  override onTimer(name: string): void {
    const saga = name.slice("retry:".length);
    const entry = this.durable.sagas[saga];
    if (entry === undefined || (entry.status !== "running" && entry.status !== "compensating"))
      return;
    this.request(saga);
  }

  private requestId(entry: SagaEntry): string {
    return `${entry.order.saga}/${entry.step + 1}/${entry.status === "running" ? "do" : "undo"}`;
  }

  /** Send the request for where the saga stands, and retry it until its result comes. */
  private request(saga: string): void {
    const entry = this.durable.sagas[saga];
    assert(entry !== undefined, `no saga ${saga}`);
    const { order } = entry;
    const requestId = this.requestId(entry);
    const step = STEPS[entry.step];
    const forward = entry.status === "running";
    if (step === "reserve stock")
      this.send("stock", {
        type: forward ? "ReserveStock" : "ReleaseStock",
        requestId,
        saga,
        key: order.item,
        amount: order.quantity,
      });
    else if (step === "email received")
      this.send("email", {
        type: "SendEmail",
        requestId,
        saga,
        to: order.customer,
        text: forward
          ? `we have received your order ${saga}`
          : `sorry, your order ${saga} is cancelled`,
      });
    else {
      assert(forward, `${saga}: the last step has no compensation`);
      this.send("payments", {
        type: "ChargePayment",
        requestId,
        saga,
        key: `balance-${order.customer}`,
        amount: order.quantity * order.price,
      });
    }
    this.setTimer(`retry:${saga}`, RETRY_MS);
  }

  private onResult(requestId: string, ok: boolean, reason: string | undefined): void {
    const saga = requestId.split("/")[0] ?? "";
    const entry = this.durable.sagas[saga];
    // A late or repeated result for a step the saga has moved past.
    if (entry === undefined || this.requestId(entry) !== requestId) return;
    if (entry.status !== "running" && entry.status !== "compensating") return;
    this.cancelTimer(`retry:${saga}`);
    if (entry.status === "running" && ok) {
      if (entry.step === STEPS.length - 1) {
        entry.status = "completed";
        this.note(`${saga}: every step committed; the saga is complete`);
        this.ended(saga, "completed");
        return;
      }
      entry.step++;
      this.note(`${saga}: step ${entry.step + 1}, ${STEPS[entry.step]}`);
      this.request(saga);
      return;
    }
    if (entry.status === "running") {
      assert(!ok, "unreachable");
      // The service's own note has just given the reason; the orchestrator's line does not repeat it
      // unless the service gave none.
      entry.failure = `${STEPS[entry.step]} failed${reason === undefined ? " (no reason given)" : ""}`;
      if (this.variant === "no-compensation") {
        entry.status = "failed";
        this.note(
          `${saga}: ${entry.failure}; stops there, leaving its earlier steps in place (broken: no compensation)`,
        );
        this.ended(saga, "failed");
        return;
      }
      if (entry.step === 0) {
        entry.status = "compensated";
        this.note(`${saga}: ${entry.failure}; no earlier step to compensate`);
        this.ended(saga, "compensated");
        return;
      }
      entry.status = "compensating";
      entry.step--;
      this.note(
        `${saga}: ${entry.failure}; compensates the committed steps, newest first: undo ${STEPS[entry.step]}`,
      );
      this.request(saga);
      return;
    }
    // Compensating: a compensation does not fail (it is retried until it is applied).
    assert(ok, `${saga}: a compensation failed`);
    if (entry.step === 0) {
      entry.status = "compensated";
      this.note(`${saga}: every committed step is compensated`);
      this.ended(saga, "compensated");
      return;
    }
    entry.step--;
    this.note(`${saga}: undo ${STEPS[entry.step]}`);
    this.request(saga);
  }
}
