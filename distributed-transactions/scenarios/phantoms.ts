/**
 * Phantoms (DDIA ch. 7, Write Skew and Phantoms: Phantoms causing write skew): a meeting-room
 * booking system. Alice and Bob each check that no booking of room 123 overlaps noon to 1 pm and,
 * finding none, insert one. The check reads rows that do not exist yet: there is no row for a
 * lock to hold, so under snapshot isolation both bookings commit. The fixes: serializable
 * snapshot isolation (PostgreSQL's serializable) detects the two rw-antidependencies and aborts
 * one; two-phase locking's predicate lock on the check's condition makes one insert wait and the
 * other deadlock; and materializing conflicts (DDIA ch. 7, Materializing conflicts) gives the lock
 * a row: a table of time slots, whose noon row each transaction locks FOR UPDATE before checking.
 *
 * The rows: `test (id, value)` holds room 123's bookings, value the hour a booking starts (each is
 * an hour long); booking 1 is at 10:00. `select * from test where value = 12` is the book's
 * `select count(*) from bookings where room_id = 123 and end_time > noon and start_time < 1 pm`.
 * Alice's booking will be id 2 and Bob's id 3. For materialized conflicts, row 112 stands for the
 * time-slot table's row "room 123, noon" (its value unused, 0).
 *
 * The history: rw-register has no predicates, so a check that did not return booking 2 or 3 is
 * recorded as reading it absent (`[:r 2 nil]`): each of them is only ever a noon booking, so a
 * check that missed it saw it absent, and the checker can see what the check depended on.
 */

import type { Scenario } from "../../shared/cli.js";
import type { Trace } from "../../shared/trace.js";
import { exportHistory, exportHistoryOption, reportJudgement } from "../isolation/report.js";
import { type Queued, runTitle, Session } from "../isolation/session.js";
import { REF } from "../refs.js";
import type { IsolationLevel, Result, Statement } from "../store/statements.js";

interface Options {
  exportHistory: string;
}

const NOON = 12;
const SLOT_ROW = 112;
const USERS = ["alice", "bob"] as const;
type User = (typeof USERS)[number];
const BOOKING: Record<User, number> = { alice: 2, bob: 3 };
const NAMES: Record<string, string> = { alice: "Alice", bob: "Bob", observer: "an observer" };
const name = (conn: string) => NAMES[conn] ?? conn;

const check: Statement = { kind: "select", where: { kind: "valueEquals", value: NOON } };
const book = (user: User): Statement => ({
  kind: "insert",
  row: { id: BOOKING[user], value: NOON },
});
const lockSlot: Statement = {
  kind: "select",
  where: { kind: "id", ids: [SLOT_ROW] },
  forUpdate: true,
};
const ABSENT = { absent: [BOOKING.alice, BOOKING.bob] };

export interface Variant {
  readonly title: string;
  readonly level: IsolationLevel;
  readonly materialized: boolean;
  readonly broken: boolean;
  readonly ref: string;
  readonly narration: string;
}

export const VARIANTS: readonly Variant[] = [
  {
    title: "Snapshot isolation",
    level: "snapshot isolation",
    materialized: false,
    broken: true,
    ref: REF.phantoms,
    narration:
      "Each check finds no booking at noon in its snapshot, and each inserts a new row: there was no row to conflict on, so both commit.",
  },
  {
    title: "Serializable snapshot isolation",
    level: "serializable snapshot isolation",
    materialized: false,
    broken: false,
    ref: REF.ssi,
    narration:
      "Each check's scan leaves a SIREAD lock on the table; each insert into it is then an rw-antidependency from the other's read: two of them, and SSI aborts one with 40001.",
  },
  {
    title: "Two-phase locking with predicate locks",
    level: "two-phase locking",
    materialized: false,
    broken: false,
    ref: REF.predicateLocks,
    narration:
      "Each check takes a shared predicate lock on `value = 12`, which covers rows that do not exist yet; each insert of a matching row needs it exclusively: one waits, the other closes a deadlock and is aborted.",
  },
  {
    title: "Materializing conflicts",
    level: "read committed",
    materialized: true,
    broken: false,
    ref: REF.materializing,
    narration:
      "Each first locks the time slot's row (`select ... for update`): Bob waits for Alice; when she commits, his check, a new statement under read committed, sees her booking.",
  },
];

