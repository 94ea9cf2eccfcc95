/**
 * Table-table join (materialized view maintenance), DDIA ch. 11, "Stream Joins", with the Twitter
 * home timeline of ch. 1 ("Describing Load"): rather than running the join
 *
 *   SELECT follows.follower_id AS timeline_id, tweets.*
 *   FROM tweets JOIN follows ON follows.followee_id = tweets.sender_id
 *
 * at every timeline read, a stream processor keeps a cache of every user's timeline up to date
 * from two streams, tweets (sent and deleted) and follows (follow and unfollow). In the book's
 * words: a new tweet by u is added to the timeline of every user following u; a deleted tweet is
 * removed from every timeline; when u1 starts following u2, u2's tweets are added to u1's
 * timeline; when u1 unfollows u2, u2's tweets are removed from it. To do that the processor keeps
 * both tables as state: the tweets by sender, and the followers of each user.
 *
 * The cache is the materialized view of the join, and stays equal to it whatever order the two
 * streams interleave in. Two broken variants show why each rule is needed: one ignores unfollows,
 * and one only fans a tweet out when it is sent, without adding the followee's earlier tweets on
 * a follow (right only if every follow arrives before the tweets it should show).
 *
 * The tables are the processor's state, and a crash loses them (ch. 11, "Fault Tolerance":
 * "Rebuilding state after a failure"). As Kafka Streams does, every change to them is also
 * appended to a changelog, a log compacted by key (a tweet's id; a follower and followee pair),
 * with a tombstone for a deleted tweet or an unfollow; a restarted processor replays it to rebuild
 * its tables before it reads on. The timelines themselves live in the cache, which survives.
 * Left out: the "recent tweets" limit and the celebrity exception (ch. 1: tweets of users with
 * very many followers are fetched at read time and merged in).
 */

import { Log } from "./log.js";

export type SocialEvent =
  | { readonly kind: "tweet"; readonly id: string; readonly sender: string }
  | { readonly kind: "delete"; readonly id: string }
  | { readonly kind: "follow"; readonly follower: string; readonly followee: string }
  | { readonly kind: "unfollow"; readonly follower: string; readonly followee: string };

export type TimelineVariant = "correct" | "ignores unfollows" | "no backfill on follow";

/** One change to a table, as its changelog records it: null is a tombstone (the row is gone). */
export type TableChange =
  | { readonly table: "tweets"; readonly key: string; readonly value: string | null }
  | { readonly table: "follows"; readonly key: string; readonly value: string | null };

/** The changelog's key: a row of one table. */
export function changelogKey(change: TableChange): string {
  return `${change.table}/${change.key}`;
}

function followKey(follower: string, followee: string): string {
  return `${follower}→${followee}`;
}

/** The two tables, as the join reads them. */
export class SocialTables {
  /** tweet id → sender */
  readonly tweets = new Map<string, string>();
  /** followee → followers */
  readonly followers = new Map<string, Set<string>>();

  /** Apply an event; returns the change to a table it made, as the changelog records it. */
  apply(event: SocialEvent): TableChange {
    switch (event.kind) {
      case "tweet":
        this.tweets.set(event.id, event.sender);
        return { table: "tweets", key: event.id, value: event.sender };
      case "delete":
        this.tweets.delete(event.id);
        return { table: "tweets", key: event.id, value: null };
      case "follow":
        setOf(this.followers, event.followee).add(event.follower);
        return {
          table: "follows",
          key: followKey(event.follower, event.followee),
          value: "follows",
        };
      case "unfollow":
        this.followers.get(event.followee)?.delete(event.follower);
        return { table: "follows", key: followKey(event.follower, event.followee), value: null };
    }
  }

  /** Replay one changelog record: the row it names takes its value, or goes on a tombstone. */
  restore(change: TableChange): void {
    if (change.table === "tweets") {
      if (change.value === null) this.tweets.delete(change.key);
      else this.tweets.set(change.key, change.value);
      return;
    }
    const [follower, followee] = change.key.split("→") as [string, string];
    if (change.value === null) this.followers.get(followee)?.delete(follower);
    else setOf(this.followers, followee).add(follower);
  }

  /** The join, run from scratch: every user's timeline as the set of tweet ids. */
  query(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [id, sender] of this.tweets) {
      for (const follower of this.followers.get(sender) ?? []) setOf(out, follower).add(id);
    }
    return out;
  }
}

export class TimelineCache {
  /** The processor's state, lost in a crash. */
  readonly tables = new SocialTables();
  /** Timeline writes done (the fan-out cost the book weighs against reading the join). */
  writes = 0;

  /**
   * `timelines` (the materialized view, in the cache) and `changelog` (a topic of the log-based
   * broker) are outside the processor and survive its crash; a restarted processor is given them.
   */
  constructor(
    private readonly variant: TimelineVariant = "correct",
    readonly timelines = new Map<string, Set<string>>(),
    readonly changelog = new Log<TableChange>(),
  ) {}

  /** After a restart: rebuild the tables from the changelog, compacted or not. */
  restoreTables(): void {
    for (const record of this.changelog.all()) this.tables.restore(record.value);
  }

  process(event: SocialEvent): void {
    const t = this.tables;
    switch (event.kind) {
      case "tweet":
        for (const follower of t.followers.get(event.sender) ?? []) this.add(follower, event.id);
        break;
      case "delete": {
        const sender = t.tweets.get(event.id);
        if (sender !== undefined)
          for (const follower of t.followers.get(sender) ?? []) this.remove(follower, event.id);
        break;
      }
      case "follow":
        if (
          this.variant !== "no backfill on follow" &&
          !t.followers.get(event.followee)?.has(event.follower)
        )
          for (const id of this.tweetsBy(event.followee)) this.add(event.follower, id);
        break;
      case "unfollow":
        if (this.variant === "ignores unfollows") return;
        for (const id of this.tweetsBy(event.followee)) this.remove(event.follower, id);
        break;
    }
    this.changelog.append(t.apply(event));
  }

  private tweetsBy(sender: string): string[] {
    return [...this.tables.tweets].filter(([, s]) => s === sender).map(([id]) => id);
  }

  private add(user: string, id: string): void {
    setOf(this.timelines, user).add(id);
    this.writes++;
  }

  private remove(user: string, id: string): void {
    const set = this.timelines.get(user);
    if (set?.delete(id)) this.writes++;
    if (set?.size === 0) this.timelines.delete(user);
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

/** Where the cache and the join differ: "bob: has t3, lacks t5". Empty when they are equal. */
export function timelineDifferences(
  cache: ReadonlyMap<string, ReadonlySet<string>>,
  query: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const users = [...new Set([...cache.keys(), ...query.keys()])].sort();
  const out: string[] = [];
  for (const user of users) {
    const have = cache.get(user) ?? new Set<string>();
    const want = query.get(user) ?? new Set<string>();
    const extra = [...have].filter((id) => !want.has(id));
    const missing = [...want].filter((id) => !have.has(id));
    const parts = [
      ...(extra.length > 0 ? [`has ${extra.join(", ")} it should not`] : []),
      ...(missing.length > 0 ? [`lacks ${missing.join(", ")}`] : []),
    ];
    if (parts.length > 0) out.push(`${user}: ${parts.join("; ")}`);
  }
  return out;
}
