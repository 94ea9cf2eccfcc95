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
import { counted } from "../words.js";

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
    nodesOption(4, "nodes that the 256 partitions are spread over"),
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
      `${counted(requests, "write")} (say, likes) ${requests === 1 ? "goes" : "go"} to ${counted(keys, "user key")} with Zipf popularity (exponent ${skew}): key rank r is chosen with weight 1/r^${skew}, ${skew === 0 ? `which is uniform: there is no celebrity, and ${CELEBRITY} is simply the key we follow` : keys === 1 ? `and ${CELEBRITY} is the only key` : `so ${CELEBRITY} is the celebrity`}. Keys are hash-partitioned: 256 partitions spread over ${counted(nodes, "node")}.`,
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
      celebrityWrites === 0
        ? `${CELEBRITY} received none of the ${counted(requests, "write")}; any write to it would land on ${celebrityNode}: hashing spreads keys, not the load of a single key.`
        : `${CELEBRITY} alone takes ${percent(celebrityWrites / requests)} of all writes (${celebrityWrites}), and ${celebrityWrites === 1 ? "it lands" : "every one of them lands"} on ${celebrityNode}: hashing spreads keys, not the load of a single key.`,
      { level: "summary", ref: REF.skew },
    );

    trace.section(
      `Salting the ${hotKeys.size === 1 ? (skew === 0 ? "first key" : "hottest key") : skew === 0 ? `first ${hotKeys.size} keys by rank` : `${hotKeys.size} hottest keys`} with ${counted(salt, "random suffix", "random suffixes")}`,
      REF.skew,
    );
    // Where the salted sub-keys of the celebrity live, before any write is counted.
    const subKeyNodes = new Set(
      Array.from({ length: salt }, (_, r) =>
        ring.ownerOf(`${CELEBRITY}#${String(r).padStart(2, "0")}`),
      ),
    );
    const others = hotKeys.size - 1;
    trace.note(
      `${
        salt === 1
          ? `With a single suffix, salting changes nothing: every write to ${CELEBRITY} goes to ${CELEBRITY}#00, one key on one node.`
          : `Each write to ${CELEBRITY} now goes to one of ${CELEBRITY}#00 … #${String(salt - 1).padStart(2, "0")}, chosen at random (the book appends a two-digit random number, 100 suffixes), and those sub-keys hash independently: here they live on ${counted(subKeyNodes.size, "node")}.`
      }${others === 0 ? "" : ` The same goes for the other ${skew === 0 ? counted(others, "salted key") : counted(others, "hottest key")}.`} Only the salted keys are split, and the application must keep track of which ones they are.`,
      { ref: REF.skew },
    );
    trace.bars(
      "Writes per node, hot keys salted",
      [...saltedLoad].map(([label, value]) => ({ label, value })),
      "writes",
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
      `${
        celebrityWrites === 0
          ? `Salted, ${CELEBRITY} still has no write`
          : celebrityWrites === 1
            ? `Salted, ${CELEBRITY}'s one write lands on ${[...celebrityWritesByNode.keys()].join("")}`
            : celebrityWritesByNode.size === 1
              ? `Salted, ${CELEBRITY}'s ${celebrityWrites} writes all land on ${[...celebrityWritesByNode.keys()].join("")}`
              : `Salted, ${CELEBRITY}'s ${celebrityWrites} writes land on ${celebrityWritesByNode.size} nodes, at most ${mostOnOneNode} on one`
      }; the busiest node's load ÷ mean goes from ${before.toFixed(2)} to ${after.toFixed(2)}.`,
      { level: "summary" },
    );
    // Salting can spread the writes only if there are two writes at least and the sub-keys live
    // on several nodes; otherwise there is nothing to judge. Random suffixes may still put every
    // write on one node by chance: with a share s_n of the sub-keys on node n and W writes, that
    // happens with probability sum over n of s_n^W. The check judges only when that chance is
    // below one in a million, so a correct run never fails it.
    const spreads = "salting spreads the celebrity's writes over several nodes";
    const gathers = "a read that gathers all sub-keys sees every write to the celebrity";
    const subKeysPerNode = new Map<string, number>();
    for (let r = 0; r < salt; r++) {
      const owner = ring.ownerOf(`${CELEBRITY}#${String(r).padStart(2, "0")}`);
      subKeysPerNode.set(owner, (subKeysPerNode.get(owner) ?? 0) + 1);
    }
    const allOnOneChance = [...subKeysPerNode.values()].reduce(
      (sum, count) => sum + (count / salt) ** celebrityWrites,
      0,
    );
    if (subKeyNodes.size < 2) {
      trace.notExercised(
        spreads,
        `${salt === 1 ? `the one sub-key of ${CELEBRITY} lives` : `all ${salt} sub-keys of ${CELEBRITY} live`} on ${[...subKeyNodes].join("")}: there is no other node to spread to`,
      );
    } else if (celebrityWrites < 2 || allOnOneChance > 1e-6) {
      trace.notExercised(
        spreads,
        celebrityWrites === 0
          ? `no write went to ${CELEBRITY}: there is nothing to spread`
          : celebrityWrites === 1
            ? `one write to ${CELEBRITY}: it is on one node, salted or not`
            : `${celebrityWrites} writes to ${CELEBRITY}: too few to judge (they all land on one node with probability ${allOnOneChance.toPrecision(2)})`,
      );
    } else {
      trace.check(spreads, mostOnOneNode < celebrityWrites, {
        detail: `on ${counted(celebrityWritesByNode.size, "node")}; unsalted, all were on ${celebrityNode}`,
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
