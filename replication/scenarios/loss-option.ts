/**
 * `--loss` as each scenario takes it. What a starved run means differs by scenario, so each says
 * in `--help` what happens near 1: checks that come out not exercised, or a range that stops
 * short of where the scenario cannot show its point (issue 9: a flag in its range must not make a
 * run fail merely by starving it).
 */

import { decimal, type OptionSpec, option, probability } from "../../shared/cli.js";

/** `options` (from faultOptions) with `--loss` described as `description`, up to `max`. */
export function describeLoss(
  options: readonly OptionSpec[],
  description: string,
  max = 1,
): OptionSpec[] {
  return options.map((o) =>
    o.flags.startsWith("--loss ")
      ? option(
          "--loss <p>",
          `probability that a message is lost; ${description}`,
          max === 1 ? probability : decimal(0, max),
          o.default as number,
        )
      : o,
  );
}
