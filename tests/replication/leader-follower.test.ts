import { describe, expect, it } from "vitest";
import type { LeaderFollowerMessage } from "../../replication/leader-follower/messages.js";
import { Replica, SWITCHES_NARRATED } from "../../replication/leader-follower/replica.js";
import { runLeaderFollower } from "../../replication/leader-follower/run.js";
import { checkLinearizable, kvModel, registerModel } from "../../shared/check/linearizability.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace } from "../../shared/trace.js";
import { testDir } from "../shared/fixtures/temp.js";

const base = { followers: 2, clients: 3, operations: 40, failover: false, latencyMsMax: 10 };
const NO_FAULTS = { loss: 0, duplicate: 0, crash: 0, partition: 0 };

describe("single-leader replication", () => {
  it("synchronous replication never acknowledges a write a follower lacks; asynchronous does", () => {
    let asyncAhead = 0;
    for (let seed = 1; seed <= 30; seed++) {
      expect(
        runLeaderFollower(Trace.silent(), { ...base, seed, mode: "sync", readFrom: "leader" })
          .ackedAheadOfFollowers,
        `seed ${seed}`,
      ).toBe(0);
      asyncAhead += runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
      }).ackedAheadOfFollowers;
    }
    expect(asyncAhead).toBeGreaterThan(0);
  });

  it("reads from the leader pass the linearizability checker; reads from lagging followers fail it on some seeds", () => {
    let followerFailures = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const leader = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
      });
      expect(checkLinearizable(kvModel, leader.history).linearizable, `seed ${seed}`).toBe(true);
      const followers = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "followers",
      });
      if (!checkLinearizable(kvModel, followers.history).linearizable) followerFailures++;
    }
    expect(followerFailures).toBeGreaterThan(0);
  });

  it("keeps both guarantees under loss, duplication, crashes and partitions (the fault flags), over 60 seeds", () => {
    const failures: string[] = [];
    let unknown = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const faults = {
        loss: [0.05, 0.1, 0.2][seed % 3] as number,
        duplicate: 0.1,
        crash: 1 + (seed % 3),
        partition: 1 + (seed % 2),
      };
      const sync = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "sync",
        readFrom: "leader",
        faults,
      });
      if (sync.ackedAheadOfFollowers > 0) failures.push(`seed ${seed}: sync acknowledged ahead`);
      const leader = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
        faults,
      });
      if (!checkLinearizable(kvModel, leader.history).linearizable)
        failures.push(`seed ${seed}: leader reads not linearizable`);
      unknown += leader.history.filter((op) => op.outcome !== "ok").length;
    }
    expect(failures).toEqual([]);
    // The faults did bite: operations timed out or were refused, and the checker had to allow for them.
    expect(unknown).toBeGreaterThan(60);
  });

  it("naive failover with asynchronous replication loses acknowledged writes and runs two leaders at once", () => {
    let lossRuns = 0;
    let splitRuns = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "async",
        readFrom: "leader",
        failover: true,
        cutLeader: { atMs: 200, healAtMs: 500 },
      });
      if (r.lost.length > 0) lossRuns++;
      if (r.splitBrainMs > 0) splitRuns++;
      expect(r.finalLeader).not.toBe("r1");
    }
    expect(lossRuns).toBeGreaterThan(10);
    expect(splitRuns).toBe(20);
  });
});

describe("semi-synchronous replication (DDIA ch. 5, Synchronous Versus Asynchronous Replication)", () => {
  const slowFollower = { follower: "r2", fromMs: 100, toMs: 400, latencyMs: 100 };

  it("keeps acknowledging while its synchronous follower is slow, by making another follower synchronous, over 30 seeds", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const semiSync = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "semi-sync",
        readFrom: "leader",
        slowFollower,
      });
      // Waiting for r2 alone (as synchronous replication does), the leader acknowledges at most 6
      // writes in the 300 ms that r2 is slow; with r3 made synchronous, 18 or more.
      expect(semiSync.acknowledgedWhileSlow, `seed ${seed}`).toBeGreaterThanOrEqual(10);
      expect(semiSync.ackedOnLeaderOnly, `seed ${seed}`).toBe(0);
      const neverSwitching = runLeaderFollower(Trace.silent(), {
        ...base,
        seed,
        mode: "semi-sync",
        readFrom: "leader",
        slowFollower,
        syncTimeoutMs: 100_000,
      });
      expect(neverSwitching.acknowledgedWhileSlow, `seed ${seed}`).toBeLessThanOrEqual(6);
    }
  });

  it("never acknowledges a write that is on the leader only, under loss, duplication, crashes and partitions, over 60 seeds", () => {
    let acknowledged = 0;
    let asyncLeaderOnly = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const faults = {
        loss: [0.05, 0.1, 0.2][seed % 3] as number,
        duplicate: 0.1,
        crash: 1 + (seed % 3),
        partition: 1 + (seed % 2),
      };
      const run = (mode: "semi-sync" | "async") =>
        runLeaderFollower(Trace.silent(), {
          ...base,
          seed,
          mode,
          readFrom: "leader",
          faults,
          slowFollower,
        });
      const semiSync = run("semi-sync");
      expect(semiSync.ackedOnLeaderOnly, `seed ${seed}`).toBe(0);
      acknowledged += semiSync.acknowledgedWrites.length;
      asyncLeaderOnly += run("async").ackedOnLeaderOnly;
    }
    expect(acknowledged).toBeGreaterThan(1_000);
    // The measure catches a leader that acknowledges alone: asynchronous replication does.
    expect(asyncLeaderOnly).toBeGreaterThan(0);
  });
});

