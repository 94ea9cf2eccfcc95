import { describe, expect, it } from "vitest";
import { runFencing } from "../../replication/scenarios/fencing.js";
import { Trace } from "../../shared/trace.js";

describe("fencing tokens", () => {
  it("the storage that checks tokens never accepts an older token after a newer one, whatever the pause", () => {
    for (let seed = 1; seed <= 20; seed++) {
      for (const pause of [0, 50, 120, 200, 300, 1_000]) {
        expect(
          runFencing(Trace.silent(), seed, true, pause).staleWritesAccepted,
          `seed ${seed}, pause ${pause}`,
        ).toBe(0);
      }
    }
  });

  it("without tokens, the paused client's late write is accepted after the new holder's (figure 8-4)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const run = runFencing(Trace.silent(), seed, false, 300);
      expect(run.staleWritesAccepted, `seed ${seed}`).toBe(1);
      expect(run.file.at(-1)).toBe("client-1's data (token 33)");
    }
  });
});
