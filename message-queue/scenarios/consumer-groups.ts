/**
 * A consumer group on a partitioned topic: members join and leave, partitions are reassigned,
 * offsets are committed; a crash between processing and committing gives a duplicate
 * (at-least-once), committing before processing loses a message (at-most-once) (DDIA ch. 11,
 * "Consumer offsets" and "Acknowledgments and redelivery").
 *
 * This is a step model, not a networked one: in each step every live consumer reads a small
 * batch from each partition it owns, processes it and commits, in the configured order.
 */

import { choice, integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell, Trace } from "../../shared/trace.js";
import { type Assignor, exactlyOneOwner, GroupCoordinator } from "../groups.js";
import { PartitionLog } from "../log.js";
import { partitionsOption } from "../options.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";

export type CommitOrder = "after" | "before";

interface Options {
  partitions: number;
  consumers: number;
  messages: number;
  assignor: Assignor;
  commit: CommitOrder;
}

export interface GroupRun {
  processed: Map<string, number>;
  lost: string[];
  duplicated: string[];
  ownershipHeld: boolean;
  rebalances: number;
  /** Whether the crash between processing and committing happened (it needs two members and data left). */
  crashed: boolean;
  /** Consumer lag per partition part-way through: log end offset minus committed offset. */
  lag: { partition: number; endOffset: number; committed: number }[];
}

/**
 * Run the group. Consumers join one by one, one leaves cleanly, and one crashes in the middle of
 * a batch: after processing and before committing (commit after), or after committing and before
 * processing (commit before). Returns what was processed, from the consumers' own records.
 */
export function runGroup(options: Options & { seed: number }, trace?: Trace): GroupRun {
  const random = new Random(options.seed).fork("group");
  const logs = Array.from(
    { length: options.partitions },
    () => new PartitionLog({ segmentBytes: 1 << 20 }),
  );
  for (let i = 0; i < options.messages; i++) {
    const p = i % options.partitions;
    logs[p]?.append(`k${i}`, `m${i + 1}`, i);
  }
  const group = new GroupCoordinator(options.partitions, options.assignor);
  const members = Array.from({ length: options.consumers }, (_, i) => `consumer-${i + 1}`);
  const positions = new Map<string, Map<number, number>>();
  const processed = new Map<string, number>();
  let ownershipHeld = true;
  const crashAt = random.int(3, 5);
  let crashed = false;
  const crashVictim = members[members.length - 1] as string;
  const leaverAt = 6;
  const leaver = members[0] as string;

  const rebalanced = (why: string) => {
    const last = group.history.at(-1);
    if (last === undefined) return;
    ownershipHeld &&= exactlyOneOwner(last.assignment, group.liveMembers, options.partitions);
    // Each member starts its partitions from the committed offsets of the new generation.
    for (const m of group.liveMembers)
      positions.set(m, new Map(group.partitionsOf(m).map((p) => [p, group.position(p)])));
    trace?.note(
      `${why}: generation ${last.generation}, ${options.assignor} assignment: ${[...last.assignment].map(([m, ps]) => `${m} → [${ps.join(", ")}]`).join("; ")}`,
      { ref: REF.offsets },
    );
  };

  let lag: GroupRun["lag"] = [];
  // Until every partition is consumed (the loop breaks then); the bound, a step per message
  // and more, only stops a stuck loop.
  for (let step = 0; step < 200 + options.messages; step++) {
    if (step === 4)
      lag = logs.map((log, p) => ({
        partition: p,
        endOffset: log.endOffset,
        committed: group.position(p),
      }));
    if (step < members.length) {
      group.join(members[step] as string);
      rebalanced(`${members[step]} joins`);
    }
    if (step === leaverAt && group.liveMembers.length > 1) {
      group.leave(leaver);
      rebalanced(`${leaver} leaves the group cleanly, committing first`);
    }
    for (const member of [...group.liveMembers]) {
      const generation = group.generation;
      for (const p of group.partitionsOf(member)) {
        const position = positions.get(member)?.get(p) ?? group.position(p);
        const batch = logs[p]?.read(position, random.int(1, 3)) ?? [];
        if (batch.length === 0) continue;
        const next = (batch.at(-1)?.offset ?? position) + 1;
        const process = () => {
          for (const r of batch)
            processed.set(String(r.value), (processed.get(String(r.value)) ?? 0) + 1);
        };
        const crashing = step === crashAt && member === crashVictim && group.liveMembers.length > 1;
        if (options.commit === "after") {
          process();
          if (!crashing) group.commit(member, generation, p, next);
        } else {
          group.commit(member, generation, p, next);
          if (!crashing) process();
        }
        positions.get(member)?.set(p, next);
        if (crashing) {
          crashed = true;
          trace?.note(
            options.commit === "after"
              ? `${member} crashes after processing ${batch.map((r) => r.value).join(", ")} from partition ${p} and before committing offset ${next}`
              : `${member} crashes after committing offset ${next} of partition ${p} and before processing ${batch.map((r) => r.value).join(", ")}`,
            { level: "summary", ref: REF.ackRedelivery },
          );
          group.leave(member);
          rebalanced(`${member}'s session times out`);
          break;
        }
      }
    }
    if (logs.every((log, p) => group.position(p) >= log.endOffset)) break;
  }
  const all = logs.flatMap((log) =>
    log.read(0, Number.MAX_SAFE_INTEGER).map((r) => String(r.value)),
  );
  return {
    processed,
    lost: all.filter((v) => !processed.has(v)),
    duplicated: all.filter((v) => (processed.get(v) ?? 0) > 1),
    ownershipHeld,
    rebalances: group.history.length,
    crashed,
    lag,
  };
}

