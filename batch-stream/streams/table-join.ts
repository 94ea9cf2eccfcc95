/**
 * Stream-table join (stream enrichment), DDIA ch. 11, "Stream Joins": activity events enriched
 * with the user's profile from a local copy of the profile table, kept current by subscribing to
 * the table's changelog (change data capture). And the book's "Time-dependence of joins": the
 * result depends on which profile version the table holds when the event is processed, so a
 * profile update that arrives late (or an activity event that arrives late) changes the answer,
 * and a rerun with another arrival order can give another one. The fix the book names for data
 * warehouses, a slowly changing dimension: give each version of the record its own identifier
 * and join with the version valid at the event's time.
 *
 * Two operators:
 * - `ProcessingTimeTableJoin`: Kafka Streams' KStream-KTable join over an ordinary table. The
 *   table holds the latest version of each profile; an event is joined with whatever is there
 *   when it is processed.
 * - `VersionedTableJoin`: Flink's event-time temporal join. The table keeps every version with the
 *   time it took effect; an event waits until the changelog's watermark has passed its event
 *   time (no older version can still arrive), then is joined with the version valid at that time.
 *   Flink waits for the operator's watermark, the smaller of its two inputs'; the changelog's
 *   alone is enough here, since only a late version can change an event's answer.
 *   Kafka Streams does the same lookup by timestamp when the table's store is versioned (KIP-914,
 *   Kafka 3.5), and can hold stream records back for a grace period (KIP-923, Kafka 3.6).
 */

export interface ProfileChange {
  readonly kind: "profile";
  readonly user: string;
  /** The new value of the field we join on (say, the user's plan). */
  readonly plan: string;
  /** When the change took effect (event time). */
  readonly validFromMs: number;
}

export interface Activity {
  readonly kind: "activity";
  readonly id: string;
  readonly user: string;
  readonly timeMs: number;
}

export type ActivityOrChange = Activity | ProfileChange;

export interface Enriched {
  readonly activity: string;
  readonly user: string;
  /** The plan the event was joined with; "(unknown)" when no profile version was found. */
  readonly plan: string;
}

export const UNKNOWN = "(unknown)";

export class ProcessingTimeTableJoin {
  private readonly table = new Map<string, string>();

  process(input: ActivityOrChange): Enriched[] {
    if (input.kind === "profile") {
      this.table.set(input.user, input.plan);
      return [];
    }
    return [{ activity: input.id, user: input.user, plan: this.table.get(input.user) ?? UNKNOWN }];
  }

  close(): Enriched[] {
    return [];
  }
}

export class VersionedTableJoin {
  /** Per user, every version in order of the time it took effect. */
  private readonly versions = new Map<string, ProfileChange[]>();
  private readonly waiting: Activity[] = [];
  private changelogMaxMs = Number.NEGATIVE_INFINITY;
  /** Most activity events held back at once, waiting for the changelog's watermark. */
  waitingMax = 0;

  constructor(private readonly outOfOrdernessMs: number) {}

  /** No profile change with an earlier validity than this can still arrive. */
  get changelogWatermarkMs(): number {
    return this.changelogMaxMs - this.outOfOrdernessMs;
  }

  process(input: ActivityOrChange): Enriched[] {
    if (input.kind === "profile") {
      const list = this.versions.get(input.user) ?? [];
      list.push(input);
      list.sort((a, b) => a.validFromMs - b.validFromMs);
      this.versions.set(input.user, list);
      this.changelogMaxMs = Math.max(this.changelogMaxMs, input.validFromMs);
    } else {
      this.waiting.push(input);
      this.waitingMax = Math.max(this.waitingMax, this.waiting.length);
    }
    return this.release(this.changelogWatermarkMs);
  }

  /** End of input: the changelog is complete, so every waiting event can be joined. */
  close(): Enriched[] {
    return this.release(Number.POSITIVE_INFINITY);
  }

  private release(watermarkMs: number): Enriched[] {
    const ready: Activity[] = [];
    const rest: Activity[] = [];
    for (const a of this.waiting) (a.timeMs < watermarkMs ? ready : rest).push(a);
    if (ready.length === 0) return [];
    this.waiting.length = 0;
    this.waiting.push(...rest);
    ready.sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : 1));
    return ready.map((a) => ({
      activity: a.id,
      user: a.user,
      plan: versionAt(this.versions.get(a.user) ?? [], a.timeMs),
    }));
  }
}

/** The version in effect at `timeMs`: the latest that took effect at or before it. */
export function versionAt(versions: readonly ProfileChange[], timeMs: number): string {
  let plan = UNKNOWN;
  for (const v of versions) if (v.validFromMs <= timeMs) plan = v.plan;
  return plan;
}

/** The reference: each activity joined, as a batch job would, with the version valid at its time. */
export function batchAsOfJoin(inputs: readonly ActivityOrChange[]): Map<string, string> {
  const versions = new Map<string, ProfileChange[]>();
  for (const i of inputs) {
    if (i.kind !== "profile") continue;
    const list = versions.get(i.user) ?? [];
    list.push(i);
    versions.set(i.user, list);
  }
  for (const list of versions.values()) list.sort((a, b) => a.validFromMs - b.validFromMs);
  const out = new Map<string, string>();
  for (const i of inputs) {
    if (i.kind === "activity") out.set(i.id, versionAt(versions.get(i.user) ?? [], i.timeMs));
  }
  return out;
}
