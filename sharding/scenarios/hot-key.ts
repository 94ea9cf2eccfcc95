/**
 * A celebrity key under a skewed workload, and the book's remedy: salt the hot key with a random
 * suffix so its writes spread over k keys, at the price of reads that must gather all k
 * (DDIA ch. 6, "Skewed Workloads and Relieving Hot Spots").
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { maxOverMean, percent } from "../../shared/stats.js";
import { nodeNames } from "../measure.js";
import { keysOption, nodesOption, skewOption } from "../options.js";
import { FixedPartitions } from "../placement.js";
import { REF } from "../refs.js";

interface HotKeyOptions {
  nodes: number;
  keys: number;
  skew: number;
  requests: number;
  salt: number;
  hot: number;
}

const CELEBRITY = "user:1";

export const hotKey: Scenario<HotKeyOptions> = {
  name: "hot-key",
  summary: "a Zipf workload's celebrity key overloads one node; salting spreads it, reads fan out",
  options: [
    nodesOption(4),
    keysOption(1_000, 100_000),
    skewOption(1.2),
    option("--requests <count>", "writes in the workload", integer(1, 1_000_000), 20_000),
    option("--hot <count>", "how many of the most popular keys are salted", integer(1, 1_000), 5),
    option(
      "--salt <k>",
      "random suffixes appended to the hot key (the book uses two digits: 100)",
      integer(1, 100),
      100,
    ),
  ],
  run: ({ trace, seed }, { nodes, keys, skew, requests, salt, hot }) => {
    const random = new Random(seed).fork("workload");
    const ring = FixedPartitions.create(nodeNames(nodes), 256);
    trace.section("A celebrity key under a Zipf workload", REF.skew);
    trace.note(
      `${requests} writes (say, likes) go to ${keys} user keys with Zipf popularity (exponent ${skew}): key rank r is chosen with weight 1/r^${skew}, so ${CELEBRITY} is the celebrity. Keys are hash-partitioned: 256 partitions spread over ${nodes} nodes.`,
      { ref: REF.skew },
    );

    const hotKeys = new Set(Array.from({ length: Math.min(hot, keys) }, (_, i) => `user:${i + 1}`));
    // Each write is a +1 on a counter. Salted, a write to the celebrity picks one of k sub-keys.
    const plainLoad = new Map(ring.nodes.map((n) => [n, 0]));
    const saltedLoad = new Map(ring.nodes.map((n) => [n, 0]));
    const saltedCounters = new Map<string, number>();
    let celebrityWrites = 0;
    for (let i = 0; i < requests; i++) {
      const key = `user:${random.zipf(keys, skew)}`;
      plainLoad.set(ring.ownerOf(key), (plainLoad.get(ring.ownerOf(key)) ?? 0) + 1);
      let saltedKey = key;
      if (hotKeys.has(key)) {
        saltedKey = `${key}#${String(random.int(0, salt - 1)).padStart(2, "0")}`;
        saltedCounters.set(saltedKey, (saltedCounters.get(saltedKey) ?? 0) + 1);
      }
      if (key === CELEBRITY) celebrityWrites++;
      const owner = ring.ownerOf(saltedKey);
      saltedLoad.set(owner, (saltedLoad.get(owner) ?? 0) + 1);
    }
    const celebrityNode = ring.ownerOf(CELEBRITY);
    trace.bars(
      "Writes per node, plain keys",
      [...plainLoad].map(([label, value]) => ({ label, value })),
      "writes",
    );
    trace.note(
      `${CELEBRITY} alone takes ${percent(celebrityWrites / requests)} of all writes, and every one of them lands on ${celebrityNode}: hashing spreads keys, not the load of a single key.`,
      { level: "summary", ref: REF.skew },
    );

    trace.section(
      `Salting the ${hotKeys.size} hottest key(s) with ${salt} random suffixes`,
      REF.skew,
    );
    trace.note(
      `Each write to ${CELEBRITY} now goes to one of ${CELEBRITY}#00 … #${String(salt - 1).padStart(2, "0")}, chosen at random (the book's two-digit random number), and those sub-keys hash to different nodes. The same goes for the other ${Math.max(0, hotKeys.size - 1)} hottest keys. Only those are salted: the application must keep track of which keys are split.`,
      { ref: REF.skew },
    );
    trace.bars(
      "Writes per node, hot keys salted",
      [...saltedLoad].map(([label, value]) => ({ label, value })),
      "writes",
    );
    const subKeyNodes = new Set(
      Array.from({ length: salt }, (_, r) =>
        ring.ownerOf(`${CELEBRITY}#${String(r).padStart(2, "0")}`),
      ),
    );
    const readTotal = Array.from(
      { length: salt },
      (_, r) => saltedCounters.get(`${CELEBRITY}#${String(r).padStart(2, "0")}`) ?? 0,
    ).reduce((a, b) => a + b, 0);
    const before = maxOverMean([...plainLoad.values()]);
    const after = maxOverMean([...saltedLoad.values()]);
    trace.table(
      "What salting buys and what it costs",
      ["measure", "plain", "salted"],
      [
        ["write load, busiest node ÷ mean", before.toFixed(2), after.toFixed(2)],
        ["requests to read the celebrity's count", 1, salt],
        ["nodes a celebrity read touches", 1, subKeyNodes.size],
      ],
      "Reads of the hot key must fetch all k sub-keys and add them up; reads of every other key are unchanged.",
    );
    // Where the celebrity's own writes landed once salted: on how many nodes, and the most on one.
    const celebrityWritesByNode = new Map<string, number>();
    for (const [subKey, count] of saltedCounters) {
      if (!subKey.startsWith(`${CELEBRITY}#`)) continue;
      const owner = ring.ownerOf(subKey);
      celebrityWritesByNode.set(owner, (celebrityWritesByNode.get(owner) ?? 0) + count);
    }
    const mostOnOneNode = Math.max(0, ...celebrityWritesByNode.values());
    trace.note(
      `Salted, the celebrity's ${celebrityWrites} writes land on ${celebrityWritesByNode.size} node(s), at most ${mostOnOneNode} on one; the busiest node's load ÷ mean goes from ${before.toFixed(2)} to ${after.toFixed(2)}.`,
      { level: "summary" },
    );
    // Salting can spread the writes only if there are two writes at least and the sub-keys live
    // on several nodes; otherwise there is nothing to judge. With enough writes, random suffixes
    // then reach more than one node (all 20 or more on one node of several would take odds below
    // one in ten million); with fewer, they may all land on one by chance.
    const spreads = "salting spreads the celebrity's writes over several nodes";
    const gathers = "a read that gathers all sub-keys sees every write to the celebrity";
    if (celebrityWrites < 2) {
      trace.notExercised(
        spreads,
        `${celebrityWrites} write(s) to ${CELEBRITY}: too few to be on several nodes`,
      );
    } else if (subKeyNodes.size < 2) {
      trace.notExercised(
        spreads,
        `all ${salt} sub-key(s) of ${CELEBRITY} live on ${[...subKeyNodes].join("")}: there is no other node to spread to`,
      );
    } else {
      trace.check(spreads, mostOnOneNode < celebrityWrites, {
        expected: hotKeys.has(CELEBRITY) && celebrityWrites >= 20,
        detail: `on ${celebrityWritesByNode.size} node(s); unsalted, all were on ${celebrityNode}`,
      });
    }
    if (celebrityWrites === 0) {
      trace.notExercised(gathers, `no write went to ${CELEBRITY}`);
    } else {
      trace.check(gathers, readTotal === celebrityWrites, {
        detail: `${readTotal} = ${celebrityWrites} likes`,
      });
    }
  },
};