function count(result: Result | Queued | undefined): number | null {
  return result?.status === "ok" && result.rows ? result.rows.length : null;
}

const RETRYABLE = new Set(["40001", "40P01"]);

export function bookRoom(trace: Trace, variant: Variant, narrate = true) {
  const s = new Session(
    trace,
    [{ id: 1, value: 10 }, ...(variant.materialized ? [{ id: SLOT_ROW, value: 0 }] : [])],
    {},
    name,
    narrate,
  );
  for (const u of USERS) s.begin(u, variant.level);
  if (variant.materialized) for (const u of USERS) s.exec(u, lockSlot);
  // A client whose first statement waits sends nothing more until it returns.
  const ready = USERS.filter((u) => !s.isBlocked(u));
  const found = new Map<User, number | null>();
  for (const u of ready) found.set(u, count(s.exec(u, check, ABSENT)));
  for (const u of ready) if (found.get(u) === 0) s.exec(u, book(u));
  for (const u of ready) s.commit(u);
  for (const u of USERS.filter((x) => !ready.includes(x))) {
    const n = count(s.exec(u, check, ABSENT));
    if (n === 0) s.exec(u, book(u));
    s.commit(u);
  }
  // A serialization failure or deadlock victim retries, as its client should.
  for (const u of USERS) {
    const ending = s.endings.findLast((e) => e.conn === u);
    if (!ending || ending.outcome === "ok" || !RETRYABLE.has(ending.code)) continue;
    s.begin(u, variant.level);
    if (variant.materialized) s.exec(u, lockSlot);
    if (count(s.exec(u, check, ABSENT)) === 0) s.exec(u, book(u));
    s.commit(u);
  }
  s.begin("observer", "read committed");
  const atNoon = count(s.exec("observer", check, ABSENT));
  s.commit("observer");
  return { session: s, atNoon };
}

export const phantoms: Scenario<Options> = {
  name: "phantoms",
  summary:
    "The meeting-room booking: under snapshot isolation two overlapping bookings both commit (a phantom causing write skew); SSI, predicate locks (two-phase locking) and materialized conflicts prevent it",
  options: [exportHistoryOption],
  run: ({ trace }, options) => {
    trace.section("Phantoms: booking room 123 from noon to 1 pm", REF.phantoms);
    trace.note(
      "Alice and Bob each run: select * from test where value = 12; and, if it returns nothing, insert their booking (ids 2 and 3, value 12). Booking 1, at 10:00, is not in the way.",
    );
    trace.note(
      "How the checker sees a check: its history (Elle's rw-register form) has reads of keys, not of predicates, so a check that did not return booking 2 or 3 is recorded as reading that row absent (nil). That is what the check saw: rows 2 and 3 are only ever written as noon bookings, so a check that missed one saw no row there. A cycle through these reads is named G2-item; over the predicate itself, Adya calls it G2 (an anti-dependency cycle with a predicate read).",
    );
    for (const variant of VARIANTS) {
      trace.section(runTitle(variant.title, variant.level), variant.ref);
      trace.note(variant.narration);
      const { session, atNoon } = bookRoom(trace, variant);
      trace.note(`Bookings of room 123 at noon at the end: ${atNoon ?? "unknown"}.`, {
        level: "summary",
      });
      const judgement = session.judge();
      reportJudgement(trace, "this run's history", judgement);
      const expectation = { expected: !variant.broken, ref: variant.ref };
      trace.check(
        `${variant.title}: the room is not double-booked`,
        atNoon !== null && atNoon <= 1,
        expectation,
      );
      trace.check(
        `${variant.title}: the isolation checker finds the history serializable`,
        judgement.result.models.serializable,
        expectation,
      );
      if (variant.broken)
        exportHistory(trace, options.exportHistory, session, "snapshot isolation's run");
    }
    trace.note(
      "Each insert changed what the other's check would have returned: the book calls that effect a phantom. A snapshot keeps a read-only transaction from seeing phantoms; in a transaction that decides on what it read and then writes, they cause write skew, as here. The book prefers serializable isolation, and keeps materializing conflicts for when nothing else is possible: it is error-prone, and it lets concurrency control leak into the application's data model (DDIA ch. 7).",
      { level: "summary", ref: REF.phantoms },
    );
  },
};
