/**
 * The base class of a simulated process. A node reacts to two kinds of input, a message
 * (`onMessage`) and a timer (`onTimer`), and acts only through a narrow context: `send`,
 * `setTimer`, `cancelTimer`, `note`, `now`, and its own `random` stream.
 *
 * State is split the way a real server's is (DDIA chapter 8, "System Model and Reality": the
 * crash-recovery model):
 * - `durable`: what the node has written to disk; it survives a crash. Writes to it are
 *   synchronous here (as if every write were fsync'd), which is the assumption the book's
 *   protocols make when they say "persisted".
 * - `volatile`: everything in memory; `crash()` loses it, and `recover()` starts again from
 *   `initialVolatile()` and the durable state.
 * A crashed node receives nothing, its timers are gone, and messages in flight to it are lost.
 */

import { AssertionFailed } from "./assert.js";
import { PhysicalClock } from "./clocks.js";
import type { Message, Network } from "./network.js";
import type { Random } from "./random.js";
import type { ScheduledEvent, Simulation } from "./simulation.js";
import type { BookRef, NoteLevel } from "./trace.js";

export abstract class SimNode<M extends Message = Message, D = unknown, V = unknown> {
  readonly id: string;
  readonly sim: Simulation;
  readonly net: Network<M>;
  readonly random: Random;
  readonly clock = new PhysicalClock();
  durable: D;
  volatile!: V;
  crashed = false;
  /** Bumped at every crash: messages and timers of an earlier incarnation are never delivered. */
  incarnation = 0;
  private readonly timers = new Map<string, ScheduledEvent>();

  constructor(id: string, net: Network<M>, durable: D) {
    this.id = id;
    this.net = net;
    this.sim = net.sim;
    this.random = net.sim.random.fork(`node/${id}`);
    this.durable = durable;
  }

  /** The in-memory state a node has when it starts or restarts. */
  protected abstract initialVolatile(): V;

  abstract onMessage(from: string, msg: M): void;

  onTimer(_name: string): void {}

  /** Called once when the node is added to the network. */
  protected onStart(): void {}

  /** Called after a crash, once the volatile state is fresh again; rebuild from `durable`. */
  protected onRecover(): void {}

  /** Called by the network when the node is added. */
  start(): void {
    this.volatile = this.initialVolatile();
    this.onStart();
  }

  send(to: string, msg: M): void {
    if (this.crashed) throw new AssertionFailed(`${this.id} sent ${msg.type} while crashed`);
    this.net.send(this.id, to, msg);
  }

  /** (Re)arm the timer called `name` to fire after `delayMs`; an armed timer of that name is replaced. */
  setTimer(name: string, delayMs: number): void {
    this.cancelTimer(name);
    const incarnation = this.incarnation;
    const event = this.sim.schedule(delayMs, () => {
      if (this.crashed || this.incarnation !== incarnation) return;
      this.timers.delete(name);
      const trace = this.sim.trace;
      if (trace.messages) trace.emit({ kind: "timer", time: this.sim.now, node: this.id, name });
      this.onTimer(name);
    });
    this.timers.set(name, event);
  }

  cancelTimer(name: string): void {
    const event = this.timers.get(name);
    if (event !== undefined) {
      event.cancelled = true;
      this.timers.delete(name);
    }
  }

  hasTimer(name: string): boolean {
    return this.timers.has(name);
  }

  /** This node's physical clock: simulated time as the node's skewed clock reads it. */
  now(): number {
    return this.clock.read(this.sim.now);
  }

  /** Narrate something this node did or saw. */
  note(text: string, options: { ref?: BookRef; level?: NoteLevel } = {}): void {
    this.sim.trace.note(text, { ...options, node: this.id, time: this.sim.now });
  }

  /** Called by the network: deliver one message. */
  receive(from: string, msg: M): void {
    if (this.crashed) return;
    this.onMessage(from, msg);
  }

  /** Crash: timers, the inbox and in-flight messages to this node, and the volatile state are lost. */
  crash(): void {
    if (this.crashed) return;
    this.crashed = true;
    this.incarnation++;
    for (const event of this.timers.values()) event.cancelled = true;
    this.timers.clear();
    this.volatile = this.initialVolatile();
    this.sim.trace.emit({ kind: "crash", time: this.sim.now, node: this.id });
  }

  /** Restart from durable state. */
  recover(): void {
    if (!this.crashed) return;
    this.crashed = false;
    this.volatile = this.initialVolatile();
    this.sim.trace.emit({ kind: "recover", time: this.sim.now, node: this.id });
    this.onRecover();
  }
}