describe("a semi-synchronous leader, message by message", () => {
  /** A leader r1 with followers r2 (synchronous) and r3; every message it sends is recorded, none delivered. */
  function leader(followers = ["r2", "r3"]) {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<LeaderFollowerMessage>(sim, { loss: 1 });
    const r1 = net.add(
      new Replica("r1", net, { mode: "semi-sync", heartbeatMs: 1_000, syncTimeoutMs: 40 }, true, [
        ...followers,
      ]),
    );
    let seen = 0;
    /** The messages sent since the last call, as "to: type lsn/requestId". */
    const sent = () => {
      const out = trace.events.slice(seen).flatMap((e) => {
        if (e.kind !== "send") return [];
        const m = e.msg as LeaderFollowerMessage;
        const what =
          m.type === "Replicate"
            ? `entries ${m.entries.map((x) => x.lsn).join(",")}`
            : m.type === "WriteOk"
              ? `${m.requestId} lsn ${m.lsn}`
              : "";
        return [`${e.to}: ${m.type} ${what}`.trim()];
      });
      seen = trace.events.length;
      return out;
    };
    const notes = () =>
      trace.events.flatMap((e) => (e.kind === "note" && e.node === "r1" ? [e.text] : []));
    return { sim, r1, sent, notes };
  }
  const write = { type: "Write", requestId: "c-1", key: "k", value: "v" } as const;

  it("answers once the synchronous follower acknowledges, whatever the asynchronous ones do", () => {
    const { r1, sent } = leader();
    r1.receive("client", write);
    expect(sent()).toEqual(["r2: Replicate entries 1", "r3: Replicate entries 1"]);
    r1.receive("r3", { type: "ReplicateAck", lsn: 1 });
    expect(sent()).toEqual([]);
    r1.receive("r2", { type: "ReplicateAck", lsn: 1 });
    expect(sent()).toEqual(["client: WriteOk c-1 lsn 1"]);
    expect(r1.synchronousFollower).toBe("r2");
  });

  it("makes the most up-to-date asynchronous follower synchronous when the synchronous one has not answered within the timeout", () => {
    const { sim, r1, sent, notes } = leader(["r2", "r3", "r4"]);
    r1.receive("client", write);
    sent();
    r1.receive("r3", { type: "ReplicateAck", lsn: 1 });
    sim.run(39);
    expect(sent()).toEqual([]);
    expect(r1.synchronousFollower).toBe("r2");
    sim.run(40);
    // r3 holds LSN 1, r4 nothing: r3 becomes synchronous, and the waiting write is released at once.
    expect(r1.synchronousFollower).toBe("r3");
    expect(sent()).toEqual(["client: WriteOk c-1 lsn 1"]);
    expect(notes().at(-1)).toMatch(
      /^has no acknowledgement of LSN 1 from r2 after 40 ms: .* makes r3/,
    );
    // r2 is asynchronous now: its late acknowledgement releases nothing, and the next write waits for r3.
    r1.receive("r2", { type: "ReplicateAck", lsn: 1 });
    r1.receive("client", { ...write, requestId: "c-2", value: "w" });
    expect(sent()).toEqual([
      "r2: Replicate entries 2",
      "r3: Replicate entries 2",
      "r4: Replicate entries 1,2",
    ]);
    r1.receive("r2", { type: "ReplicateAck", lsn: 2 });
    expect(sent()).toEqual([]);
    r1.receive("r3", { type: "ReplicateAck", lsn: 2 });
    expect(sent()).toEqual(["client: WriteOk c-2 lsn 2"]);
  });

  it("says when followers are tied, narrates its first switches, then says once that it goes on switching, and counts them all", () => {
    const { sim, r1, notes } = leader(["r2", "r3", "r4"]);
    r1.receive("client", write);
    // No follower ever acknowledges: a switch every 40 ms, at 40, 80, ... 1,000 ms.
    sim.run(1_000);
    expect(r1.synchronousSwitches).toBe(25);
    const switches = notes().filter((n) => n.startsWith("has no acknowledgement"));
    expect(switches).toHaveLength(SWITCHES_NARRATED + 1);
    // r3 and r4 have acknowledged nothing: neither is more up to date, and the note says so.
    expect(switches[0]).toMatch(
      /makes r3 synchronous, the first of the asynchronous followers tied as most up to date \(r3 and r4: acknowledged LSN 0\)/,
    );
    expect(switches.at(-1)).toMatch(
      /\(switch 4\); whenever its synchronous follower does not acknowledge within 40 ms it switches again, from here on without a note for each$/,
    );
  });

  it("with two followers, calls the other one the only asynchronous follower, not the most up-to-date", () => {
    const { sim, r1, notes } = leader();
    r1.receive("client", write);
    sim.run(40);
    expect(notes().at(-1)).toMatch(
      /makes r3, the only asynchronous follower \(acknowledged LSN 0\), synchronous/,
    );
  });

  it("once told to step down, forgets the writes it was holding and stops watching for a slow follower", () => {
    const { sim, r1, sent, notes } = leader();
    r1.receive("client", write);
    sent();
    r1.receive("monitor", { type: "FollowNewLeader", leader: "r2" });
    expect(r1.hasTimer("sync-timeout")).toBe(false);
    sim.run(500);
    r1.receive("r3", { type: "ReplicateAck", lsn: 1 });
    expect(sent().filter((m) => m.startsWith("client"))).toEqual([]);
    expect(notes().filter((n) => n.includes("synchronous"))).toEqual([]);
  });

  it("with a single follower, has no other to make synchronous: the write waits, and the leader says so once", () => {
    const { sim, r1, sent, notes } = leader(["r2"]);
    r1.receive("client", write);
    sent();
    sim.run(500);
    expect(sent()).toEqual([]);
    expect(r1.synchronousFollower).toBe("r2");
    expect(notes().filter((n) => n.includes("no other follower"))).toHaveLength(1);
    r1.receive("r2", { type: "ReplicateAck", lsn: 1 });
    expect(sent()).toEqual(["client: WriteOk c-1 lsn 1"]);
  });
});

