/**
 * Sharding (DDIA chapter 6, "Partitioning"; chapter 7, "Sharding", in the second edition).
 *
 *   npx tsx sharding/main.ts              the tour
 *   npx tsx sharding/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, main } from "../shared/cli.js";
import { rebalance } from "./scenarios/rebalance.js";

export const sharding: Concept = {
  folder: "sharding",
  description:
    "Partitioning (sharding) data across nodes, simulated and narrated (DDIA chapter 6).",
  scenarios: [rebalance],
  tour: ["rebalance"],
};

if (import.meta.url === `file://${process.argv[1]}`) main(sharding);
