import { faultOptions, integer, option, type Scenario } from "../../shared/cli.js";
import { keysOption, nodesOption, partitionsOption, unsafeFlag } from "../options.js";
import { REBALANCE_DEFAULTS, type RebalanceOptions, runRebalance } from "../rebalance/scenario.js";

export const rebalance: Scenario<Omit<RebalanceOptions, "seed">> = {
  name: "rebalance",
  networked: true,
  summary: "a node joins under load and partitions move to it over a faulty network",
  options: [
    nodesOption(REBALANCE_DEFAULTS.nodes, "storage nodes before one more joins"),
    partitionsOption(REBALANCE_DEFAULTS.partitions, 256),
    keysOption(REBALANCE_DEFAULTS.keys, 10_000),
    option(
      "--clients <count>",
      "clients issuing reads and writes",
      integer(1, 32),
      REBALANCE_DEFAULTS.clients,
    ),
    ...faultOptions(REBALANCE_DEFAULTS),
    unsafeFlag,
  ],
  run: ({ trace, seed }, options) => {
    runRebalance(trace, { ...options, seed });
  },
};
