/**
 * Sharding (DDIA chapter 6, "Partitioning"; chapter 7, "Sharding", in the second edition).
 *
 *   npx tsx sharding/main.ts              the tour
 *   npx tsx sharding/main.ts <scenario>   one scenario; --help lists them and their flags
 */
import { type Concept, processIo, runCli } from "../shared/cli.js";
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

/**
 * Commander follows "error: unknown option '--vnodes'" with a second line, "(Did you mean
 * --nodes?)", where the CLI promises one line. shared/cli.ts's main() takes no Io, so this entry
 * point runs the CLI itself with stderr folding the hint onto the error line. It can go back to
 * `main(sharding)` once shared/cli.ts's outputError does the same for every concept.
 */
export function oneLineErrors(text: string): string {
  return text.replace(/\n\(Did you mean ([^)\n]*)\)\n?$/, " (did you mean $1)\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const io = processIo();
  runCli(sharding, process.argv.slice(2), {
    ...io,
    stderr: (text) => io.stderr(oneLineErrors(text)),
  }).then((code) => {
    process.exitCode = code;
  });
}
