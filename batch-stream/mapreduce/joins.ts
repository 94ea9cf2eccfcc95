/**
 * Joins as MapReduce jobs (DDIA ch. 10, "Reduce-Side Joins and Grouping" and "Map-Side Joins"),
 * on the book's example: user activity events (user id, URL) joined with user profiles (user id,
 * year of birth), to see which pages are popular with which ages. Each output line is
 * "url\tuser\tyear of birth", one per event whose user has a profile (an inner join).
 *
 * - sort-merge join: mappers tag each record with its side; the key (user, tag) sorts the profile
 *   first while partition and grouping use the user only (secondary sort), so the reducer sees the
 *   profile and then streams the user's events without buffering them;
 * - broadcast hash join: a map-only job; every mapper loads all profiles into an in-memory hash
 *   table and streams its block of events through it;
 * - partitioned hash join: both sides first partitioned the same way (by hash of user into P
 *   files, by two earlier jobs); map task i joins events partition i against profiles partition i;
 * - Pig's skewed join: a sampling job estimates each user's event count; a hot user's events are
 *   spread round robin over several reducers, and its profile is copied to each of them;
 * - Hive's skewed join: the hot users are named in the table's metadata (SKEWED BY (user_id) ON
 *   ...) and their events stored in a file of their own; a map-side join handles that file, with
 *   only the hot users' profiles in memory, and an ordinary sort-merge join the rest.
 */

import { murmur3_32 } from "../../shared/hash.js";
import { Random } from "../../shared/random.js";
import type { Job, MapContext } from "./job.js";

export const PROFILES = "/joins/profiles";
export const EVENTS = "/joins/events";

export interface JoinData {
  profiles: string[];
  events: string[];
  /** The celebrity's id. */
  hotUser: string;
}

/** `users` profiles; `events` events of which a share `celebrityShare` are by user u0. */
export function generateJoinData(
  seed: number,
  users: number,
  events: number,
  celebrityShare: number,
): JoinData {
  const random = new Random(seed).fork("join-data");
  const profiles = Array.from({ length: users }, (_, i) => `u${i}\t${random.int(1950, 2005)}`);
  const list = Array.from({ length: events }, () => {
    const user = random.chance(celebrityShare)
      ? 0
      : random.int(0, users + Math.ceil(users / 10) - 1);
    // A few events come from users with no profile: an inner join drops them.
    return `u${user}\t/page/${random.zipf(50, 1)}`;
  });
  return { profiles, events: list, hotUser: "u0" };
}

const split = (line: string) => line.split("\t") as [string, string];
const SEP = "\u0000";
const userOf = (key: string) => key.slice(0, key.indexOf(SEP));

/**
 * The join computed directly in memory, to check the jobs against: each event against the
 * profiles with its user id (an index nested-loop join: the profiles indexed by user id, so a
 * large run does not compare every event with every profile).
 */
export function inMemoryJoin(data: Pick<JoinData, "profiles" | "events">): string[] {
  const out: string[] = [];
  const byUser = new Map<string, string[]>();
  for (const [id, born] of data.profiles.map(split)) {
    const list = byUser.get(id);
    if (list === undefined) byUser.set(id, [born]);
    else list.push(born);
  }
  for (const e of data.events) {
    const [user, url] = split(e);
    for (const born of byUser.get(user) ?? []) out.push(`${url}\t${user}\t${born}`);
  }
  return out.sort();
}

/**
 * The reducer of a sort-merge join: it expects the profile first and streams the events after it.
 * An event that comes before any profile has nothing to join with and is dropped, as an inner
 * join would drop an event whose user has no profile.
 */
function mergeJoinReducer(profileTag: string): Job["reduce"] {
  return (user, records, emit) => {
    let born: string | undefined;
    for (const r of records) {
      if (r.key.endsWith(`${SEP}${profileTag}`)) born = String(r.value);
      else if (born !== undefined) emit(`${r.value}\t${user}\t${born}`);
    }
  };
}

/** `eventsFirst` is the broken secondary sort: events tagged to sort before the profile. */
export function sortMergeJoinJob(
  output: string,
  reducers: number,
  options: { eventsFirst?: boolean; events?: string } = {},
): Job {
  const [profileTag, eventTag] = options.eventsFirst === true ? ["1", "0"] : ["0", "1"];
  return {
    name: "sort-merge-join",
    inputs: [
      {
        path: PROFILES,
        map: (line, c) => {
          const [user, born] = split(line);
          c.emit(`${user}${SEP}${profileTag}`, born);
        },
      },
      {
        path: options.events ?? EVENTS,
        map: (line, c) => {
          const [user, url] = split(line);
          c.emit(`${user}${SEP}${eventTag}`, url);
        },
      },
    ],
    output,
    reducers,
    partitionKey: userOf,
    groupKey: userOf,
    reduce: mergeJoinReducer(profileTag),
  };
}

