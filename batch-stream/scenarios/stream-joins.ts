/**
 * Stream joins (DDIA ch. 11, "Stream Joins"), the book's three kinds, one after the other:
 *
 * 1. Stream-stream (window join): searches and clicks on their results, joined when the click
 *    comes within an hour; both sides buffered by session id, because either may arrive first;
 *    "no click" emitted for a search once its hour has passed. Checked against the same join
 *    computed as a batch job over the whole input; a broken variant that buffers only the
 *    searches loses the clicks that arrived before their search.
 * 2. Stream-table (enrichment): page views joined with the user's plan from a table kept current
 *    by the profile changelog, as of processing time (Kafka Streams' KStream-KTable join) and as
 *    of event time against versioned profiles (Flink's temporal join): "Time-dependence of joins".
 * 3. Table-table (materialized view maintenance): the Twitter home timeline cache kept from the
 *    tweet and follow streams, checked after every event against the join run from scratch, with
 *    two broken variants. Then a fault: the processor crashes and loses its tables, and rebuilds
 *    them from their changelog ("Rebuilding state after a failure"); a restart with empty tables
 *    is the broken variant.
 *
 * One process on its own: the lesson is in the operators' state and in the order of arrival, which
 * the seed fixes; a network would add nothing that the delays here do not already show.
 */

import { assert } from "../../shared/assert.js";
import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { plural } from "../../shared/words.js";
import { REF } from "../refs.js";
import {
  type ActivityOrChange,
  batchAsOfJoin,
  type Enriched,
  ProcessingTimeTableJoin,
  VersionedTableJoin,
} from "../streams/table-join.js";
import {
  changelogKey,
  type SocialEvent,
  SocialTables,
  TimelineCache,
  type TimelineVariant,
  timelineDifferences,
} from "../streams/timeline.js";
import {
  batchWindowJoin,
  type JoinOutput,
  pairKey,
  type SearchOrClick,
  WindowJoin,
} from "../streams/window-join.js";
import {
  activityAndProfiles,
  arrivalOrder,
  firstArrivals,
  MINUTE_MS,
  searchesAndClicks,
  socialEvents,
  timeOf,
} from "../streams/workloads.js";

interface Options {
  searches: number;
  activities: number;
  socialEvents: number;
  outOfOrder: number;
}

export const WINDOW_MS = 60 * MINUTE_MS;
const ROWS_SHOWN = 12;

