/** Flags the data-modeling scenarios share. */
import { integer, option } from "../shared/cli.js";

export const profilesOption = (defaultValue: number) =>
  option("--profiles <count>", "profiles stored in each model", integer(1, 10_000), defaultValue);