describe("--export-history", () => {
  it("writes a Jepsen history that the checker, reading it back, judges as it judged the original", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { parseJepsenHistory } = await import("../../shared/check/jepsen.js");
    const { exportHistory } = await import("../../replication/export.js");
    const path = join(testDir("export"), "history.edn");
    for (const readFrom of ["leader", "followers"] as const) {
      const run = runLeaderFollower(Trace.silent(), { ...base, seed: 3, mode: "async", readFrom });
      exportHistory(Trace.silent(), path, run.history);
      // Jepsen's multi-key register form: :read and :write of [key value] tuples.
      const reread = parseJepsenHistory(readFileSync(path, "utf8"), { independent: true });
      expect(reread).toHaveLength(run.history.length);
      expect(new Set(reread.map((o) => o.f))).toEqual(new Set(["read", "write"]));
      expect(checkLinearizable(registerModel, reread).linearizable).toBe(
        checkLinearizable(kvModel, run.history).linearizable,
      );
    }
  });
});

describe("a leader, message by message", () => {
  it("appends a write once however often it arrives (a retry or a duplicated message)", () => {
    const sim = new Simulation({ seed: 1, trace: Trace.silent() });
    const net = new Network<LeaderFollowerMessage>(sim, { loss: 1 });
    const leader = net.add(
      new Replica("r1", net, { mode: "async", heartbeatMs: 20 }, true, ["r2"]),
    );
    const write = { type: "Write", requestId: "c-1", key: "k", value: "v" } as const;
    leader.receive("client", write);
    leader.receive("client", write);
    leader.receive("client", { ...write, requestId: "c-2", value: "w" });
    expect(leader.lsn).toBe(2);
    expect(leader.read("k")).toBe("w");
  });
});

