/** Flags the sharding scenarios share, with their ranges and defaults. */
import { decimal, flag, integer, option } from "../shared/cli.js";

/** `--nodes`; `description` says what the nodes are in that scenario (not every one adds a node). */
export const nodesOption = (defaultValue: number, description: string) =>
  option("--nodes <count>", description, integer(1, 64), defaultValue);

/** What `--nodes` means where the experiment adds a node and removes one. */
export const NODES_ADDED_AND_REMOVED = "nodes at the start, before one is added (and one removed)";
export const keysOption = (defaultValue: number, max = 1_000_000, min = 1) =>
  option("--keys <count>", "keys placed", integer(min, max), defaultValue);
export const vnodesOption = (defaultValue: number) =>
  option(
    "--vnodes <count>",
    "virtual nodes (tokens) per node on the ring",
    integer(1, 1024),
    defaultValue,
  );
export const partitionsOption = (defaultValue: number, max = 4096) =>
  option("--partitions <count>", "partitions", integer(1, max), defaultValue);
export const skewOption = (defaultValue: number) =>
  option(
    "--skew <exponent>",
    "Zipf exponent of key popularity (0 = uniform)",
    decimal(0, 5),
    defaultValue,
  );

export const unsafeFlag = flag(
  "--unsafe",
  "broken variant: the old owner drops a partition before the new owner has confirmed it",
);
