/**
 * Databases and streams (DDIA ch. 11, "Databases and Streams"), told in four parts:
 *
 * 1. Dual writes (figure 11-4, "Keeping Systems in Sync"): two clients write the same key to the
 *    database and to the search index, in different orders; the two disagree for good. The same
 *    writes through change data capture cannot.
 * 2. Change data capture: a table's log streamed into a search index and a cache that lag behind and
 *    catch up; the cache's consumer crashes and restarts from its committed offset, applying some
 *    records twice, which is harmless because a change carries the whole new row; a second index
 *    is started from a snapshot and the log position the snapshot corresponds to ("Initial
 *    snapshot"). Broken variants: a restart from the end of the log, and a snapshot read without
 *    its position.
 * 3. Log compaction: the latest record per key, tombstones for deletes; a new cache built from the
 *    compacted log equals the database.
 * 4. Event sourcing: commands validated into events, the state rebuilt by replay, a snapshot plus
 *    the events after it; and compaction by key, which works for the CDC log, breaks an event log.
 *
 * One process, no network: the consumers' lag and crashes are drawn from the seed, and what the
 * lesson needs (offsets, order, idempotence) is in the log, not in the messages.
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { REF } from "../refs.js";
import { Cache, type Derived, rowDifferences, SearchIndex } from "../streams/cdc.js";
import {
  type CdcOptions,
  type CdcRun,
  dualWrites,
  FIGURE_11_4,
  rebuild,
  runCdc,
  withChangeDataCapture,
} from "../streams/cdc-run.js";
import {
  type Command,
  describeState,
  type Event,
  EventStore,
  replay,
  type ShowState,
  sameState,
} from "../streams/event-store.js";
import { Log } from "../streams/log.js";
import { ticketCommands } from "../streams/workloads.js";

interface Options {
  writes: number;
  keys: number;
  crash: number;
  commitEvery: number;
  commands: number;
  capacity: number;
}

const ROWS_SHOWN = 12;
const CRASHES_NARRATED = 3;

/** Whether a derived system holds exactly the database's rows; the first differences if not. */
function compare(
  run: { database: { entries(): [string, string][] } },
  derived: Derived,
  name: string,
) {
  const differences = rowDifferences(run.database.entries(), derived.entries(), ["database", name]);
  return {
    held: differences.length === 0,
    ...(differences.length > 0 ? { detail: differences.slice(0, 3).join("; ") } : {}),
  };
}

/** A search index must also have exactly the postings an index built from the rows would. */
function sameIndex(run: CdcRun, index: SearchIndex): boolean {
  const fresh = new SearchIndex();
  for (const [key, value] of run.database.entries()) fresh.applyChange({ key, value });
  return fresh.postingList().join("|") === index.postingList().join("|");
}

// ---------------------------------------------------------------- 1. dual writes

function dualWritesPart(trace: Trace): void {
  trace.section("Dual writes: the race of figure 11-4", REF.keepingInSync);
  trace.table(
    "Two clients each write key X to the database, then to the search index",
    ["step", "client", "writes", "to"],
    FIGURE_11_4.map((s, i) => [i + 1, s.client, `X = ${s.value}`, s.system]),
  );
  const dual = dualWrites(FIGURE_11_4);
  trace.note(
    `The database ends with X = ${dual.database.get("X")}, the index with X = ${dual.index.entries()[0]?.[1]}: each system took the two writes in a different order, and no later read or retry will notice. As the book puts it, the two systems are now inconsistent for good, although no error occurred.`,
    { ref: REF.keepingInSync },
  );
  trace.check(
    "dual writes: the search index equals the database",
    compare(dual, dual.index, "index").held,
    {
      expected: false,
      ref: REF.keepingInSync,
      ...compare(dual, dual.index, "index"),
    },
  );
  const cdc = withChangeDataCapture(FIGURE_11_4);
  trace.note(
    "The fix: the clients write only to the database; the index applies the database's own log, in the log's order, so it makes the database's decision of which write came last its own.",
    { ref: REF.changeDataCapture },
  );
  trace.check(
    "change data capture: the search index equals the database",
    compare(cdc, cdc.index, "index").held,
    {
      ref: REF.changeDataCapture,
      ...compare(cdc, cdc.index, "index"),
    },
  );
}

