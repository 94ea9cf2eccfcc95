/**
 * How a log stays within its disk: retention deletes old segments by time or size; compaction
 * keeps only the latest value of each key, and tombstones delete keys (DDIA ch. 11, "Disk space
 * usage" and "Log compaction").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { PartitionLog, recordSize, replayToTable } from "../log.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const retentionAndCompaction: Scenario<{ users: number; updates: number }> = {
  name: "retention-and-compaction",
  summary:
    "segments deleted by age and by size; compaction keeps the latest value per key, tombstones delete keys",
  options: [
    option("--users <count>", "keys in the compacted topic", integer(1, 10_000), 8),
    option(
      "--updates <count>",
      "updates written to the compacted topic",
      integer(1, 1_000_000),
      60,
    ),
  ],
  run: ({ trace, seed }, options) => {
    const random = new Random(seed).fork("updates");
    trace.section("Retention by time: a week of page views, kept for three days", REF.diskSpace);
    const size = recordSize("page", "/home");
    const views = new PartitionLog({ segmentBytes: size * 24, retentionMs: 3 * DAY_MS });
    for (let h = 0; h < 7 * 24; h++) views.append("page", "/home", h * HOUR_MS);
    const before = {
      segments: views.segmentCount,
      records: views.recordCount,
      start: views.startOffset,
    };
    const deleted = views.applyRetention(7 * DAY_MS);
    trace.note(
      "The log is cut into segments (a day of records each here); retention deletes whole segments whose newest record is older than retention.ms, never the active segment. Consumers that fall further behind than that lose data.",
      { ref: REF.diskSpace },
    );
    trace.table(
      "page-views, retention.ms = 3 days, read at the end of day 7",
      ["", "segments", "records", "first offset"],
      [
        ["before", before.segments, before.records, before.start],
        ["after", views.segmentCount, views.recordCount, views.startOffset],
      ],
    );
    const oldest = views.read(views.startOffset, 1)[0];
    trace.check(
      "time retention removed every segment older than three days, and only those",
      deleted.segments === 4 && oldest !== undefined && oldest.timestampMs >= 3 * DAY_MS,
      {
        detail: `${deleted.segments} segments (${deleted.records} records) deleted; the oldest record left is from hour ${(oldest?.timestampMs ?? 0) / HOUR_MS}`,
      },
    );

    trace.section("Retention by size", REF.diskSpace);
    // A limit of two and a half days' segments: not a whole number of segments, so the rule shows.
    const segmentBytes = size * 24;
    const retentionBytes = Math.floor(segmentBytes * 2.5);
    const capped = new PartitionLog({ segmentBytes, retentionBytes });
    for (let h = 0; h < 7 * 24; h++) capped.append("page", "/home", h * HOUR_MS);
    const sizeBefore = capped.sizeBytes;
    const cut = capped.applyRetention(0);
    trace.note(
      `retention.bytes = ${retentionBytes}, two and a half segments. Kafka deletes the oldest segment only if what remains is still at least retention.bytes, so the log ends between the limit and the limit plus one segment: ${sizeBefore} bytes in 7 segments became ${capped.sizeBytes} bytes in ${capped.segmentCount}, ${capped.sizeBytes - retentionBytes} bytes above the limit.`,
      { ref: REF.diskSpace },
    );
    trace.check(
      "size retention deletes the oldest segments while what remains stays at or above retention.bytes, and no further",
      cut.segments > 0 &&
        capped.sizeBytes >= retentionBytes &&
        capped.sizeBytes - capped.oldestSegmentBytes < retentionBytes,
      {
        detail: `${cut.segments} segment(s) deleted; ${capped.sizeBytes} bytes left for a limit of ${retentionBytes}, less than one segment (${segmentBytes} bytes) over`,
      },
    );

    trace.section("Log compaction: a topic of user profiles", REF.compaction);
    trace.note(
      "A compacted topic keeps, for every key, only its latest value; a null value (a tombstone) deletes the key, and the tombstone itself goes once delete.retention.ms has passed. The log can then rebuild a table, for example a cache or a search index, without keeping every update ever made.",
      { ref: REF.compaction },
    );
    const users = Array.from({ length: options.users }, (_, i) => `user-${i + 1}`);
    const profiles = new PartitionLog({
      segmentBytes: recordSize("user-1", "v00 of user-1") * 8,
      deleteRetentionMs: 60_000,
    });
    const deletedUsers = new Set<string>();
    let tombstonesWritten = 0;
    for (let i = 0; i < options.updates; i++) {
      const user = random.pick(users);
      // About one update in ten deletes the user; a later update may bring the key back.
      const value = random.chance(0.1) ? null : `v${String(i).padStart(2, "0")} of ${user}`;
      if (value === null) {
        deletedUsers.add(user);
        tombstonesWritten++;
      } else deletedUsers.delete(user);
      profiles.append(user, value, i);
    }
    const fullTable = replayToTable(profiles.read(0, Number.MAX_SAFE_INTEGER));
    const recordsBefore = profiles.recordCount;
    const removed = profiles.compact(options.updates);
    const afterFirst = profiles.recordCount;
    const tombstonesKept = profiles
      .read(0, Number.MAX_SAFE_INTEGER)
      .filter((r) => r.value === null).length;
    const compactedTable = replayToTable(profiles.read(0, Number.MAX_SAFE_INTEGER));
    profiles.compact(options.updates + 60_000);
    const afterSecond = profiles.recordCount;
    const laterTable = replayToTable(profiles.read(0, Number.MAX_SAFE_INTEGER));
    trace.table(
      "user-profiles",
      ["", "records", "tombstones"],
      [
        ["written", recordsBefore, tombstonesWritten],
        ["after compaction", afterFirst, tombstonesKept],
        [
          "after delete.retention.ms",
          afterSecond,
          profiles.read(0, Number.MAX_SAFE_INTEGER).filter((r) => r.value === null).length,
        ],
      ],
    );
    trace.note(
      `Compaction removed ${removed} superseded records. A new consumer that reads the compacted topic from the beginning rebuilds ${compactedTable.size} profiles; ${[...deletedUsers].length} deleted user(s) (${shortList([...deletedUsers]) || "none"}) are absent.`,
      { level: "summary" },
    );
    const sameTable = (a: Map<string, unknown>, b: Map<string, unknown>) =>
      a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
    const tableName =
      "a consumer of the compacted topic ends with the same table as one that read every update";
    const oneName = "compaction kept exactly one record per key outside the active segment";
    const closed = profiles
      .read(0, Number.MAX_SAFE_INTEGER)
      .filter((r) => r.offset < profiles.activeBaseOffset);
    if (profiles.activeBaseOffset === 0) {
      // Compaction never touches the active segment: with only that one, it had nothing to do.
      const why = `all ${options.updates} update(s) fit in the active segment, which compaction leaves alone`;
      trace.notExercised(tableName, why, { ref: REF.compaction });
      trace.notExercised(oneName, why, { ref: REF.compaction });
    } else {
      trace.check(
        tableName,
        sameTable(fullTable, compactedTable) && sameTable(fullTable, laterTable),
        { detail: `${fullTable.size} key(s)` },
      );
      if (closed.length === 0)
        trace.notExercised(
          oneName,
          "compaction emptied the closed segments: every key's latest record is in the active one",
          { ref: REF.compaction },
        );
      else
        trace.check(oneName, new Set(closed.map((r) => r.key)).size === closed.length, {
          detail: `${closed.length} record(s) in closed segments`,
        });
    }
    const tombstoneName = "tombstoned keys are gone from the table";
    if (deletedUsers.size === 0)
      trace.notExercised(tombstoneName, "no key's last update was a tombstone");
    else
      trace.check(
        tombstoneName,
        [...deletedUsers].every((u) => !laterTable.has(u)),
        { detail: `${deletedUsers.size} deleted key(s)` },
      );
  },
};
