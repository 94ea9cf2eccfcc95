/**
 * Another client of the stock service, reading the stock of some items every `READ_EVERY_MS`
 * while sagas run. What it reads is what any other application would see between a saga's
 * steps: a saga commits each step at once, so there is no isolation between sagas and readers.
 *
 * State: the reads it got back. It never crashes here (the fault plan leaves it out); a lost
 * answer is simply no read.
 */

import { assert } from "../../shared/assert.js";
import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import type { SagaMessage } from "./messages.js";

export const READ_EVERY_MS = 5;

export interface StockRead {
  readonly key: string;
  readonly value: number;
  /** The stock service's log position the value reflects: every change up to it, none after. */
  readonly lsn: number;
  readonly atMs: number;
}

export class Reader extends SimNode<SagaMessage, null, { reads: StockRead[]; next: number }> {
  readonly keys: readonly string[];
  readonly untilMs: number;

  constructor(id: string, net: Network<SagaMessage>, keys: readonly string[], untilMs: number) {
    super(id, net, null);
    this.keys = keys;
    this.untilMs = untilMs;
  }

  protected initialVolatile() {
    return { reads: [], next: 0 };
  }

  reads(): readonly StockRead[] {
    return this.volatile.reads;
  }

  protected override onStart(): void {
    this.setTimer("read", 0);
  }

  override onTimer(): void {
    if (this.sim.now > this.untilMs) return;
    for (const key of this.keys)
      this.send("stock", { type: "Read", requestId: `r${++this.volatile.next}`, key });
    this.setTimer("read", READ_EVERY_MS);
  }

  onMessage(_from: string, msg: SagaMessage): void {
    assert(msg.type === "ReadResult", `${this.id} got ${msg.type}`);
    this.volatile.reads.push({ key: msg.key, value: msg.value, lsn: msg.lsn, atMs: this.sim.now });
  }
}
