/**
 * Seeded inputs for the stream joins: searches and clicks, activity events and profile changes,
 * tweets and follows. Each stream's events get event times, then an arrival delay of at most the
 * out-of-orderness bound, and arrive in order of event time plus delay: the out-of-order arrival
 * the book describes in "Reasoning About Time" ("Event time versus processing time").
 */

import type { Random } from "../../shared/random.js";
import type { Command } from "./event-store.js";
import type { ActivityOrChange } from "./table-join.js";
import type { SocialEvent } from "./timeline.js";
import type { SearchOrClick } from "./window-join.js";

export const MINUTE_MS = 60_000;

/** Events in arrival order: each delayed by 0 to `maxDelayMs`, ties kept in generation order. */
export function arrivalOrder<T>(
  events: readonly T[],
  random: Random,
  maxDelayMs: number,
  timeOf: (e: T) => number,
  fixedDelayMs: (e: T) => number | undefined = () => undefined,
): T[] {
  return events
    .map((event, i) => {
      const drawn = random.int(0, maxDelayMs);
      return { event, i, at: timeOf(event) + Math.min(maxDelayMs, fixedDelayMs(event) ?? drawn) };
    })
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.event);
}

/**
 * `searches` searches spread over sessions, a search every 10 minutes on average; each has 0 to 2
 * clicks: most within a quarter of an hour (so that a click often reaches the join before its
 * search does), some later in the hour, and about one in six after it (the user came back to the
 * tab). The first search always has a click two minutes after it: the story's opening, which
 * `firstArrivals` delays so that the click arrives first.
 */
export function searchesAndClicks(
  random: Random,
  searches: number,
  windowMs: number,
): SearchOrClick[] {
  const sessions = Math.max(1, Math.ceil(searches / 2));
  const windowMinutes = windowMs / MINUTE_MS;
  const out: SearchOrClick[] = [];
  let clickCount = 0;
  for (let i = 1; i <= searches; i++) {
    const session = i === 1 ? "s1" : `s${random.int(1, sessions)}`;
    const timeMs = i === 1 ? 0 : random.int(0, searches * 10) * MINUTE_MS;
    const id = `q${i}`;
    out.push({ kind: "search", id, session, timeMs });
    if (i === 1) {
      out.push({ kind: "click", id: "c1", session, search: id, timeMs: 2 * MINUTE_MS });
      clickCount++;
      continue;
    }
    const clicks = random.pick([0, 1, 1, 1, 2, 2]);
    for (let c = 0; c < clicks; c++) {
      const roll = random.next();
      const delayMinutes =
        roll < 1 / 6
          ? windowMinutes + random.int(0, 30)
          : roll < 0.75
            ? random.int(0, Math.min(15, windowMinutes - 1))
            : random.int(0, windowMinutes - 1);
      out.push({
        kind: "click",
        id: `c${++clickCount}`,
        session,
        search: id,
        timeMs: timeMs + delayMinutes * MINUTE_MS,
      });
    }
  }
  return out.sort((a, b) => a.timeMs - b.timeMs);
}

/** The story's opening: the first search reaches the join as late as allowed, its click at once. */
export function firstArrivals(e: SearchOrClick): number | undefined {
  if (e.kind === "search" && e.id === "q1") return Number.POSITIVE_INFINITY;
  if (e.kind === "click" && e.id === "c1") return 0;
  return undefined;
}

export const PLANS = ["free", "pro", "team"] as const;

/**
 * Three users, each with a profile from time 0 and then changes of plan; `activities` page views by
 * random users. A change every 25 minutes and a page view every 10 on average.
 */
export function activityAndProfiles(random: Random, activities: number): ActivityOrChange[] {
  const users = ["ann", "ben", "cho"];
  const spanMs = Math.max(1, activities) * 10 * MINUTE_MS;
  const out: ActivityOrChange[] = users.map((user) => ({
    kind: "profile",
    user,
    plan: "free",
    validFromMs: 0,
  }));
  const changes = Math.ceil(spanMs / (25 * MINUTE_MS));
  const plan = new Map(users.map((u) => [u, 0]));
  const taken = new Set<number>([0]);
  for (let i = 0; i < changes; i++) {
    const user = random.pick(users);
    let at = random.int(1, spanMs / MINUTE_MS) * MINUTE_MS;
    while (taken.has(at)) at += MINUTE_MS;
    taken.add(at);
    const next = ((plan.get(user) ?? 0) + random.int(1, 2)) % PLANS.length;
    plan.set(user, next);
    out.push({ kind: "profile", user, plan: PLANS[next] as string, validFromMs: at });
  }
  for (let i = 1; i <= activities; i++) {
    out.push({
      kind: "activity",
      id: `v${i}`,
      user: random.pick(users),
      timeMs: random.int(1, spanMs / MINUTE_MS) * MINUTE_MS,
    });
  }
  // The times were drawn at random: give the inputs out in time order. (A user's plans were drawn
  // in generation order, so an update may set the plan the user already had: harmless.)
  return out.sort((a, b) => timeOf(a) - timeOf(b));
}

export function timeOf(e: ActivityOrChange): number {
  return e.kind === "profile" ? e.validFromMs : e.timeMs;
}

/**
 * The story's opening (so that both broken variants have something to get wrong at any size),
 * then `count` random events among four users.
 */
export function socialEvents(random: Random, count: number): SocialEvent[] {
  const out: SocialEvent[] = [
    { kind: "tweet", id: "t1", sender: "carol" },
    { kind: "follow", follower: "alice", followee: "carol" },
    { kind: "follow", follower: "bob", followee: "carol" },
    { kind: "tweet", id: "t2", sender: "carol" },
    { kind: "unfollow", follower: "bob", followee: "carol" },
  ];
  const users = ["alice", "bob", "carol", "dan"];
  let tweets = 2;
  const live: string[] = ["t1", "t2"];
  for (let i = 0; i < count; i++) {
    const roll = random.next();
    if (roll < 0.4) {
      const id = `t${++tweets}`;
      live.push(id);
      out.push({ kind: "tweet", id, sender: random.pick(users) });
    } else if (roll < 0.5 && live.length > 0) {
      const id = live.splice(random.int(0, live.length - 1), 1)[0] as string;
      out.push({ kind: "delete", id });
    } else {
      const follower = random.pick(users);
      const followee = random.pick(users.filter((u) => u !== follower));
      out.push({ kind: roll < 0.8 ? "follow" : "unfollow", follower, followee });
    }
  }
  return out;
}

/**
 * Ticket commands from three users for the event-sourcing story: bookings of 1 to 4 seats and
 * cancellations of 1 to 3, so that some book more than is left and some cancel more than they hold.
 */
export function ticketCommands(random: Random, count: number): Command[] {
  const users = ["ann", "ben", "cho"];
  const out: Command[] = [];
  for (let i = 0; i < count; i++) {
    const user = random.pick(users);
    out.push(
      random.chance(0.65)
        ? { kind: "book", user, seats: random.int(1, 4) }
        : { kind: "cancel", user, seats: random.int(1, 3) },
    );
  }
  return out;
}