/** Event time as a clock reading from 09:00 (day 2 from 24:00 on). */
export function clock(timeMs: number): string {
  const minutes = 9 * 60 + Math.round(timeMs / MINUTE_MS);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** Events that arrive after an event that happened later than they did. */
function arrivedLate<T>(arrivals: readonly T[], timeOf: (e: T) => number): number {
  let latestMs = Number.NEGATIVE_INFINITY;
  let late = 0;
  for (const e of arrivals) {
    if (timeOf(e) < latestMs) late++;
    latestMs = Math.max(latestMs, timeOf(e));
  }
  return late;
}

function capped(rows: Cell[][]): { rows: Cell[][]; caption?: string } {
  if (rows.length <= ROWS_SHOWN) return { rows };
  return {
    rows: rows.slice(0, ROWS_SHOWN),
    caption: `the first ${ROWS_SHOWN} of ${rows.length} rows`,
  };
}

// ---------------------------------------------------------------- 1. stream-stream

export interface WindowJoinRun {
  outputs: JoinOutput[];
  /** Clicks that arrived before the search they came from. */
  clicksBeforeSearch: string[];
  stateMax: number;
  unmatchedClicks: number;
}

export function runWindowJoin(
  arrivals: readonly SearchOrClick[],
  outOfOrdernessMs: number,
  searchesOnly = false,
): WindowJoinRun {
  const join = new WindowJoin({ windowMs: WINDOW_MS, outOfOrdernessMs, searchesOnly });
  const outputs: JoinOutput[] = [];
  const seen = new Set<string>();
  const clicksBeforeSearch: string[] = [];
  for (const e of arrivals) {
    if (e.kind === "click" && !seen.has(e.search)) clicksBeforeSearch.push(e.id);
    if (e.kind === "search") seen.add(e.id);
    outputs.push(...join.process(e));
  }
  outputs.push(...join.close());
  return {
    outputs,
    clicksBeforeSearch,
    stateMax: join.stateMax,
    unmatchedClicks: join.unmatchedClicks,
  };
}

/** What the window join got wrong against the batch reference (empty when it is right). */
export function judgeWindowJoin(
  events: readonly SearchOrClick[],
  outputs: readonly JoinOutput[],
): { clickProblems: string[]; noClickProblems: string[]; expectedPairs: number; searches: number } {
  const reference = batchWindowJoin(events, WINDOW_MS);
  const clickProblems: string[] = [];
  const noClickProblems: string[] = [];
  const pairs = new Map<string, number>();
  const noClicks = new Map<string, number>();
  for (const o of outputs) {
    if (o.kind === "clicked") {
      const k = pairKey(o.search, o.click);
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    } else noClicks.set(o.search, (noClicks.get(o.search) ?? 0) + 1);
  }
  for (const k of reference.clicked) {
    const n = pairs.get(k) ?? 0;
    if (n !== 1) clickProblems.push(`${k} joined ${n} times`);
  }
  for (const k of pairs.keys())
    if (!reference.clicked.has(k)) clickProblems.push(`${k} joined outside the window`);
  for (const id of reference.noClick) {
    const n = noClicks.get(id) ?? 0;
    if (n !== 1) noClickProblems.push(`${id}: ${n} "no click" events`);
  }
  for (const id of noClicks.keys())
    if (!reference.noClick.has(id))
      noClickProblems.push(`${id}: "no click" although it was clicked`);
  const searches = events.filter((e) => e.kind === "search").length;
  return { clickProblems, noClickProblems, expectedPairs: reference.clicked.size, searches };
}

function streamStream(trace: Trace, seed: number, options: Options): void {
  const bound = options.outOfOrder * MINUTE_MS;
  trace.section("Stream-stream join: searches and clicks within an hour", REF.streamStreamJoin);
  const random = new Random(seed).fork("stream-stream");
  const events = searchesAndClicks(random, options.searches, WINDOW_MS);
  const arrivals = arrivalOrder(
    events,
    random.fork("arrival"),
    bound,
    (e) => e.timeMs,
    firstArrivals,
  );
  const clicks = events.filter((e) => e.kind === "click").length;
  const late = arrivedLate(arrivals, (e) => e.timeMs);
  trace.note(
    `${plural(options.searches, "search", "searches")} and ${plural(clicks, "click")} in ${plural(new Set(events.map((e) => e.session)).size, "session")}; ${options.outOfOrder === 0 ? "each event reaches the join as it happens, in order." : `each event reaches the join up to ${plural(options.outOfOrder, "minute")} after it happened, so ${plural(late, "event")} ${late === 1 ? "arrives" : "arrive"} after one that happened later.`} The join keeps the searches of the last hour and the clicks not yet joined, each indexed by session id, and its watermark trails the latest event time seen by ${plural(options.outOfOrder, "minute")}.`,
    { ref: REF.streamStreamJoin },
  );
  const run = runWindowJoin(arrivals, bound);
  const byId = new Map(events.map((e) => [e.id, e]));
  const rows: Cell[][] = run.outputs.map((o) => {
    const s = byId.get(o.search);
    const c = o.kind === "clicked" ? byId.get(o.click) : undefined;
    return [
      o.search,
      s?.session ?? "",
      s ? clock(s.timeMs) : "",
      o.kind === "clicked" ? o.click : "",
      c ? clock(c.timeMs) : "",
      o.kind === "clicked"
        ? run.clicksBeforeSearch.includes(o.click)
          ? "clicked (click arrived first)"
          : "clicked"
        : "no click in the hour",
    ];
  });
  const shown = capped(rows);
  if (rows.length > 0) {
    trace.table(
      "What the join emitted, in order",
      ["search", "session", "at", "click", "at", "result"],
      shown.rows,
      shown.caption,
    );
    trace.note(
      `${plural(run.clicksBeforeSearch.length, "click")} arrived before ${run.clicksBeforeSearch.length === 1 ? "its" : "their"} search and waited in state; ${plural(run.unmatchedClicks, "click")} left state unjoined (too long after ${run.unmatchedClicks === 1 ? "its" : "their"} search). At most ${plural(run.stateMax, "event")} ${run.stateMax === 1 ? "was" : "were"} held at once: the state is the window's events, not the whole stream.`,
    );
  }
  const judged = judgeWindowJoin(events, run.outputs);
  checkWindowJoin(trace, "", judged, true);

  trace.note(
    "Broken variant: the same arrivals, but the join keeps only the searches and looks each click up as it arrives, as if clicks could not come first.",
    { ref: REF.streamStreamJoin },
  );
  const broken = runWindowJoin(arrivals, bound, true);
  checkWindowJoin(trace, "searches only: ", judgeWindowJoin(events, broken.outputs), false);
}

function checkWindowJoin(
  trace: Trace,
  prefix: string,
  judged: ReturnType<typeof judgeWindowJoin>,
  expected: boolean,
): void {
  const ref = REF.streamStreamJoin;
  const pairsName = `${prefix}every click within the hour of its search is joined with it exactly once, and no other`;
  if (judged.expectedPairs === 0 && judged.clickProblems.length === 0)
    trace.notExercised(pairsName, "no click came within the hour of its search", { ref });
  else
    trace.check(pairsName, judged.clickProblems.length === 0, {
      expected,
      ref,
      detail:
        judged.clickProblems.length > 0
          ? judged.clickProblems.slice(0, 5).join("; ")
          : `${plural(judged.expectedPairs, "pair")}, as the batch join over the whole input finds`,
    });
  const noClickName = `${prefix}"no click" is emitted once for each search no click joined, and for no other`;
  if (judged.searches === 0) trace.notExercised(noClickName, "there were no searches", { ref });
  else
    trace.check(noClickName, judged.noClickProblems.length === 0, {
      expected,
      ref,
      ...(judged.noClickProblems.length > 0
        ? { detail: judged.noClickProblems.slice(0, 5).join("; ") }
        : {}),
    });
}

// ---------------------------------------------------------------- 2. stream-table

export function runTableJoin(
  arrivals: readonly ActivityOrChange[],
  versioned: boolean,
  outOfOrdernessMs: number,
): Map<string, string> {
  const join = versioned ? new VersionedTableJoin(outOfOrdernessMs) : new ProcessingTimeTableJoin();
  const out: Enriched[] = [];
  for (const input of arrivals) out.push(...join.process(input));
  out.push(...join.close());
  const joined = new Map(out.map((e) => [e.activity, e.plan]));
  const views = arrivals.filter((a) => a.kind === "activity").length;
  assert(
    out.length === views && joined.size === views,
    `the stream-table join emitted ${out.length} results for ${views} page views`,
  );
  return joined;
}

function differing(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  return [...a.keys()].filter((k) => a.get(k) !== b.get(k));
}

function streamTable(trace: Trace, seed: number, options: Options): void {
  const bound = options.outOfOrder * MINUTE_MS;
  trace.section("Stream-table join: page views enriched with the user's plan", REF.streamTableJoin);
  const random = new Random(seed).fork("stream-table");
  const inputs = activityAndProfiles(random, options.activities);
  const changes = inputs.filter((i) => i.kind === "profile").length;
  const arrivals = arrivalOrder(inputs, random.fork("arrival"), bound, timeOf);
  const otherArrivals = arrivalOrder(inputs, random.fork("arrival-again"), bound, timeOf);
  const late = arrivedLate(arrivals, timeOf);
  trace.note(
    `${plural(options.activities, "page view")} by three users, and the profile changelog (${plural(changes, "update")} of a user's plan, each valid from its time). ${options.outOfOrder === 0 ? "Both streams reach the join in event-time order." : `Both streams reach the join up to ${plural(options.outOfOrder, "minute")} late: ${plural(late, "input")} ${late === 1 ? "arrives" : "arrive"} after one that happened later.`} The join keeps a local copy of the profile table, kept current by the changelog, so that it need not query the database for every event.`,
    { ref: REF.streamTableJoin },
  );
  const reference = batchAsOfJoin(inputs);
  const processing = runTableJoin(arrivals, false, bound);
  const processingAgain = runTableJoin(otherArrivals, false, bound);
  const versioned = runTableJoin(arrivals, true, bound);
  const versionedAgain = runTableJoin(otherArrivals, true, bound);
  const wrong = differing(reference, processing);
  const changedByOrder = differing(processing, processingAgain);
  const byId = new Map(inputs.flatMap((i) => (i.kind === "activity" ? [[i.id, i] as const] : [])));
  const rows: Cell[][] = [...reference.keys()]
    .sort((a, b) => (byId.get(a)?.timeMs ?? 0) - (byId.get(b)?.timeMs ?? 0))
    .map((id) => [
      id,
      byId.get(id)?.user ?? "",
      clock(byId.get(id)?.timeMs ?? 0),
      reference.get(id) ?? "",
      processing.get(id) ?? "",
      processingAgain.get(id) ?? "",
      versioned.get(id) ?? "",
    ]);
  const shown = capped(rows);
  if (rows.length > 0)
    trace.table(
      "Each page view's plan: as of its event time, and as each join found it",
      ["view", "user", "at", "as of event time", "processing time", "…other order", "versioned"],
      shown.rows,
      shown.caption,
    );
  trace.note(
    `As of processing time (Kafka Streams' KStream-KTable join over an ordinary, unversioned table), ${plural(wrong.length, "view")} got another plan than the one valid when it happened${wrong.length > 0 ? ": an update and a view, or two updates of one user, reached the join in another order than they happened (the table keeps whichever update came last)" : ""}; with the other arrival order, ${plural(changedByOrder.length, "view")} came out differently than in the first. The book: such a join is nondeterministic, so rerunning it on the same input need not give the same result.`,
    { ref: REF.timeDependenceOfJoins },
  );
  trace.note(
    "Versioned (the book's slowly changing dimension; Flink's event-time temporal join, Kafka Streams' join with a versioned table): the table keeps every version of a profile with the time it took effect, so its changelog cannot be compacted to the latest version. A view waits until no older version can still arrive (here, until the changelog's watermark passes its time; Kafka Streams waits a grace period), then joins the version valid then.",
    { ref: REF.timeDependenceOfJoins },
  );
  const ref = REF.timeDependenceOfJoins;
  if (options.activities === 0) {
    for (const name of [
      "as of processing time: every view is joined with the plan valid when it happened",
      "as of processing time: another arrival order gives the same result",
      "versioned: every view is joined with the plan valid when it happened",
      "versioned: another arrival order gives the same result",
    ])
      trace.notExercised(name, "there were no page views", { ref });
    return;
  }
  const some = (ids: string[]) => ids.slice(0, 5).join(", ");
  if (options.outOfOrder === 0 && wrong.length === 0 && changedByOrder.length === 0)
    for (const name of [
      "as of processing time: every view is joined with the plan valid when it happened",
      "as of processing time: another arrival order gives the same result",
    ])
      trace.notExercised(
        name,
        "everything arrives in event-time order, so processing time is event time here",
        { ref },
      );
  else {
    trace.check(
      "as of processing time: every view is joined with the plan valid when it happened",
      wrong.length === 0,
      {
        expected: false,
        ref,
        ...(wrong.length > 0 ? { detail: `not so for ${some(wrong)}` } : {}),
      },
    );
    trace.check(
      "as of processing time: another arrival order gives the same result",
      changedByOrder.length === 0,
      {
        expected: false,
        ref,
        ...(changedByOrder.length > 0 ? { detail: `not so for ${some(changedByOrder)}` } : {}),
      },
    );
  }
  const vWrong = differing(reference, versioned);
  const vOrder = differing(versioned, versionedAgain);
  trace.check(
    "versioned: every view is joined with the plan valid when it happened",
    vWrong.length === 0,
    {
      ref,
      ...(vWrong.length > 0 ? { detail: `not so for ${some(vWrong)}` } : {}),
    },
  );
  trace.check("versioned: another arrival order gives the same result", vOrder.length === 0, {
    ref,
    ...(vOrder.length > 0 ? { detail: `not so for ${some(vOrder)}` } : {}),
  });
}

// ---------------------------------------------------------------- 3. table-table

/** The processor crashes after event `afterEvent` (1-based) and restarts one way or the other. */
export interface TimelineCrash {
  afterEvent: number;
  restart: "from the changelog" | "with empty tables";
}

export interface TimelineRun {
  cache: TimelineCache;
  firstDivergence: { index: number; differences: string[] } | undefined;
  /** The changelog at the restart: records before and after compaction (tombstones kept). */
  changelog?: { before: number; after: number };
}

export function runTimeline(
  events: readonly SocialEvent[],
  variant: TimelineVariant,
  crash?: TimelineCrash,
): TimelineRun {
  let cache = new TimelineCache(variant);
  const tables = new SocialTables();
  let firstDivergence: TimelineRun["firstDivergence"];
  let changelog: TimelineRun["changelog"];
  events.forEach((event, index) => {
    cache.process(event);
    tables.apply(event);
    if (firstDivergence === undefined) {
      const differences = timelineDifferences(cache.timelines, tables.query());
      if (differences.length > 0) firstDivergence = { index, differences };
    }
    if (crash !== undefined && index + 1 === crash.afterEvent) {
      // The tables go with the process; the timelines (in the cache) and the changelog (a topic)
      // do not. The restart reads on from the next event: its input offset was committed with
      // the state, as Kafka Streams commits them together under exactly-once.
      cache = new TimelineCache(variant, cache.timelines, cache.changelog);
      changelog = cache.changelog.compact(changelogKey);
      if (crash.restart === "from the changelog") cache.restoreTables();
    }
  });
  return { cache, firstDivergence, ...(changelog ? { changelog } : {}) };
}

function describeSocial(e: SocialEvent): string {
  switch (e.kind) {
    case "tweet":
      return `${e.sender} tweets ${e.id}`;
    case "delete":
      return `${e.id} is deleted`;
    case "follow":
      return `${e.follower} follows ${e.followee}`;
    case "unfollow":
      return `${e.follower} unfollows ${e.followee}`;
  }
}

const TWEETS_SHOWN = 8;

/** A timeline's tweet ids in the order they were sent (t2 before t10), the first few only. */
function describeTimeline(ids: ReadonlySet<string> | undefined): string {
  const sorted = [...(ids ?? [])].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  if (sorted.length === 0) return "(empty)";
  if (sorted.length <= TWEETS_SHOWN) return sorted.join(", ");
  return `${sorted.slice(0, TWEETS_SHOWN).join(", ")}, … (${sorted.length} tweets)`;
}

function tableTable(trace: Trace, seed: number, options: Options): void {
  trace.section("Table-table join: the Twitter home timeline cache", REF.tableTableJoin);
  const events = socialEvents(new Random(seed).fork("table-table"), options.socialEvents);
  trace.note(
    `Two streams, tweets (sent, deleted) and follows (follow, unfollow), ${plural(events.length, "event")} in all: ${events.slice(0, 5).map(describeSocial).join("; ")}${events.length > 5 ? `; then ${plural(events.length - 5, "random event")}` : ""}. The processor keeps both tables as state and each user's timeline as a cache: the materialized view of tweets JOIN follows ON followee = sender, updated on every event instead of queried at every read.`,
    { ref: REF.tableTableJoin },
  );
  const ref = REF.tableTableJoin;
  const name = (variant: TimelineVariant) =>
    `${variant === "correct" ? "" : `${variant}: `}after every event, each timeline equals the join of the tables so far`;
  const correct = runTimeline(events, "correct");
  const users = [
    ...new Set([...correct.cache.tables.query().keys(), ...correct.cache.timelines.keys()]),
  ].sort();
  trace.note(
    "This is the trade-off of Twitter's second approach in chapter 1: each tweet costs a write per follower, so that reading a timeline is one lookup.",
    { ref: REF.describingLoad },
  );
  trace.table(
    "Home timelines at the end (the cache)",
    ["user", "timeline"],
    users.map((u) => [u, describeTimeline(correct.cache.timelines.get(u))]),
    `${plural(correct.cache.writes, "timeline write")}: the fan-out the cache costs at write time`,
  );
  trace.check(name("correct"), correct.firstDivergence === undefined, {
    ref,
    ...(correct.firstDivergence
      ? {
          detail: `after event ${correct.firstDivergence.index + 1}: ${correct.firstDivergence.differences[0]}`,
        }
      : {}),
  });
  for (const variant of ["ignores unfollows", "no backfill on follow"] as const) {
    const broken = runTimeline(events, variant);
    const d = broken.firstDivergence;
    trace.check(name(variant), d === undefined, {
      expected: false,
      ref,
      ...(d
        ? {
            detail: `after event ${d.index + 1} (${describeSocial(events[d.index] as (typeof events)[number])}): ${d.differences[0]}`,
          }
        : {}),
    });
  }
  crashAndRestore(trace, events);
}

/** A crash of the timeline processor: its tables rebuilt from their changelog, or not. */
/**
 * In the scripted opening, after carol's second tweet: the next event, bob's unfollow, needs the
 * tables (which of carol's tweets to take off bob's timeline), at any --social-events.
 */
const CRASH_AFTER_EVENT = 4;

function crashAndRestore(trace: Trace, events: readonly SocialEvent[]): void {
  const ref = REF.rebuildingState;
  const afterEvent = CRASH_AFTER_EVENT;
  const restored = runTimeline(events, "correct", { afterEvent, restart: "from the changelog" });
  const log = restored.changelog;
  assert(log !== undefined, "the processor crashed, so its changelog was read");
  trace.note(
    `A fault: after event ${afterEvent} (${describeSocial(events[afterEvent - 1] as SocialEvent)}) the processor crashes and loses its tables; the timelines, in the cache, survive. As in Kafka Streams, every change to the tables also went to a changelog topic compacted by key (tombstones for deleted tweets and unfollows); the restarted processor replays its ${plural(log.after, "record")}, then reads on from event ${afterEvent + 1} (Kafka Streams' exactly-once commits the input offset with the changelog).`,
    { ref },
  );
  const name = (how: string) =>
    `${how}: after every event, each timeline equals the join of the tables so far`;
  const d = restored.firstDivergence;
  trace.check(name("restarted from the changelog"), d === undefined, {
    ref,
    ...(d ? { detail: `after event ${d.index + 1}: ${d.differences[0]}` } : {}),
  });
  const empty = runTimeline(events, "correct", { afterEvent, restart: "with empty tables" });
  const e = empty.firstDivergence;
  trace.check(name("restarted with empty tables (broken)"), e === undefined, {
    expected: false,
    ref,
    ...(e
      ? {
          detail: `after event ${e.index + 1} (${describeSocial(events[e.index] as SocialEvent)}): ${e.differences[0]}`,
        }
      : {}),
  });
}

export const streamJoins: Scenario<Options> = {
  name: "stream-joins",
  summary:
    "Stream-stream (searches and clicks within an hour), stream-table (enrichment from a changelog, as of processing time and versioned) and table-table (the Twitter timeline cache, its processor crashed and its tables rebuilt from their changelog) joins, each checked against the join computed over the whole input",
  options: [
    option("--searches <count>", "searches in the stream-stream join", integer(0, 2_000), 6),
    option("--activities <count>", "page views in the stream-table join", integer(0, 2_000), 10),
    option(
      "--social-events <count>",
      "random tweet and follow events after the five scripted ones in the table-table join",
      integer(0, 2_000),
      10,
    ),
    option(
      "--out-of-order <minutes>",
      "most minutes an event may reach the join after it happened (the watermark's bound)",
      integer(0, 59),
      10,
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.note(
      "A stream join keeps state: what it has seen of one input, waiting for what will come on the other. Which state, and for how long, is what tells the three kinds apart.",
      { ref: REF.streamJoins },
    );
    streamStream(trace, seed, options);
    streamTable(trace, seed, options);
    tableTable(trace, seed, options);
  },
};
