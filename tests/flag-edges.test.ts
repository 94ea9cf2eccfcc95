/**
 * Every scenario of every concept at the smallest value of each of its numeric flags: a run that
 * completes as the scenario expects (exit 0), or a one-line usage error when the value conflicts
 * with another flag's default (exit 2), never a failed check or a stack trace. The largest values
 * were swept by hand (slow runs: see the closing notes); a sweep of the smallest ones found
 * ownerless keys with one node, a salting scenario that salted nothing, and an anomaly that
 * could not be shown with one order.
 */
import { describe, expect, it } from "vitest";
import { dataModeling } from "../data-modeling/main.js";
import { messageQueue } from "../message-queue/main.js";
import { replication } from "../replication/main.js";
import { sharding } from "../sharding/main.js";
import type { Concept } from "../shared/cli.js";
import { runInProcess } from "./shared/fixtures/cli.js";

const cases = [sharding, dataModeling, replication, messageQueue].flatMap((concept: Concept) =>
  concept.scenarios.flatMap((scenario) =>
    (scenario.options ?? []).flatMap((option) => {
      const min = /^(?:integer|number) (\S+) to /.exec(option.parser?.range ?? "")?.[1];
      const flag = option.flags.split(" ")[0] as string;
      return min === undefined ? [] : [{ concept, name: scenario.name, flag, min }];
    }),
  ),
);

describe("every numeric flag at its smallest value", () => {
  it("covers the flags of all four concepts", () => {
    expect(cases.length).toBeGreaterThan(80);
  });

  it.each(cases)("$concept.folder $name $flag $min", async ({ concept, name, flag, min }) => {
    const result = await runInProcess(concept, [name, flag, min]);
    if (result.code === 2) expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    else {
      expect(result.stdout).toMatch(/run completed as expected/);
      expect(result.code).toBe(0);
    }
  });
});
