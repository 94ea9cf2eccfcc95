/** Flags the sharding scenarios share, with their ranges and defaults. */
import { decimal, flag, integer, option } from "../shared/cli.js";

export const nodesOption = (defaultValue: number) =>
  option("--nodes <count>", "storage nodes before one joins", integer(1, 64), defaultValue);
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
