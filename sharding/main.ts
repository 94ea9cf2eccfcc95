/**
 * Sharding (DDIA chapter 6, "Partitioning"; chapter 7, "Sharding", in the second edition).
 *
 *   npx tsx sharding/main.ts              the tour
 *   npx tsx sharding/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import {
  compare,
  consistentHashing,
  fixedPartitions,
  hashModN,
  jumpHash,
  rendezvous,
} from "./scenarios/hashing.js";
import { hotKey } from "./scenarios/hot-key.js";
import { dynamicPartitions, keyRange } from "./scenarios/ranges.js";
import { rebalance } from "./scenarios/rebalance.js";
import { secondaryIndex } from "./scenarios/secondary-index.js";

export const sharding: Concept = {
  folder: "sharding",
  description:
    "Partitioning (sharding) data across nodes, simulated and narrated (DDIA chapter 6).",
  scenarios: [
    keyRange,
    hashModN,
    consistentHashing,
    jumpHash,
    rendezvous,
    fixedPartitions,
    dynamicPartitions,
    hotKey,
    secondaryIndex,
    rebalance,
    compare,
  ],
  tour: ["key-range", "hash-mod-n", "consistent-hashing", "hot-key", "rebalance"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(sharding);