// ---------------------------------------------------------------- 2. change data capture

function cdcPart(trace: Trace, seed: number, options: Options): CdcRun {
  trace.section(
    "Change data capture: a search index and a cache follow the database's log",
    REF.changeDataCapture,
  );
  const cdcOptions: CdcOptions = {
    writes: options.writes,
    keys: options.keys,
    crashes: options.crash,
    commitEvery: options.commitEvery,
  };
  const run = runCdc(new Random(seed).fork("cdc"), cdcOptions);
  trace.note(
    options.writes === 0
      ? "No writes in this run: the database's log stays empty, and so do the index and the cache."
      : `${plural(options.writes, "write")} (${plural(run.deletes, "delete")}) on ${plural(options.keys, "key")}, each a product's description; each write appends the new row, or a deletion, to the database's log, as its replication log would. Two consumers follow the log: one keeps a full-text index, one a cache. After each write each reads 0 to 2 records, so it ${run.lagMax === 0 ? "could fall behind (this time the cache never did)" : `falls behind (the cache by up to ${plural(run.lagMax, "record")})`} and catches up; each commits its offset ${options.commitEvery === 1 ? "after every record" : `every ${plural(options.commitEvery, "record")}`}.`,
    { ref: REF.changeDataCapture },
  );
  for (const c of run.crashes.slice(0, CRASHES_NARRATED)) {
    const again = c.position - c.committed;
    const down = c.restartAfterWrite - c.afterWrite;
    trace.note(
      `After write ${c.afterWrite} the cache's consumer crashes at offset ${c.position}, losing its position in memory${down > 0 ? `; it is down while the database takes ${plural(down, "more write")}` : ""}. It restarts from its committed offset ${c.committed}, ${again === 0 ? "which is where it had got to: nothing is applied twice." : `so ${plural(again, "record")} ${again === 1 ? "is" : "are"} applied a second time: harmless, because each record is the key's whole new row, and writing it twice leaves what writing it once did.`}`,
      { ref: REF.idempotence },
    );
  }
  if (run.crashes.length > CRASHES_NARRATED)
    trace.note(
      `${plural(run.crashes.length - CRASHES_NARRATED, "more crash", "more crashes")} of the cache's consumer, each restarting from its committed offset in the same way.`,
      { ref: REF.idempotence },
    );
  if (options.writes > 0 && run.crashes.length < options.crash)
    trace.note(
      `${run.crashes.length === 0 ? "No crash" : `Only ${run.crashes.length} of the ${options.crash} crashes`} struck: a crash planned while the consumer was already down, or for the same write as another, is not one.`,
      { ref: REF.idempotence },
    );
  if (run.snapshot !== undefined) {
    const s = run.snapshot;
    trace.note(
      `A second index is added while the writes go on: it loads a consistent snapshot of the ${plural(s.rows, "row")}, taken at log offset ${s.offset}; ${s.loadedAt === s.offset ? "no write comes while it loads" : `by the time the load is done the log has reached offset ${s.loadedAt}`}, and the index then reads the log from offset ${s.offset}, the snapshot's own position.`,
      { ref: REF.initialSnapshot },
    );
  }
  trace.table(
    "Once the writes stop and every consumer has caught up",
    ["system", "rows", "equals the database"],
    [
      ["database", run.database.entries().length, ""],
      [
        "search index",
        run.index.entries().length,
        compare(run, run.index, "index").held ? "yes" : "no",
      ],
      ["cache", run.cache.entries().length, compare(run, run.cache, "cache").held ? "yes" : "no"],
      ...(run.lateIndex
        ? [
            [
              "index from the snapshot",
              run.lateIndex.entries().length,
              compare(run, run.lateIndex, "index").held ? "yes" : "no",
            ] as Cell[],
          ]
        : []),
    ],
  );
  if (options.writes === 0) {
    for (const [name, ref] of [
      ["the search index equals the database once it has caught up", REF.changeDataCapture],
      [
        "the cache, restarted from its committed offset after each crash, equals the database once it has caught up",
        REF.idempotence,
      ],
      [
        "the index built from a snapshot and the log after the snapshot's offset equals the database",
        REF.initialSnapshot,
      ],
    ] as const)
      trace.notExercised(name, "there were no writes", { ref });
    return run;
  }
  const index = compare(run, run.index, "index");
  trace.check(
    "the search index equals the database once it has caught up",
    index.held && sameIndex(run, run.index),
    {
      ref: REF.changeDataCapture,
      ...index,
    },
  );
  const crashName =
    "the cache, restarted from its committed offset after each crash, equals the database once it has caught up";
  const cacheResult = compare(run, run.cache, "cache");
  trace.check(crashName, cacheResult.held, {
    ref: REF.idempotence,
    ...cacheResult,
    ...(cacheResult.held
      ? {
          detail:
            run.crashes.length === 0
              ? "its consumer did not crash in this run"
              : run.reprocessed === 0
                ? "no record applied twice"
                : `${plural(run.reprocessed, "record")} applied twice, to no effect`,
        }
      : {}),
  });
  if (run.lateIndex !== undefined) {
    const late = compare(run, run.lateIndex, "index");
    trace.check(
      "the index built from a snapshot and the log after the snapshot's offset equals the database",
      late.held && sameIndex(run, run.lateIndex),
      { ref: REF.initialSnapshot, ...late },
    );
  }

  const broken = runCdc(new Random(seed).fork("cdc"), { ...cdcOptions, broken: true });
  const loadWrites = run.snapshot ? run.snapshot.loadedAt - run.snapshot.offset : 0;
  trace.note(
    `Broken variants, on the same writes: the crashed consumer resumes at the end of the log instead of at its committed offset (as a Kafka consumer does when it finds no committed offset, its offsets never committed or expired, and auto.offset.reset is left at its default, latest), and the snapshot's index reads the log from where it stood once the load was done${run.snapshot ? ` (${plural(loadWrites, "write")} after the snapshot)` : ""}, not from the snapshot's position.`,
  );
  const brokenCache = compare(broken, broken.cache, "cache");
  if (broken.crashes.length === 0 || broken.skipped === 0)
    trace.notExercised(
      "restarted at the end of the log: the cache equals the database once it has caught up",
      broken.crashes.length === 0
        ? "the cache's consumer did not crash in this run"
        : "the consumer had read to the end of the log when it crashed, and no write came while it was down: the restart skipped nothing",
      { ref: REF.consumerOffsets },
    );
  else
    trace.check(
      "restarted at the end of the log: the cache equals the database once it has caught up",
      brokenCache.held,
      {
        expected: false,
        ref: REF.consumerOffsets,
        ...brokenCache,
        ...(brokenCache.held
          ? {
              detail: `${plural(broken.skipped, "record")} skipped; this time the cache ended equal all the same`,
            }
          : {}),
      },
    );
  if (broken.lateIndex !== undefined && loadWrites === 0)
    trace.notExercised(
      "snapshot read without its log position: the index equals the database",
      "no write came while the snapshot loaded, so where the load ended is the snapshot's position",
      { ref: REF.initialSnapshot },
    );
  else if (broken.lateIndex !== undefined) {
    const late = compare(broken, broken.lateIndex, "index");
    trace.check(
      "snapshot read without its log position: the index equals the database",
      late.held && sameIndex(broken, broken.lateIndex),
      { expected: false, ref: REF.initialSnapshot, ...late },
    );
  }
  return run;
}

