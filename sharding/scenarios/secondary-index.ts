/**
 * The same query, "red cars", against a document-partitioned (local) index and a term-partitioned
 * (global) index on the simulator (DDIA ch. 6, "Partitioning and Secondary Indexes").
 */

import type { Scenario } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { keysOption, partitionsOption } from "../options.js";
import { REF } from "../refs.js";
import { IndexClient, type QueryOutcome } from "../secondary-index/client.js";
import type { Car, IndexMessage } from "../secondary-index/messages.js";
import {
  carPartition,
  PartitionNode,
  partitionId,
  termPartition,
  termsOf,
} from "../secondary-index/partition-node.js";
import { counted } from "../words.js";

const COLORS = ["black", "blue", "green", "red", "silver", "white", "yellow"];
const MAKES = ["audi", "dodge", "ford", "honda", "volvo"];
const QUERY = "color:red";
const INDEX_LAG_MS = 40;
const LIMIT_MS = 10_000;

interface IndexOptions {
  keys: number;
  partitions: number;
}

export const secondaryIndex: Scenario<IndexOptions> = {
  name: "secondary-index",
  networked: true,
  summary:
    "local indexes scatter/gather every query; a global index is read in one place but updated late",
  options: [keysOption(40, 10_000), partitionsOption(4, 26)],
  run: ({ trace, seed }, { keys, partitions }) => {
    const sim = new Simulation({ seed, trace });
    const net = new Network<IndexMessage>(sim, { latencyMsMin: 1, latencyMsMax: 10 });
    const random = sim.random.fork("cars");
    const nodes = Array.from({ length: partitions }, (_, p) =>
      net.add(new PartitionNode(partitionId(p), net, { partitions, indexLagMs: INDEX_LAG_MS })),
    );
    const client = net.add(new IndexClient("client", net, partitions));
    const nodeOf = (p: number) => nodes[p] as PartitionNode;

    const cars: Car[] = Array.from({ length: keys }, (_, id) => ({
      id,
      color: random.pick(COLORS),
      make: random.pick(MAKES),
    }));
    for (const car of cars)
      nodeOf(carPartition(car.id, partitions)).preload(car, (term) =>
        nodeOf(termPartition(term, partitions)),
      );

    trace.section(
      `${counted(keys, "car")} in ${counted(partitions, "partition")}, indexed by color and make`,
      REF.byDocument,
    );
    trace.note(
      `A car lives in partition (id mod ${partitions}). Each partition indexes its own cars (the local index) and also owns a range of terms of the global index: partition ${termPartition(QUERY, partitions)} owns "${QUERY}".`,
    );

    const ask = (kind: "local" | "global"): { outcome: QueryOutcome; messages: number } => {
      const sentBefore = net.stats.sent;
      const requestId = kind === "local" ? client.queryLocal(QUERY) : client.queryGlobal(QUERY);
      const expectedReplies = kind === "local" ? partitions : 1;
      sim.runUntil(
        () => (client.outcome(requestId)?.replies ?? 0) >= expectedReplies,
        sim.now + LIMIT_MS,
      );
      return {
        outcome: client.outcome(requestId) ?? { carIds: [], replies: 0 },
        messages: net.stats.sent - sentBefore,
      };
    };
    const truth = (all: Car[]) => all.filter((c) => termsOf(c).includes(QUERY)).map((c) => c.id);

    const local = ask("local");
    trace.note(
      `Local index: the query scatters to ${partitions === 1 ? "the one partition" : `all ${partitions} partitions`} and gathers ${counted(local.outcome.replies, "answer")} (${local.messages} messages): cars ${list(local.outcome.carIds)}.`,
      { ref: REF.byDocument },
    );
    const global = ask("global");
    trace.note(
      `Global index: one request to ${partitionId(termPartition(QUERY, partitions))} (${global.messages} messages): cars ${list(global.outcome.carIds)}.`,
      { ref: REF.byTerm },
    );

    trace.section("Write a new red car, then query at once", REF.byTerm);
    const newCar: Car = { id: keys, color: "red", make: random.pick(MAKES) };
    const termPartitions = new Set(termsOf(newCar).map((t) => termPartition(t, partitions)));
    const sentBeforeWrite = net.stats.sent;
    const writeId = client.write(newCar);
    sim.runUntil(() => client.writeAcknowledged(writeId), sim.now + LIMIT_MS);
    trace.note(
      `Car ${newCar.id} (red ${newCar.make}) is written to ${partitionId(carPartition(newCar.id, partitions))}, which updates its local index in the same step and acknowledges; it also sends index updates to the global index's ${termPartitions.size === 1 ? `partition ${[...termPartitions].join("")}` : `partitions ${[...termPartitions].join(" and ")}`}, which apply them in the background.`,
      { level: "summary" },
    );
    const writeMessages = net.stats.sent - sentBeforeWrite;
    const localAfter = ask("local");
    const globalAfter = ask("global");
    const localSees = localAfter.outcome.carIds.includes(newCar.id);
    const globalSees = globalAfter.outcome.carIds.includes(newCar.id);
    trace.note(
      `Right after the acknowledgement: the local index ${localSees ? "finds" : "misses"} car ${newCar.id}; the global index ${globalSees ? "finds" : "misses"} it.`,
      { level: "summary" },
    );
    sim.run(sim.now + 2 * INDEX_LAG_MS);
    const globalLater = ask("global");
    const globalSeesLater = globalLater.outcome.carIds.includes(newCar.id);
    trace.note(
      `${2 * INDEX_LAG_MS} ms later, the global index ${globalSeesLater ? "finds" : "still misses"} car ${newCar.id}.`,
    );

    trace.table(
      "Two ways to partition a secondary index",
      [
        "index",
        "partitions a query asks",
        "messages per query",
        "partitions a write updates",
        "sees a write at once",
      ],
      [
        ["by document (local)", partitions, local.messages, 1, localSees ? "yes" : "no"],
        [
          "by term (global)",
          1,
          global.messages,
          1 + [...termPartitions].filter((p) => p !== carPartition(newCar.id, partitions)).length,
          globalSees ? "yes" : "no",
        ],
      ],
      `The write took ${writeMessages} messages: the write, its acknowledgement, and one index update per term.`,
    );
    const all = [...cars, newCar];
    trace.check(
      "both indexes give the right answer once the index has caught up",
      sameIds(local.outcome.carIds, truth(cars)) &&
        sameIds(global.outcome.carIds, truth(cars)) &&
        sameIds(globalLater.outcome.carIds, truth(all)) &&
        sameIds(localAfter.outcome.carIds, truth(all)),
    );
    trace.check(
      "the document-partitioned index sees a write as soon as it is acknowledged",
      localSees,
      { ref: REF.byDocument },
    );
    trace.check(
      "the term-partitioned index is updated asynchronously: a read right after the write misses it",
      !globalSees,
      {
        ref: REF.byTerm,
        detail: `the update is applied ${INDEX_LAG_MS} ms after it arrives`,
      },
    );
  },
};

function list(ids: readonly number[]): string {
  return ids.length === 0 ? "(none)" : ids.join(", ");
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
