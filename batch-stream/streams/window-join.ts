/**
 * Stream-stream join (window join), DDIA ch. 11, "Stream Joins": "Stream-stream join (window
 * join)". The book's example: searches and clicks on a search result in the same session, joined
 * when the click comes within an hour of the search, so that a click-through rate can be computed.
 * "The stream processor needs to maintain state: for example, all the events that occurred in the
 * last hour, indexed by session ID."
 *
 * State: the searches and the clicks of the window, each side indexed by session id; the
 * watermark (the largest event time seen minus the out-of-orderness bound, as Flink's
 * bounded-out-of-orderness watermarks are made). A click carries the id of the search whose result
 * page it came from, as a click-tracking URL does, so within a session it joins that search only.
 *
 * Both sides are buffered because either may arrive first: a click whose search is delayed must
 * wait for it. A search is dropped from state once the watermark passes its time plus the window;
 * if no click joined it by then, the operator emits "no click" for it, since a click-through rate
 * needs the searches that were not clicked too. A click is dropped once the watermark passes its
 * own time: every search it could join has event time at or before the click's, so it has arrived
 * (when no event arrives more than the out-of-orderness bound late, which the input guarantees).
 *
 * Left out: Kafka Streams' and Flink's grace period separate from the watermark, and keyed
 * partitioning of the state over several tasks.
 */

export interface Search {
  readonly kind: "search";
  readonly id: string;
  readonly session: string;
  readonly timeMs: number;
}

export interface Click {
  readonly kind: "click";
  readonly id: string;
  readonly session: string;
  /** The search whose result page the click came from. */
  readonly search: string;
  readonly timeMs: number;
}

export type SearchOrClick = Search | Click;

export type JoinOutput =
  | { readonly kind: "clicked"; readonly search: string; readonly click: string }
  | { readonly kind: "no click"; readonly search: string };

export interface WindowJoinOptions {
  windowMs: number;
  /** How late (in event time) an event may arrive behind the latest one seen. */
  outOfOrdernessMs: number;
  /**
   * The broken variant: buffer only the searches and look each click up when it arrives, as a
   * lookup would. A click that arrives before its search finds nothing and is lost.
   */
  searchesOnly?: boolean;
}

export class WindowJoin {
  private readonly searches = new Map<string, { search: Search; clicks: number }[]>();
  private readonly clicks = new Map<string, Click[]>();
  private maxEventTimeMs = Number.NEGATIVE_INFINITY;
  /** Clicks that found no search in the window and left state (counted, not emitted). */
  unmatchedClicks = 0;
  /** Largest number of events held in state at once. */
  stateMax = 0;

  constructor(private readonly options: WindowJoinOptions) {}

  get watermarkMs(): number {
    return this.maxEventTimeMs - this.options.outOfOrdernessMs;
  }

  get stateSize(): number {
    let n = 0;
    for (const list of this.searches.values()) n += list.length;
    for (const list of this.clicks.values()) n += list.length;
    return n;
  }

  private inWindow(search: Search, click: Click): boolean {
    const delay = click.timeMs - search.timeMs;
    return click.search === search.id && delay >= 0 && delay < this.options.windowMs;
  }

  /** One event in arrival order; returns what the join emits. */
  process(event: SearchOrClick): JoinOutput[] {
    const out: JoinOutput[] = [];
    if (event.kind === "search") {
      const entry = { search: event, clicks: 0 };
      // Clicks that arrived before their search: join them now. A click names one search, so a
      // joined click leaves the state.
      const waiting = this.clicks.get(event.session) ?? [];
      const left = waiting.filter((click) => {
        if (!this.inWindow(event, click)) return true;
        entry.clicks++;
        out.push({ kind: "clicked", search: event.id, click: click.id });
        return false;
      });
      if (left.length === 0) this.clicks.delete(event.session);
      else this.clicks.set(event.session, left);
      push(this.searches, event.session, entry);
    } else {
      let joined = 0;
      for (const entry of this.searches.get(event.session) ?? []) {
        if (this.inWindow(entry.search, event)) {
          entry.clicks++;
          joined++;
          out.push({ kind: "clicked", search: entry.search.id, click: event.id });
        }
      }
      // A click is kept for a search yet to come; if it already joined, its search has come.
      if (joined === 0) {
        if (this.options.searchesOnly) this.unmatchedClicks++;
        else push(this.clicks, event.session, event);
      }
    }
    this.maxEventTimeMs = Math.max(this.maxEventTimeMs, event.timeMs);
    this.stateMax = Math.max(this.stateMax, this.stateSize);
    out.push(...this.expire(this.watermarkMs));
    return out;
  }

  /** End of input: the watermark goes to infinity and every search left is judged. */
  close(): JoinOutput[] {
    return this.expire(Number.POSITIVE_INFINITY);
  }

  private expire(watermarkMs: number): JoinOutput[] {
    const out: JoinOutput[] = [];
    for (const [session, list] of this.searches) {
      const keep = list.filter((e) => e.search.timeMs + this.options.windowMs > watermarkMs);
      for (const e of list) {
        if (keep.includes(e)) continue;
        if (e.clicks === 0) out.push({ kind: "no click", search: e.search.id });
      }
      if (keep.length === 0) this.searches.delete(session);
      else this.searches.set(session, keep);
    }
    for (const [session, list] of this.clicks) {
      // Strictly before the watermark: a search at the click's very time may still be arriving.
      const keep = list.filter((c) => c.timeMs >= watermarkMs);
      this.unmatchedClicks += list.length - keep.length;
      if (keep.length === 0) this.clicks.delete(session);
      else this.clicks.set(session, keep);
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * What the join should produce, computed as a batch job over the whole input at once: every click
 * paired with its search when it came within the window, and "no click" for each search that no
 * click joined. The reference the streaming join is judged against.
 */
export function batchWindowJoin(
  events: readonly SearchOrClick[],
  windowMs: number,
): { clicked: Set<string>; noClick: Set<string> } {
  const searches = new Map<string, Search>();
  for (const e of events) if (e.kind === "search") searches.set(e.id, e);
  const clicked = new Set<string>();
  const hit = new Set<string>();
  for (const e of events) {
    if (e.kind !== "click") continue;
    const s = searches.get(e.search);
    if (s === undefined || s.session !== e.session) continue;
    const delay = e.timeMs - s.timeMs;
    if (delay >= 0 && delay < windowMs) {
      clicked.add(pairKey(s.id, e.id));
      hit.add(s.id);
    }
  }
  const noClick = new Set([...searches.keys()].filter((id) => !hit.has(id)));
  return { clicked, noClick };
}

export function pairKey(search: string, click: string): string {
  return `${search}→${click}`;
}
