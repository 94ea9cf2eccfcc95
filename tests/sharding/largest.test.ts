/**
 * tests/sharding/largest.ts stays in step with the scenarios: one entry per scenario, and every
 * integer flag that is a size (not a fault count) at the top of its range. The runs themselves are
 * timed by `npm run bench` and run by the flag-edge test, not here.
 */
import { describe, expect, it } from "vitest";
import { sharding } from "../../sharding/main.js";
import { largest } from "./largest.js";

/** Integer flags that count faults or set a rate, not the size of the data or the cluster. */
const notSizes = new Set(["--crash", "--partition"]);

describe("the largest runs", () => {
  it("name every scenario once", () => {
    expect(largest.map((l) => l.args[0]).sort()).toEqual(
      sharding.scenarios.map((s) => s.name).sort(),
    );
  });

  it.each(largest.map((l) => [l.args[0], l.args] as const))(
    "%s sets every size flag to its maximum",
    (name, args) => {
      const scenario = sharding.scenarios.find((s) => s.name === name);
      const expected: string[] = [];
      for (const option of scenario?.options ?? []) {
        const max = /^integer \S+ to (\S+)$/.exec(option.parser?.range ?? "")?.[1];
        const flag = option.flags.split(" ")[0] as string;
        if (max !== undefined && !notSizes.has(flag)) expected.push(flag, max);
      }
      expect(args.slice(1)).toEqual(expected);
    },
  );
});
