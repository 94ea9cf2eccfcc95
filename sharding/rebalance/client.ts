/**
 * Client: issues one operation at a time through the router and records each in the history as
 * Jepsen does: invoke, then ok, or info when it gave up on a write (the write may still happen),
 * or fail when it gave up on a read (a read that never returned changed nothing).
 *
 * A request that times out, or that a node answers with Retry (not the owner, or frozen for a
 * hand-off), is sent again with the same request id and the same version, so a retried write is
 * idempotent at the storage node. Each client writes only its own keys, in increasing versions,
 * which is what lets shared/check/register.ts decide durability and read recency exactly.
 */

import type { Versioned } from "../../shared/check/register.js";
import type { History } from "../../shared/history.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { RebalanceMessage } from "./messages.js";

export type ClientOp =
  | { f: "read"; key: string }
  | { f: "write"; key: string; version: number; value: string };

export interface ClientConfig {
  router: string;
  timeoutMs: number;
  retryBackoffMs: number;
  maxAttempts: number;
  /** Think time between operations. */
  pauseMsMax: number;
  history: History<Versioned>;
  /** The next operation, or undefined when the client is done. */
  nextOp: (client: Client) => ClientOp | undefined;
}

interface InFlight {
  op: ClientOp;
  historyOp: number;
  requestId: string;
  attempts: number;
}

interface ClientVolatile {
  inFlight: InFlight | undefined;
}

interface ClientDurable {
  requestsSent: number;
  operationsDone: number;
  retries: number;
  done: boolean;
}

export class Client extends SimNode<RebalanceMessage, ClientDurable, ClientVolatile> {
  constructor(
    id: string,
    net: Network<RebalanceMessage>,
    readonly config: ClientConfig,
  ) {
    super(id, net, { requestsSent: 0, operationsDone: 0, retries: 0, done: false });
  }

  protected initialVolatile(): ClientVolatile {
    return { inFlight: undefined };
  }

  /** Start issuing operations after `delayMs`. */
  begin(delayMs = 0): void {
    this.durable.done = false;
    this.setTimer("next", delayMs);
  }

  get done(): boolean {
    return this.durable.done;
  }

  get stats(): Readonly<ClientDurable> {
    return this.durable;
  }

  onMessage(_from: string, msg: RebalanceMessage): void {
    const inFlight = this.volatile.inFlight;
    if (inFlight === undefined || !("requestId" in msg) || msg.requestId !== inFlight.requestId)
      return;
    if (msg.type === "PutOk" && inFlight.op.f === "write") {
      this.finish("ok", { version: inFlight.op.version });
    } else if (msg.type === "GetOk" && inFlight.op.f === "read") {
      this.finish("ok", { version: msg.version });
    } else if (msg.type === "Retry") {
      this.cancelTimer("timeout");
      this.setTimer(
        "resend",
        this.random.uniform(this.config.retryBackoffMs / 2, this.config.retryBackoffMs),
      );
    }
  }

  override onTimer(name: string): void {
    if (name === "next") this.startNext();
    else if (name === "timeout" || name === "resend") this.attempt();
  }

  private startNext(): void {
    const op = this.config.nextOp(this);
    if (op === undefined) {
      this.durable.done = true;
      return;
    }
    const input: Versioned = { version: op.f === "write" ? op.version : 0 };
    const historyOp = this.config.history.invoke(this.id, op.f, op.key, input, this.sim.now);
    this.volatile.inFlight = { op, historyOp, requestId: `${this.id}:${historyOp}`, attempts: 0 };
    this.attempt();
  }

  private attempt(): void {
    const inFlight = this.volatile.inFlight;
    if (inFlight === undefined) return;
    if (inFlight.attempts >= this.config.maxAttempts) {
      // A write we gave up on may still be applied later: its outcome is unknown (info).
      this.finish(inFlight.op.f === "write" ? "info" : "fail", undefined);
      return;
    }
    if (inFlight.attempts > 0) this.durable.retries++;
    inFlight.attempts++;
    this.durable.requestsSent++;
    const { op, requestId } = inFlight;
    this.send(
      this.config.router,
      op.f === "write"
        ? {
            type: "Put",
            requestId,
            client: this.id,
            key: op.key,
            value: op.value,
            version: op.version,
          }
        : { type: "Get", requestId, client: this.id, key: op.key },
    );
    this.setTimer("timeout", this.config.timeoutMs);
  }

  private finish(outcome: "ok" | "info" | "fail", output: Versioned | undefined): void {
    const inFlight = this.volatile.inFlight;
    if (inFlight === undefined) return;
    this.config.history.complete(
      inFlight.historyOp,
      outcome,
      output ?? { version: -1 },
      this.sim.now,
    );
    this.volatile.inFlight = undefined;
    this.durable.operationsDone++;
    this.cancelTimer("timeout");
    this.cancelTimer("resend");
    this.setTimer("next", this.random.uniform(0, this.config.pauseMsMax));
  }
}
