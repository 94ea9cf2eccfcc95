/** A paused lease holder writes after its lease expired: with and without fencing tokens (DDIA ch. 8). */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import type { Trace } from "../../shared/trace.js";
import { type FencingMessage, LeaseClient, LockService, Storage } from "../fencing/fencing.js";
import { REF } from "../refs.js";

export interface FencingRun {
  file: readonly string[];
  /** Accepted writes whose token is older than a write accepted before them: a stale lease holder got through. */
  staleWritesAccepted: number;
}

export function runFencing(
  trace: Trace,
  seed: number,
  fencing: boolean,
  pauseMs: number,
): FencingRun {
  const sim = new Simulation({ seed, trace });
  const net = new Network<FencingMessage>(sim, { latencyMsMin: 1, latencyMsMax: 5 });
  net.add(new LockService("lock", net, 100));
  const storage = net.add(new Storage("storage", net, fencing));
  const client1 = net.add(new LeaseClient("client-1", net, pauseMs));
  const client2 = net.add(new LeaseClient("client-2", net, 0));
  sim.at(0, () => client1.acquire());
  sim.at(150, () => client2.acquire());
  sim.run(1_000);
  const tokens = storage.tokens;
  const stale = tokens.filter((t, i) => tokens.slice(0, i).some((earlier) => earlier > t)).length;
  return { file: storage.file, staleWritesAccepted: stale };
}

export const fencing: Scenario<{ pause: number }> = {
  name: "fencing",
  networked: true,
  summary:
    "a lease holder pauses, its lease expires, and it writes anyway: fencing tokens stop the late write",
  options: [
    option(
      "--pause <ms>",
      "length of client-1's garbage-collection pause",
      integer(0, 10_000),
      300,
    ),
  ],
  run: ({ trace, seed }, { pause }) => {
    trace.section("Without fencing: the storage trusts whoever writes", REF.fencing);
    trace.note(
      "client-1 takes a 100 ms lease on a file, then stops in a garbage-collection pause. The lease expires; at 150 ms client-2 takes it and writes. client-1 wakes up, still believing it holds the lease, and writes too (figure 8-4).",
      { ref: REF.fencing },
    );
    const unfenced = runFencing(trace, seed, false, pause);
    trace.note(
      unfenced.staleWritesAccepted > 0
        ? `The file now ends with ${unfenced.file.at(-1)}: client-2's write has been overwritten by a client whose lease had expired.`
        : `With a ${pause} ms pause, client-1 wrote before client-2 took the lease, so nothing was overwritten; try --pause 300.`,
    );
    trace.section("With fencing tokens: the storage remembers the newest token", REF.fencing);
    trace.note(
      "Every grant carries a larger token; the storage refuses a write whose token is older than one it has already accepted (figure 8-5).",
      {
        ref: REF.fencing,
      },
    );
    const fenced = runFencing(trace, seed, true, pause);
    // The stale write can only follow a newer one if client-1 sleeps past client-2's grant at 150 ms.
    const staleIsPossible = pause > 150;
    trace.check(
      "without fencing, no write from an older lease lands after a newer one",
      unfenced.staleWritesAccepted === 0,
      {
        expected: !staleIsPossible,
        detail: `${unfenced.staleWritesAccepted} accepted`,
      },
    );
    trace.check(
      "with fencing tokens, no write from an older lease lands after a newer one",
      fenced.staleWritesAccepted === 0,
      {
        ref: REF.fencing,
        detail: `file: ${fenced.file.join("; ")}`,
      },
    );
  },
};