// ---------------------------------------------------------------- 3. log compaction

function compactionPart(trace: Trace, run: CdcRun, options: Options): void {
  trace.section("Log compaction: the latest record for each key", REF.logCompaction);
  const log = run.database.log;
  const tombstones = () => log.all().filter((r) => r.value.value === null).length;
  const { before, after } = log.compact((change) => change.key);
  trace.note(
    `The log had ${plural(before, "record")}; compaction keeps the latest for each key: ${plural(after, "record")}, ${plural(tombstones(), "tombstone")} among them (a deletion is kept as a record whose value is null, so that a consumer learns the key is gone). Offsets do not change. A new cache now reads the compacted log from its first record, with no snapshot to load: the log itself has become the snapshot.`,
    { ref: REF.logCompaction },
  );
  const fresh = rebuild(log, new Cache());
  if (options.writes === 0) {
    for (const name of [
      "the compacted log holds one record per key",
      "a cache built from the compacted log equals the database",
    ])
      trace.notExercised(name, "there were no writes", { ref: REF.logCompaction });
    return;
  }
  const keys = log.all().map((r) => r.value.key);
  trace.check("the compacted log holds one record per key", new Set(keys).size === keys.length, {
    ref: REF.logCompaction,
  });
  trace.check(
    "a cache built from the compacted log equals the database",
    compare(run, fresh, "cache").held,
    {
      ref: REF.logCompaction,
      ...compare(run, fresh, "cache"),
    },
  );
}