const tables = new WeakMap<readonly string[], Map<string, string>>();
/** The side data as a hash table, built once per loaded copy (once per map task). */
function hashTable(lines: readonly string[], keep?: ReadonlySet<string>): Map<string, string> {
  let table = tables.get(lines);
  if (table === undefined) {
    table = new Map();
    for (const line of lines) {
      const [user, born] = split(line);
      if (keep === undefined || keep.has(user)) table.set(user, born);
    }
    tables.set(lines, table);
  }
  return table;
}

function hashJoinMapper(keep?: ReadonlySet<string>) {
  return (line: string, c: { side(): readonly string[]; emit(k: string, v: string): void }) => {
    const [user, url] = split(line);
    const born = hashTable(c.side(), keep).get(user);
    if (born !== undefined) c.emit(url, `${user}\t${born}`);
  };
}

export function broadcastHashJoinJob(output: string): Job {
  return {
    name: "broadcast-hash-join",
    inputs: [{ path: EVENTS, map: hashJoinMapper() }],
    output,
    reducers: 0,
    sideFiles: () => [PROFILES],
  };
}

/** An identity job that partitions a "user\t..." file by hash of user into `partitions` files. */
export function partitionByUserJob(input: string, output: string, partitions: number): Job {
  return {
    name: `partition ${input}`,
    inputs: [
      {
        path: input,
        map: (line, c) => {
          const tab = line.indexOf("\t");
          c.emit(line.slice(0, tab), line.slice(tab + 1));
        },
      },
    ],
    output,
    reducers: partitions,
    reduce: (user, records, emit) => {
      for (const r of records) emit(`${user}\t${r.value}`);
    },
  };
}

export function partitionedHashJoinJob(events: string, profiles: string, output: string): Job {
  return {
    name: "partitioned-hash-join",
    inputs: [{ path: events, map: hashJoinMapper() }],
    output,
    reducers: 0,
    // Events partition i meets profiles partition i: the same partitioner, the same count.
    sideFiles: (file) => [`${profiles}/${file.slice(file.lastIndexOf("/") + 1)}`],
  };
}

/** Pig's sampling job: every `every`-th event, counted per user and scaled back up. */
export function sampleJob(output: string, every: number): Job {
  return {
    name: "skewed-join sample",
    inputs: [
      {
        path: EVENTS,
        map: (line, c) => {
          if (c.recordIndex % every === 0) c.emit(split(line)[0], 1);
        },
      },
    ],
    output,
    reducers: 1,
    combine: (_k, values) => [values.reduce<number>((s, v) => s + Number(v), 0)],
    reduce: (user, records, emit) =>
      emit(`${user}\t${every * records.reduce((s, r) => s + Number(r.value), 0)}`),
  };
}

/**
 * Pig's skewed join: `spread` gives the number of reducers for each hot user. Each map task sends
 * a hot user's events round robin to reducers base, base+1, ..., counting that user's events as
 * Pig's SkewedPartitioner does (one counter per key in each task; the book says "one of several
 * reducers, chosen at random"); its profile goes to every one of them. Pig numbers the hot keys'
 * reducer ranges from 0 in turn; here a range starts at the user's hash, as for any other user.
 */
export function pigSkewedJoinJob(
  output: string,
  reducers: number,
  spread: ReadonlyMap<string, number>,
): Job {
  const base = (user: string) => murmur3_32(user) % reducers;
  // Each map task's context: how many events of each hot user it has sent so far.
  const roundRobin = new WeakMap<MapContext, Map<string, number>>();
  return {
    ...sortMergeJoinJob(output, reducers),
    name: "pig-skewed-join",
    inputs: [
      {
        path: PROFILES,
        map: (line, c) => {
          const [user, born] = split(line);
          const n = spread.get(user) ?? 1;
          for (let s = 0; s < n; s++) c.emit(`${user}${SEP}0`, born, (base(user) + s) % reducers);
        },
      },
      {
        path: EVENTS,
        map: (line, c) => {
          const [user, url] = split(line);
          const n = spread.get(user) ?? 1;
          let turn = 0;
          if (n > 1) {
            const counts = roundRobin.get(c) ?? new Map<string, number>();
            roundRobin.set(c, counts);
            turn = counts.get(user) ?? 0;
            counts.set(user, turn + 1);
          }
          c.emit(`${user}${SEP}1`, url, (base(user) + (turn % n)) % reducers);
        },
      },
    ],
  };
}

/** Hive's list bucketing: the skewed users' events in a file of their own. */
export function hiveSkewedLayout(events: readonly string[], hot: ReadonlySet<string>) {
  const skewed = events.filter((e) => hot.has(split(e)[0]));
  const rest = events.filter((e) => !hot.has(split(e)[0]));
  return { skewed, rest };
}

export const HIVE_SKEWED = "/joins/events-skewed/user_id=hot";
export const HIVE_REST = "/joins/events-skewed/default";

/** Hive's map-side half: the hot users' events against only the hot users' profiles in memory. */
export function hiveHotKeyJoinJob(output: string, hot: ReadonlySet<string>): Job {
  return {
    name: "hive-skewed-join (hot keys, map-side)",
    inputs: [{ path: HIVE_SKEWED, map: hashJoinMapper(hot) }],
    output,
    reducers: 0,
    sideFiles: () => [PROFILES],
  };
}
