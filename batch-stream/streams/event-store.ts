/**
 * Event sourcing, DDIA ch. 11, "Event Sourcing": ticket bookings for one show of fixed capacity.
 * The application's state (seats held per user, seats left) is never written directly: a
 * command is validated against the current state and, if it passes, becomes an immutable event
 * appended to the event log; the state is derived by applying the events in order.
 *
 * - "Commands and events": "When a request from a user first arrives, it is initially a command:
 *   at this point it may still fail, for example because some integrity condition is violated. ...
 *   If the validation is successful and the command is accepted, it becomes an event, which is
 *   durable and immutable." Booking more seats than are left, or cancelling more than one holds,
 *   is rejected and leaves no event.
 * - "Deriving current state from the event log": replaying the log from the start gives the state;
 *   a snapshot of the state at some offset plus the events after it gives the same state.
 * - Log compaction does not apply: the events describe actions (book 2, book 3), not the full new
 *   row, so keeping only the latest event per user loses the earlier ones' effect ("later events
 *   typically do not override prior events, and so you need the full history of events to
 *   reconstruct the final state. Log compaction is not possible in the same way").
 * Left out: concurrency control between validations (one writer validates here, in log order), as
 * the book discusses under "Concurrency control".
 */

import { plural } from "../../shared/words.js";
import { Log } from "./log.js";

export type Command =
  | { readonly kind: "book"; readonly user: string; readonly seats: number }
  | { readonly kind: "cancel"; readonly user: string; readonly seats: number };

export type Event =
  | { readonly kind: "SeatsBooked"; readonly user: string; readonly seats: number }
  | { readonly kind: "BookingCancelled"; readonly user: string; readonly seats: number };

export interface ShowState {
  readonly capacity: number;
  /** user → seats held (users holding none are absent). */
  readonly held: ReadonlyMap<string, number>;
  readonly left: number;
}

export function emptyShow(capacity: number): ShowState {
  return { capacity, held: new Map(), left: capacity };
}

/** The pure fold of event sourcing: state' = apply(state, event). Never fails: events are facts. */
export function applyEvent(state: ShowState, event: Event): ShowState {
  const held = new Map(state.held);
  const before = held.get(event.user) ?? 0;
  const delta = event.kind === "SeatsBooked" ? event.seats : -event.seats;
  const after = before + delta;
  if (after === 0) held.delete(event.user);
  else held.set(event.user, after);
  return { capacity: state.capacity, held, left: state.left - delta };
}

/** Validation: a command becomes an event, or is rejected with the reason. */
export function decide(
  state: ShowState,
  command: Command,
): { ok: true; event: Event } | { ok: false; reason: string } {
  if (command.kind === "book") {
    if (command.seats > state.left)
      return {
        ok: false,
        reason: state.left === 0 ? "no seats left" : `only ${plural(state.left, "seat")} left`,
      };
    return { ok: true, event: { kind: "SeatsBooked", user: command.user, seats: command.seats } };
  }
  const holds = state.held.get(command.user) ?? 0;
  if (command.seats > holds) return { ok: false, reason: `${command.user} holds ${holds}` };
  return {
    ok: true,
    event: { kind: "BookingCancelled", user: command.user, seats: command.seats },
  };
}

export function replay(capacity: number, events: readonly Event[], from?: ShowState): ShowState {
  let state = from ?? emptyShow(capacity);
  for (const e of events) state = applyEvent(state, e);
  return state;
}

export class EventStore {
  readonly log = new Log<Event>();
  /** The live state, kept up to date as events are appended. */
  state: ShowState;
  snapshotAt: { offset: number; state: ShowState } | undefined;

  constructor(readonly capacity: number) {
    this.state = emptyShow(capacity);
  }

  handle(
    command: Command,
  ): { ok: true; event: Event; offset: number } | { ok: false; reason: string } {
    const decision = decide(this.state, command);
    if (!decision.ok) return decision;
    const offset = this.log.append(decision.event);
    this.state = applyEvent(this.state, decision.event);
    return { ...decision, offset };
  }

  /** Save the state as of now, with the offset of the first event it does not include. */
  takeSnapshot(): void {
    this.snapshotAt = { offset: this.log.endOffset, state: this.state };
  }
}

export function sameState(a: ShowState, b: ShowState): boolean {
  if (a.left !== b.left || a.held.size !== b.held.size) return false;
  for (const [user, seats] of a.held) if (b.held.get(user) !== seats) return false;
  return true;
}

export function describeState(s: ShowState): string {
  const held = [...s.held].sort(([a], [b]) => (a < b ? -1 : 1));
  const list = held.length === 0 ? "no seats held" : held.map(([u, n]) => `${u} ${n}`).join(", ");
  return `${list}; ${s.left} of ${s.capacity} left`;
}