// ---------------------------------------------------------------- 4. event sourcing

function describeCommand(c: Command): string {
  return `${c.user}: ${c.kind} ${plural(c.seats, "seat")}`;
}

function describeEvent(e: Event): string {
  return `${e.kind} { ${e.user}, ${e.seats} }`;
}

/** Every prefix of the log keeps the show's invariants: never fewer than 0 seats left or held. */
export function prefixesValid(capacity: number, events: readonly Event[]): boolean {
  let state: ShowState = replay(capacity, []);
  for (const e of events) {
    state = replay(capacity, [e], state);
    if (state.left < 0 || [...state.held.values()].some((n) => n < 0)) return false;
  }
  return true;
}

function eventSourcingPart(trace: Trace, seed: number, options: Options): void {
  trace.section("Event sourcing: ticket bookings for one show", REF.eventSourcing);
  const commands = ticketCommands(new Random(seed).fork("commands"), options.commands);
  const store = new EventStore(options.capacity);
  const snapshotAfter = Math.ceil(options.commands / 2);
  const rows: Cell[][] = [];
  let rejected = 0;
  commands.forEach((command, i) => {
    const result = store.handle(command);
    if (!result.ok) rejected++;
    rows.push([
      i + 1,
      describeCommand(command),
      result.ok
        ? `offset ${result.offset}: ${describeEvent(result.event)}`
        : `rejected: ${result.reason}`,
    ]);
    if (i + 1 === snapshotAfter) store.takeSnapshot();
  });
  trace.note(
    `A show with ${plural(options.capacity, "seat")}. Users send commands; each is validated against the current state and either rejected or turned into an event appended to the log. A command is a request, and may still fail; once validated and accepted it becomes an event: a fact, durable and immutable.`,
    { ref: REF.commandsAndEvents },
  );
  trace.table(
    "Commands, and what they became",
    ["#", "command", "outcome"],
    rows.slice(0, ROWS_SHOWN),
    rows.length > ROWS_SHOWN ? `the first ${ROWS_SHOWN} of ${rows.length} commands` : undefined,
  );
  const events = store.log.all().map((r) => r.value);
  trace.note(
    `Live state: ${describeState(store.state)}. ${plural(rejected, "command")} rejected, ${plural(events.length, "event")} in the log.`,
    {
      level: "summary",
    },
  );
  const ref = REF.derivingState;
  if (events.length === 0) {
    for (const [name, checkRef] of [
      ["replaying the event log from the start gives the live state", ref],
      ["the snapshot plus the events after it gives the same state as a full replay", ref],
      [
        "no prefix of the event log overbooks the show or cancels seats not held",
        REF.commandsAndEvents,
      ],
    ] as const)
      trace.notExercised(name, "no command became an event", { ref: checkRef });
  } else {
    trace.check(
      "replaying the event log from the start gives the live state",
      sameState(replay(options.capacity, events), store.state),
      {
        ref,
      },
    );
    const snap = store.snapshotAt;
    if (snap !== undefined) {
      const tail = store.log.readFrom(snap.offset).map((r) => r.value);
      trace.note(
        `A snapshot was saved after command ${snapshotAfter}, at log offset ${snap.offset}: ${describeState(snap.state)}. ${tail.length === 0 ? "It is the live state: rebuilding from it needs no event from the log." : `Rebuilding from it needs only the ${plural(tail.length, "event")} after it.`}`,
        { ref },
      );
      trace.check(
        "the snapshot plus the events after it gives the same state as a full replay",
        sameState(replay(options.capacity, tail, snap.state), replay(options.capacity, events)),
        { ref },
      );
    }
    trace.check(
      "no prefix of the event log overbooks the show or cancels seats not held",
      prefixesValid(options.capacity, events),
      {
        ref: REF.commandsAndEvents,
      },
    );
  }

  // Compaction by key, the way the CDC log was compacted: the latest event per user.
  const compacted = new Log<Event>();
  for (const e of events) compacted.append(e);
  const { before, after } = compacted.compact((e) => e.user);
  const fromCompacted = replay(
    options.capacity,
    compacted.all().map((r) => r.value),
  );
  trace.note(
    `Broken variant: compact the event log by user, as the CDC log was compacted by key, keeping each user's latest event (${plural(before, "event")} ${before === 1 ? "becomes" : "become"} ${after}). An event describes an action${events[0] ? ` (${describeEvent(events[0])})` : ""}, not the user's whole new state, so the latest one does not replace those before it. Replaying the compacted log gives: ${describeState(fromCompacted)}.`,
    { ref },
  );
  if (before === after)
    trace.notExercised(
      "compacted by user: replaying the compacted event log gives the live state",
      "no user had two events, so compaction removed nothing",
      { ref },
    );
  else
    trace.check(
      "compacted by user: replaying the compacted event log gives the live state",
      sameState(fromCompacted, store.state),
      {
        expected: false,
        ref,
      },
    );
}

export const cdcAndEventSourcing: Scenario<Options> = {
  name: "cdc-and-event-sourcing",
  summary:
    "Dual writes race (figure 11-4); change data capture into a search index and a cache, with a consumer crash and an initial snapshot; log compaction; event sourcing: commands validated into events, replay, snapshot, and why an event log is not compacted by key",
  options: [
    option(
      "--writes <count>",
      "writes to the database in the change data capture run",
      integer(0, 5_000),
      24,
    ),
    option("--keys <count>", "keys those writes choose from", integer(1, 100), 5),
    option(
      "--crash <count>",
      "crashes of the cache's consumer during the writes",
      integer(0, 20),
      1,
    ),
    option(
      "--commit-every <records>",
      "records a consumer applies between offset commits",
      integer(1, 100),
      5,
    ),
    option(
      "--commands <count>",
      "commands sent to the event-sourced ticket store",
      integer(0, 2_000),
      10,
    ),
    option("--capacity <seats>", "seats of the show", integer(1, 1_000), 8),
  ],
  run: ({ trace, seed }, options) => {
    dualWritesPart(trace);
    const run = cdcPart(trace, seed, options);
    compactionPart(trace, run, options);
    eventSourcingPart(trace, seed, options);
  },
};