export const consumerGroups: Scenario<Options> = {
  name: "consumer-groups",
  summary:
    "members join and leave, partitions are reassigned, offsets committed; at-least-once versus at-most-once",
  options: [
    partitionsOption(6),
    option("--consumers <count>", "consumers in the group", integer(1, 32), 3),
    option("--messages <count>", "messages in the topic", integer(1, 100_000), 60),
    option(
      "--assignor <name>",
      "partition assignment strategy",
      choice(["range", "roundrobin"] as const),
      "range",
    ),
    option(
      "--commit <when>",
      "commit offsets before or after processing",
      choice(["after", "before"] as const),
      "after",
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section(
      `A group of ${options.consumers} consumers on ${options.partitions} partitions`,
      REF.offsets,
    );
    trace.note(
      "Each partition is consumed by exactly one member of the group; a membership change starts a new generation and a new assignment. A consumer commits the offset it has processed up to; a partition's next owner resumes from the last commit.",
      { ref: REF.offsets },
    );
    trace.note(
      "This is how a log-based broker balances load, unlike the traditional broker of competing-consumers, which hands each message to any consumer: here a whole partition goes to one consumer, so a group keeps at most as many consumers busy as there are partitions and a slow message holds up the messages behind it in its partition; in return each partition is read in order, and another group reads the same log without taking anything from this one.",
      { ref: REF.logsVsMessaging },
    );
    const result = runGroup({ ...options, seed }, trace);
    trace.table(
      "Consumer lag after four steps",
      ["partition", "log end offset", "committed offset", "lag"],
      result.lag.map((l) => [l.partition, l.endOffset, l.committed, l.endOffset - l.committed]),
      "Lag is how far the group is behind the log; the log keeps the messages, so a lagging consumer loses nothing until retention deletes them.",
    );
    const other = runGroup({
      ...options,
      seed,
      commit: options.commit === "after" ? "before" : "after",
    });
    const row = (commit: CommitOrder, r: GroupRun): Cell[] => [
      commit === "after"
        ? "process, then commit (at-least-once)"
        : "commit, then process (at-most-once)",
      r.processed.size,
      r.duplicated.length,
      r.lost.length,
    ];
    trace.table(
      result.crashed
        ? "The same crash, both commit orders"
        : "Both commit orders (no consumer crashed in this run)",
      ["commit order", "messages processed", "processed twice", "never processed"],
      [row(options.commit, result), row(options.commit === "after" ? "before" : "after", other)],
    );
    trace.check(
      "after every rebalance, each partition has exactly one owner among the live members",
      result.ownershipHeld,
      {
        detail: `${result.rebalances} generations`,
      },
    );
    trace.check("no message is lost", result.lost.length === 0, {
      expected: options.commit === "after",
      detail:
        result.lost.length === 0
          ? "every message processed"
          : `never processed: ${shortList(result.lost)}`,
    });
    trace.check("no message is processed twice", result.duplicated.length === 0, {
      expected: options.commit === "before",
      detail:
        result.duplicated.length === 0 ? "each once" : `twice: ${shortList(result.duplicated)}`,
    });
  },
};
