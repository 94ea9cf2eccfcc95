/**
 * Event sourcing (DDIA ch. 11, "Event Sourcing"): commands validated into events or rejected,
 * state rebuilt by replay, a snapshot plus the tail, and compaction by key shown to break an
 * event log (it works for CDC's full rows, not for events that describe actions).
 */
import { describe, expect, it } from "vitest";
import {
  describeState,
  type Event,
  EventStore,
  replay,
  sameState,
} from "../../../batch-stream/streams/event-store.js";
import { Log } from "../../../batch-stream/streams/log.js";
import { ticketCommands } from "../../../batch-stream/streams/workloads.js";
import { Random } from "../../../shared/random.js";

describe("ticket store, worked by hand", () => {
  it("a show of 5: bookings past capacity and cancellations of seats not held are rejected and leave no event", () => {
    const store = new EventStore(5);
    expect(store.handle({ kind: "book", user: "ann", seats: 3 })).toMatchObject({
      ok: true,
      offset: 0,
    });
    expect(store.handle({ kind: "book", user: "ben", seats: 3 })).toEqual({
      ok: false,
      reason: "only 2 seats left",
    });
    expect(store.handle({ kind: "cancel", user: "ben", seats: 1 })).toEqual({
      ok: false,
      reason: "ben holds 0",
    });
    expect(store.handle({ kind: "book", user: "ben", seats: 2 })).toMatchObject({
      ok: true,
      offset: 1,
    });
    expect(store.handle({ kind: "cancel", user: "ann", seats: 2 })).toMatchObject({
      ok: true,
      offset: 2,
    });
    expect(store.log.size).toBe(3);
    expect(describeState(store.state)).toBe("ann 1, ben 2; 2 of 5 left");
    expect(
      sameState(
        replay(
          5,
          store.log.all().map((r) => r.value),
        ),
        store.state,
      ),
    ).toBe(true);
  });

  it("compacting by user keeps ann's cancellation and loses her booking: the replay says ann holds -2", () => {
    const events: Event[] = [
      { kind: "SeatsBooked", user: "ann", seats: 3 },
      { kind: "SeatsBooked", user: "ben", seats: 2 },
      { kind: "BookingCancelled", user: "ann", seats: 2 },
    ];
    const log = new Log<Event>();
    for (const e of events) log.append(e);
    log.compact((e) => e.user);
    const compacted = replay(
      5,
      log.all().map((r) => r.value),
    );
    expect(describeState(compacted)).toBe("ann -2, ben 2; 5 of 5 left");
    expect(sameState(compacted, replay(5, events))).toBe(false);
  });
});

describe("ticket store over seeds", () => {
  it("replay equals live state, snapshot plus tail equals full replay, compaction by user is caught", () => {
    let compactionCaught = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = new Random(seed);
      const capacity = r.int(1, 20);
      const commands = ticketCommands(r.fork("commands"), r.int(1, 60));
      const store = new EventStore(capacity);
      const snapshotAfter = r.int(0, commands.length);
      commands.forEach((c, i) => {
        if (i === snapshotAfter) store.takeSnapshot();
        store.handle(c);
        expect(store.state.left, `seed ${seed}`).toBeGreaterThanOrEqual(0);
      });
      const events = store.log.all().map((x) => x.value);
      expect(sameState(replay(capacity, events), store.state), `seed ${seed}`).toBe(true);
      const snap = store.snapshotAt;
      if (snap !== undefined) {
        const tail = store.log.readFrom(snap.offset).map((x) => x.value);
        expect(sameState(replay(capacity, tail, snap.state), store.state), `seed ${seed}`).toBe(
          true,
        );
      }
      const log = new Log<Event>();
      for (const e of events) log.append(e);
      const { before, after } = log.compact((e) => e.user);
      const fromCompacted = replay(
        capacity,
        log.all().map((x) => x.value),
      );
      if (!sameState(fromCompacted, store.state)) compactionCaught++;
      // Compaction that removed nothing cannot change the replay.
      if (before === after) expect(sameState(fromCompacted, store.state)).toBe(true);
    }
    expect(compactionCaught).toBeGreaterThan(100);
  });
});
