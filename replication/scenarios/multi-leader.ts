/**
 * Two datacenters, a leader in each, concurrent writes to the same key, and three ways to resolve
 * the conflict (DDIA ch. 5, "Multi-Leader Replication": "Handling Write Conflicts").
 */

import { assert } from "../../shared/assert.js";
import { faultOptions, integer, option, type Scenario } from "../../shared/cli.js";
import { type FaultFlags, injectFaults } from "../../shared/faults.js";
import { Network } from "../../shared/network.js";
import { Random } from "../../shared/random.js";
import { Simulation } from "../../shared/simulation.js";
import { type Cell, Trace } from "../../shared/trace.js";
import { MultiLeader, type MultiLeaderMessage, type Resolution } from "../multi-leader.js";
import { REF } from "../refs.js";
import { describeLoss } from "./loss-option.js";

export interface LeaderWrite {
  id: string;
  leader: string;
  key: string;
  value: string;
  atMs: number;
}

/**
 * Figure 5-7's conflict, then a stream of writes from both sides to a few keys. User 2 writes
 * `secondAtMs` after user 1, which must be sooner than user 1's write can cross the WAN.
 */
export function multiLeaderWrites(random: Random, writes: number, secondAtMs = 5): LeaderWrite[] {
  const out: LeaderWrite[] = [
    { id: "user-1", leader: "dc1", key: "title", value: "B", atMs: 0 },
    { id: "user-2", leader: "dc2", key: "title", value: "C", atMs: secondAtMs },
  ];
  for (let i = 0; i < writes; i++) {
    out.push({
      id: `w${i}`,
      leader: random.pick(["dc1", "dc2"]),
      key: random.pick(["x", "y", "z"]),
      value: `v${i}`,
      atMs: 200 + random.uniform(0, 2_000),
    });
  }
  return out;
}

export interface MultiLeaderOptions extends FaultFlags {
  seed: number;
  resolution: Resolution;
  writes: LeaderWrite[];
  /** One-way latency between the datacenters: from wanMs to twice that. */
  wanMs: number;
}

export interface MultiLeaderRun {
  leaders: MultiLeader[];
  /** Writes made while their datacenter's leader was down: refused, never accepted. */
  refused: LeaderWrite[];
  /**
   * Accepted writes that no leader holds at the end and that no later write saw (a leader's write
   * to a key supersedes the values that leader holds for it, as a read just before the write
   * would return them): discarded without anyone having read them.
   */
  silentlyLost: LeaderWrite[];
  converged: boolean;
  conflicts: number;
}

/**
 * Two leaders on the simulated network, dc2's clock 15 ms fast, users' writes made directly at
 * their own datacenter's leader (a user reaches only the nearby one), and the given faults on the
 * leaders and the link between them while the writes go on. The run ends once each leader's log
 * has reached the other.
 */
export function runMultiLeader(trace: Trace, options: MultiLeaderOptions): MultiLeaderRun {
  const sim = new Simulation({ seed: options.seed, trace });
  const net = new Network<MultiLeaderMessage>(sim, {
    latencyMsMin: options.wanMs,
    latencyMsMax: 2 * options.wanMs,
    loss: options.loss,
    duplicate: options.duplicate,
  });
  const ids = ["dc1", "dc2"];
  const leaders = ids.map((id) =>
    net.add(
      new MultiLeader(id, net, {
        peers: ids.filter((p) => p !== id),
        resolution: options.resolution,
        heartbeatMs: 50,
      }),
    ),
  );
  (leaders[1] as MultiLeader).clock.offsetMs = 15;
  const byId = new Map(leaders.map((l) => [l.id, l]));
  const accepted = new Set<string>();
  /** The values some later write saw: held by its leader when it was made, so knowingly replaced. */
  const seen = new Set<string>();
  const refused: LeaderWrite[] = [];
  const values = new Set(options.writes.map((w) => w.value));
  assert(values.size === options.writes.length, "every write must carry its own value");
  for (const w of options.writes) {
    sim.at(w.atMs, () => {
      const leader = byId.get(w.leader) as MultiLeader;
      if (leader.crashed) {
        refused.push(w);
        return;
      }
      for (const v of leader.values(w.key)) seen.add(v.value);
      leader.write(w.key, w.value);
      accepted.add(w.id);
    });
  }
  const lastWriteMs = Math.max(0, ...options.writes.map((w) => w.atMs));
  injectFaults(net, ids, options, {
    startMs: 100,
    endMs: Math.max(lastWriteMs, 200),
    durationMsMin: 100,
    durationMsMax: 600,
  });
  sim.runUntil(
    () => sim.now > lastWriteMs && leaders.every((l) => !l.crashed && l.replicated),
    // Generous: a hundred round trips across the WAN, for retransmissions under loss.
    lastWriteMs + 400 * options.wanMs + 10_000,
  );

  const final = leaders[0] as MultiLeader;
  const silentlyLost = options.writes.filter(
    (w) =>
      accepted.has(w.id) &&
      !seen.has(w.value) &&
      !leaders.some((l) => l.values(w.key).some((v) => v.value === w.value)),
  );
  return {
    leaders,
    refused,
    silentlyLost,
    converged: leaders.every((l) => l.snapshot() === final.snapshot()),
    conflicts: leaders.reduce((sum, l) => sum + l.conflicts, 0),
  };
}