describe("sync-vs-async: replication lag and one write's path", () => {
  const slowFollower = { follower: "r2", fromMs: 250, toMs: 450, latencyMs: 100 };
  const runMode = (seed: number, mode: "sync" | "semi-sync" | "async", faults = NO_FAULTS) =>
    runLeaderFollower(Trace.silent(), {
      ...base,
      operations: 60,
      seed,
      mode,
      readFrom: "leader",
      slowFollower,
      faults,
      followWrite: { fromMs: 300 },
    });

  it("measures replication lag from the leader's append to each follower's, as the book does, so synchronous replication has lag too (10 seeds, with and without faults)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const faults =
        seed % 2 === 0 ? NO_FAULTS : { loss: 0.1, duplicate: 0.1, crash: 1, partition: 1 };
      const sync = runMode(seed, "sync", faults);
      // A follower appends a write one message (1 ms or more) after the leader does, never sooner.
      expect(sync.replicationLagMs.length, `seed ${seed}`).toBeGreaterThan(0);
      expect(Math.min(...sync.replicationLagMs), `seed ${seed}`).toBeGreaterThanOrEqual(1);
      // The followed write's own lags are among the samples.
      const p = sync.followed;
      for (const f of p?.followerAppends ?? [])
        if (f.atMs !== undefined)
          expect(sync.replicationLagMs, `seed ${seed}`).toContain(f.atMs - (p?.appendedAtMs ?? 0));
    }
    // While r2's links are slow, a write reaches it some 100 ms after the leader, in every mode.
    for (const mode of ["sync", "semi-sync", "async"] as const)
      expect(Math.max(...runMode(1, mode).replicationLagMs)).toBeGreaterThan(100);
  });

  it("judges each acknowledgement when the leader sends WriteOk, not when the client hears: asynchronous replication acknowledges every write before any follower has it (10 seeds, with and without faults)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const faults =
        seed % 2 === 0 ? NO_FAULTS : { loss: 0.1, duplicate: 0.1, crash: 1, partition: 1 };
      const async = runMode(seed, "async", faults);
      expect(async.leaderAcknowledged, `seed ${seed}`).toBeGreaterThan(0);
      expect(async.ackedOnLeaderOnly, `seed ${seed}`).toBe(async.leaderAcknowledged);
      expect(async.ackedAheadOfFollowers, `seed ${seed}`).toBe(async.leaderAcknowledged);
      const sync = runMode(seed, "sync", faults);
      expect(sync.ackedAheadOfFollowers, `seed ${seed}`).toBe(0);
      // A write the client gave up on was still acknowledged by the leader, and counts.
      expect(sync.leaderAcknowledged, `seed ${seed}`).toBeGreaterThanOrEqual(
        sync.acknowledgedWrites.length,
      );
    }
    // At the default seed, sync's followed write is one the leader acknowledged after its client gave up.
    const sync = runMode(1, "sync");
    expect(sync.leaderAcknowledged).toBeGreaterThan(sync.acknowledgedWrites.length);
  });

  it("follows one write per mode at the default seed: acknowledged after every follower (sync), after the synchronous one (semi-sync), at once (async)", () => {
    const sync = runMode(1, "sync").followed;
    const semi = runMode(1, "semi-sync").followed;
    const async = runMode(1, "async").followed;
    for (const p of [sync, semi, async]) {
      expect(p?.late).toBe(true);
      expect(p?.shippedTo).toEqual(["r2", "r3"]);
      expect(p?.sentAtMs).toBeLessThanOrEqual(p?.appendedAtMs as number);
    }
    const appended = (p: typeof sync) => p?.followerAppends.map((f) => f.atMs as number) ?? [];
    const heard = (p: typeof sync, f: string) => p?.leaderHeard.find((h) => h.follower === f)?.atMs;
    // Sync: the acknowledgement waits for r2, whose links are slow; the client gave up first.
    expect(sync?.acknowledgedAtMs).toBe(heard(sync, "r2"));
    expect(Math.max(...appended(sync))).toBeLessThanOrEqual(sync?.acknowledgedAtMs as number);
    expect(sync?.clientGaveUpAtMs).toBeLessThan(sync?.acknowledgedAtMs as number);
    expect(sync?.clientHeardAtMs).toBeUndefined();
    // Semi-sync: r3 was made synchronous at 291.7 ms; its acknowledgement releases the write.
    expect(semi?.synchronousAtAck).toBe("r3");
    expect(semi?.acknowledgedAtMs).toBe(heard(semi, "r3"));
    expect(semi?.clientHeardAtMs).toBeLessThan(heard(semi, "r2") as number);
    // Async: acknowledged as it is appended, before any follower has it.
    expect(async?.acknowledgedAtMs).toBe(async?.appendedAtMs);
    expect(Math.min(...appended(async))).toBeGreaterThan(async?.acknowledgedAtMs as number);
  });
});
