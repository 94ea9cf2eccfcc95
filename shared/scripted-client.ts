/**
 * A client that runs a script of reads and writes against a store, one operation at a time, and
 * records each in a history for the checkers (DDIA ch. 9, "Linearizability": the checkers judge
 * what clients saw, never what the store believes). Between operations it pauses for the script's
 * think time; each operation is given `timeoutMs` to complete, and its messages are sent again
 * every `retryMs` until then. An operation that times out is recorded as a write of unknown
 * outcome (`info`: it may have reached some replica, and may yet be read) or a failed read (`fail`:
 * it returned nothing, and constrains nothing).
 *
 * What a store's client adds is its protocol: `newOperation` gives the state of a new operation, `resend`
 * sends (or sends again) what the operation is waiting on, and `complete` ends it.
 */

import { type CheckedOp, recordCall, recordReturn } from "./check/linearizability.js";
import type { Message, Network } from "./network.js";
import { SimNode } from "./node.js";

/** One operation of a client's script (eventual-consistency/workload.ts's PlannedOperation fits). */
export interface ScriptedOperation {
  readonly f: "read" | "write";
  readonly key: string;
  /** The value a write writes (unique per key); null for a read. */
  readonly value: string | null;
  /** Pause before the operation, after the previous one ended (or after `begin`). */
  readonly thinkMs: number;
}

export interface ScriptedClientConfig {
  script: readonly ScriptedOperation[];
  /** The history every client of the run records into, in the checkers' terms. */
  history: CheckedOp[];
  timeoutMs: number;
  retryMs: number;
}

/** The operation under way: its history entry, its line of the script, and the protocol's state. */
export type InFlight<X> = { op: CheckedOp; planned: ScriptedOperation } & X;

export abstract class ScriptedClient<
  M extends Message,
  C extends ScriptedClientConfig,
  X,
> extends SimNode<M, null, null> {
  protected current: InFlight<X> | undefined;
  private next = 0;
  done = false;

  constructor(
    id: string,
    net: Network<M>,
    readonly config: C,
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  /** Start the script. */
  begin(): void {
    this.pause();
  }

  /** The protocol's state for a new operation, the script's `index`-th; nothing is sent yet. */
  protected abstract newOperation(planned: ScriptedOperation, index: number): X;

  /** Send what the current operation waits on (again, after `retryMs`), and set the retry timer. */
  protected abstract resend(): void;

  override onTimer(name: string): void {
    if (name === "think") this.invoke();
    else if (name === "retry") this.resend();
    else if (name === "timeout" && this.current !== undefined)
      this.complete(this.current.planned.f === "write" ? "info" : "fail", null);
  }

  /** End the current operation: record its outcome (and a read's value), then pause for the next. */
  protected complete(outcome: "ok" | "fail" | "info", value: string | null): void {
    const c = this.current;
    if (c === undefined) return;
    if (outcome !== "info") recordReturn(c.op, outcome, this.sim.now, value);
    this.cancelTimer("retry");
    this.cancelTimer("timeout");
    this.current = undefined;
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

  private invoke(): void {
    const index = this.next++;
    const planned = this.config.script[index] as ScriptedOperation;
    const op = recordCall(this.config.history, {
      process: this.id,
      f: planned.f,
      key: planned.key,
      input: planned.f === "write" ? planned.value : null,
      callTime: this.sim.now,
    });
    this.current = { op, planned, ...this.newOperation(planned, index) };
    this.setTimer("timeout", this.config.timeoutMs);
    this.resend();
  }
}