/** "27 lost, among them title=B, z=v0, y=v1", or the whole list when it is short. */
function describeLost(lost: readonly LeaderWrite[]): string {
  if (lost.length === 0) return "none lost";
  const listed = lost.slice(0, 3).map((w) => `${w.key}=${w.value}`);
  return `${lost.length} lost${lost.length > 3 ? ", among them" : ":"} ${listed.join(", ")}`;
}

export const multiLeader: Scenario<{ writes: number; wan: number } & FaultFlags> = {
  name: "multi-leader",
  networked: true,
  summary:
    "a leader per datacenter, concurrent writes to one key: last write wins loses data, siblings keep it, a merge combines it",
  options: [
    option(
      "--writes <count>",
      "writes from both datacenters after the first conflict",
      integer(0, 100_000),
      200,
    ),
    option(
      "--wan <ms>",
      "replication delay between the datacenters (plus up to as much again)",
      integer(1, 10_000),
      40,
    ),
    ...describeLoss(
      faultOptions({ loss: 0, duplicate: 0, crash: 0, partition: 0 }, "leader"),
      "at most 0.5, since a leader paces its resends by the round trip it measures and, while no acknowledgement comes, backs off as TCP does, and over a WAN that loses more the backoff can outlast the run (at 1 the datacenters could never settle their conflicts)",
      0.5,
    ),
  ],
  run: ({ trace, seed }, options) => {
    // Before user 1's write can reach dc2, however short the WAN delay is made.
    const second = Math.min(5, options.wan / 2);
    trace.section("Figure 5-7: the same title changed in two datacenters at once", REF.multiLeader);
    trace.note(
      `User 1 sets a wiki page's title to B at the leader in dc1; ${second} ms later user 2 sets it to C at the leader in dc2. Each leader accepts its write at once and replicates it asynchronously (${options.wan} to ${2 * options.wan} ms across the WAN); when each receives the other's write, it has a conflict. dc2's clock runs 15 ms fast. Then ${options.writes} writes to x, y and z from both sides. A partition between the two leaders (--partition) cuts the WAN: both keep accepting writes, and the conflicts wait for the link.`,
      { ref: REF.multiLeader },
    );
    const rows: Cell[][] = [];
    const results = new Map<Resolution, ReturnType<typeof runMultiLeader>>();
    const writes = multiLeaderWrites(new Random(seed).fork("writes"), options.writes, second);
    for (const resolution of ["lww", "siblings", "merge"] as const) {
      // The same seed, so the same delays and faults for each strategy; the first run narrates them.
      const run = runMultiLeader(resolution === "lww" ? trace : Trace.silent(), {
        ...options,
        seed,
        resolution,
        writes,
        wanMs: options.wan,
      });
      results.set(resolution, run);
      const title = run.leaders[0]?.read("title") ?? [];
      rows.push([
        resolution === "lww" ? "last write wins" : resolution,
        title.join(" | "),
        run.conflicts,
        run.silentlyLost.length,
        run.converged ? "yes" : "no",
        ...(options.crash > 0 ? [run.refused.length] : []),
      ]);
    }
    trace.table(
      "Resolving the conflicts",
      [
        "strategy",
        "final title",
        "conflicts",
        "writes silently lost",
        "datacenters agree",
        ...(options.crash > 0 ? ["writes refused (leader down)"] : []),
      ],
      rows,
      "Conflicts: replicated writes that arrived concurrent with a value the receiving leader held, counted at each leader. A write is silently lost when it was accepted, yet no leader holds it at the end and no later write saw it (a leader's write replaces what that leader holds for the key, as a read just before it would return): nobody ever read it. A write its own leader replaced before the other's arrived was seen, so a conflict need not lose one. Last write wins converges by discarding: it keeps the write with the later timestamp (C here), and since dc2's clock runs 15 ms fast, dc2 wins every race closer than that, whatever the real order. Siblings keep both values for the application to resolve; the merge shows them as one.",
    );
    const lww = results.get("lww");
    const siblings = results.get("siblings");
    const merge = results.get("merge");
    trace.check(
      "every strategy makes both datacenters agree",
      [lww, siblings, merge].every((r) => r?.converged === true),
    );
    trace.check(
      "last write wins discards no write silently",
      (lww?.silentlyLost.length ?? 0) === 0,
      {
        expected: false,
        detail: describeLost(lww?.silentlyLost ?? []),
        ref: REF.lastWriteWins,
      },
    );
    trace.check(
      "siblings and the merge discard no write silently",
      (siblings?.silentlyLost.length ?? 1) === 0 && (merge?.silentlyLost.length ?? 1) === 0,
    );
    trace.check("figure 5-7's merged title is B/C", merge?.leaders[0]?.read("title")[0] === "B/C");
  },
};
