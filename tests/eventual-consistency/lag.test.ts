/**
 * The replication-lag store and its routing policies (eventual-consistency/lag/): each session
 * guarantee of DDIA ch. 5, "Problems with Replication Lag", is violated without its fix and never
 * with it, over many seeds, as the consistency checker judges the clients' histories; and a fix
 * broken on purpose is caught.
 */

import { describe, expect, it } from "vitest";
import type { RoutingPolicy } from "../../eventual-consistency/lag/client.js";
import { type LagStoreOptions, runLagStore } from "../../eventual-consistency/lag/store.js";
import { eventualConsistency } from "../../eventual-consistency/main.js";
import {
  conversations,
  FOLLOW_UP_STORY,
  run as runConversation,
  STORY,
  VARIANTS,
} from "../../eventual-consistency/scenarios/consistent-prefix.js";
import {
  type ClientScript,
  planRegisterWorkload,
  type RegisterWorkloadOptions,
} from "../../eventual-consistency/workload.js";
import { type ConsistencyModel, classify } from "../../shared/check/consistency.js";
import { runCli } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

/** follower-1 applies 10 ms after receiving, follower-2 100 ms: far more than the 1-10 ms network. */
const lagMs = (_partition: number, follower: number) => (follower === 0 ? 10 : 100);

function workload(seed: number, options: Partial<RegisterWorkloadOptions>): ClientScript[] {
  return planRegisterWorkload(new Random(seed).fork("workload"), {
    clients: 2,
    operations: 8,
    keys: 1,
    writeRatio: 0.5,
    thinkMsMax: 10,
    ...options,
  });
}

/**
 * Whether the run's log shows `model` broken, whatever the checker sees: a read served by a replica
 * that had not applied its user's own acknowledged write to the key (read-your-writes), or a read
 * returning a value written earlier in the log than one its user had already read of the key
 * (monotonic reads). The checker judges only what the values show, so it can miss some of these
 * (another user's older value is not ordered before the user's own in the history).
 */
function logShows(model: ConsistencyModel, result: ReturnType<typeof runLagStore>): boolean {
  const reads = result.reads
    .filter((r) => r.op.outcome === "ok")
    .sort((a, b) => a.op.callTime - b.op.callTime);
  if (model === "read-your-writes")
    return reads.some((r) =>
      result.writes.some(
        (w) =>
          w.op.process === r.op.process &&
          w.op.key === r.op.key &&
          w.lsn !== undefined &&
          w.op.returnTime <= r.op.callTime &&
          (r.appliedLsn ?? 0) < w.lsn,
      ),
    );
  if (model === "monotonic-reads") {
    const newest = new Map<string, number>();
    return reads.some((r) => {
      const id = `${r.op.process} ${r.op.key}`;
      const seen = newest.get(id) ?? 0;
      newest.set(id, Math.max(seen, r.valueLsn ?? 0));
      return (r.valueLsn ?? 0) < seen;
    });
  }
  return false;
}

/**
 * Whether an observer read an answer and then found no question, though the answer's writer had
 * read that question before writing it (judged from who read what, not by the checker).
 */
function answerWithoutQuestion(result: ReturnType<typeof runLagStore>): boolean {
  const sawQuestion = (answerKey: string) => {
    const writer = result.writes.find((w) => w.op.key === answerKey)?.op;
    const questionKey = answerKey.replace(/\/answer$/, "/question");
    return result.reads.some(
      (r) =>
        writer !== undefined &&
        r.op.process === writer.process &&
        r.op.key === questionKey &&
        r.op.outcome === "ok" &&
        r.op.output !== null &&
        r.op.returnTime <= writer.callTime,
    );
  };
  const observers = new Set(
    result.reads.filter((r) => r.op.process.startsWith("observer")).map((r) => r.op.process),
  );
  for (const observer of observers) {
    const reads = result.reads
      .filter((r) => r.op.process === observer && r.op.outcome === "ok")
      .sort((a, b) => a.op.callTime - b.op.callTime);
    const answered = new Set<string>();
    for (const r of reads) {
      if (r.op.key.endsWith("/answer") && r.op.output !== null && sawQuestion(r.op.key))
        answered.add(r.op.key.replace(/\/answer$/, ""));
      if (
        r.op.key.endsWith("/question") &&
        r.op.output === null &&
        answered.has(r.op.key.replace(/\/question$/, ""))
      )
        return true;
    }
  }
  return false;
}

/** The seeds (of SEEDS) on which the checker, or the run's log, finds `model` violated. */
function violatingSeeds(
  model: ConsistencyModel,
  routing: RoutingPolicy,
  shape: Partial<RegisterWorkloadOptions>,
  store: Partial<LagStoreOptions> = {},
  seeds: readonly number[] = SEEDS,
): number[] {
  return seeds.filter((seed) => {
    const result = runLagStore({
      seed,
      scripts: workload(seed, shape),
      routing,
      followers: 2,
      lagMs,
      ...store,
    });
    return classify(result.history).models[model] === false || logShows(model, result);
  });
}

describe("the store", () => {
  it("a follower serves a write only after its lag, and refuses a read at a position it has not reached", () => {
    // One write at 0 ms, then reads of follower-2 (lag 100 ms) by the sticky routing of a user
    // whose hash picks it. By hand: the write reaches the leader within 10 ms and follower-2
    // within 20 ms, so it is applied by 120 ms at the latest and not before 101 ms.
    const user = ["user-a", "user-b", "user-c", "user-d"].find((u) => {
      const r = runLagStore({
        seed: 1,
        scripts: [{ client: u, operations: [{ f: "read", key: "x", value: null, thinkMs: 0 }] }],
        routing: { kind: "sticky", failover: "naive" },
        followers: 2,
        lagMs,
      });
      return r.reads[0]?.replica === "follower-2";
    }) as string;
    expect(user).toBeDefined();
    const result = runLagStore({
      seed: 1,
      scripts: [
        { client: "writer", operations: [{ f: "write", key: "x", value: "v1", thinkMs: 0 }] },
        {
          client: user,
          operations: [
            { f: "read", key: "x", value: null, thinkMs: 30 },
            { f: "read", key: "x", value: null, thinkMs: 120 },
          ],
        },
      ],
      routing: { kind: "sticky", failover: "naive" },
      followers: 2,
      lagMs,
    });
    expect(result.writes[0]?.lsn).toBe(1);
    const [early, late] = result.reads;
    expect(early?.replica).toBe("follower-2");
    expect(early?.op.output).toBeNull();
    expect(early?.appliedLsn).toBe(0);
    expect(late?.op.output).toBe("v1");
    expect(late?.appliedLsn).toBe(1);
    // The same early read at LSN 1 or later: follower-2 answers Behind, the other follower (10 ms
    // lag, applied by 30 ms) or the leader answers with v1.
    const positioned = runLagStore({
      seed: 1,
      scripts: [
        {
          client: user,
          operations: [
            { f: "write", key: "x", value: "v1", thinkMs: 0 },
            { f: "read", key: "x", value: null, thinkMs: 0 },
          ],
        },
      ],
      routing: { kind: "position-after-write" },
      followers: 2,
      lagMs: () => 100,
    });
    const read = positioned.reads[0];
    expect(read?.minLsn).toBe(1);
    expect(read?.op.output).toBe("v1");
    // Both followers lag 100 ms, so neither has applied LSN 1 a few ms after the write: both say
    // Behind and the leader answers (the order of the followers is random; the leader is last).
    expect(read?.behind).toBe(2);
    expect(read?.replica).toBe("leader");
  });
});

describe("each session guarantee is violated without its fix and never with it, over many seeds", () => {
  // Two users, eight operations each on one key, half writes, 0-10 ms pauses; follower-2 lags
  // 100 ms. A read that follows its user's write within a few ms goes to follower-2 with
  // probability 1/2 and then misses the write, so nearly every seed's broken routing is caught:
  // we expect well over half of the 200 (195 when this was written).
  it("read-your-writes: any follower violates it; the leader after a write, and a replica at the write's LSN, never do", () => {
    expect(violatingSeeds("read-your-writes", { kind: "any-follower" }, {}).length).toBeGreaterThan(
      100,
    );
    // The scenario's bound, at its edge: follower-2 has a write at most 100 ms (its lag) + 2 x 10 ms
    // (two network delays) after it was sent, and a read sent 119 ms after the write reaches a
    // follower at least 1 ms later. Duplicated messages change nothing. (The same workload with a
    // 90 ms window violated it on 31 of the 200 seeds when this was written: the test can fail.)
    expect(
      violatingSeeds(
        "read-your-writes",
        { kind: "leader-after-write", recentMs: 119 },
        { thinkMsMax: 130 },
        { duplicate: 0.2 },
      ),
    ).toEqual([]);
    expect(violatingSeeds("read-your-writes", { kind: "position-after-write" }, {})).toEqual([]);
    // The LSN technique needs no bound on the lag: message loss and duplication change nothing.
    expect(
      violatingSeeds(
        "read-your-writes",
        { kind: "position-after-write" },
        {},
        { loss: 0.2, duplicate: 0.2 },
        SEEDS.slice(0, 100),
      ),
    ).toEqual([]);
  });

  it("read-your-writes: an LSN routing that remembers the first write's position, not the last, is caught", () => {
    // After its second write, such a client accepts a replica that has only the first, which then
    // returns the first value: a read-your-writes violation the checker sees (about half the seeds).
    expect(
      violatingSeeds(
        "read-your-writes",
        { kind: "position-after-write", remembers: "first-write" },
        {},
      ).length,
    ).toBeGreaterThan(20);
  });

  it("read-your-writes: a window shorter than the lag lets a read miss the write", () => {
    // 20 ms is less than follower-2's 100 ms lag: a read 20 ms or more after a write goes to a
    // follower that may not have it. The scenario marks this variant expected to fail at such flags.
    expect(
      violatingSeeds(
        "read-your-writes",
        { kind: "leader-after-write", recentMs: 20 },
        { thinkMsMax: 40 },
      ).length,
    ).toBeGreaterThan(0);
  });

  // Three users, twelve operations each, 30% writes, 0-20 ms pauses: a user's reads alternate
  // between followers 90 ms apart in lag, so a read after a fresher one goes back in time on
  // almost every seed (197 of 200 when this was written).
  const mr = { clients: 3, operations: 12, writeRatio: 0.3, thinkMsMax: 20 };

  it("monotonic reads: any follower violates it; one follower per user never does, and with failover at the user's position not even across crashes and loss", () => {
    expect(violatingSeeds("monotonic-reads", { kind: "any-follower" }, mr).length).toBeGreaterThan(
      100,
    );
    expect(violatingSeeds("monotonic-reads", { kind: "sticky", failover: "naive" }, mr)).toEqual(
      [],
    );
    expect(
      violatingSeeds("monotonic-reads", { kind: "sticky", failover: "position" }, mr, {
        crash: 2,
        loss: 0.1,
        duplicate: 0.1,
      }),
    ).toEqual([]);
  });

  it("the log's judge sees reads the checker cannot convict, so a fix is judged by both", () => {
    // Any follower, three users on three keys: a user who read another user's newer value and then
    // an older one of a third user's write (never ordered before it in the history) went back in
    // time, and the checker has no witness. Such seeds exist (the scenario's default longer run has
    // 12 such reads by the log and 2 users convicted by the checker); the fixes have none by either
    // judge (the tests above).
    const shape = { ...mr, keys: 3 };
    const missedByChecker = SEEDS.slice(0, 100).filter((seed) => {
      const result = runLagStore({
        seed,
        scripts: workload(seed, shape),
        routing: { kind: "any-follower" },
        followers: 2,
        lagMs,
      });
      return (
        logShows("monotonic-reads", result) &&
        classify(result.history).models["monotonic-reads"] === true
      );
    });
    expect(missedByChecker.length).toBeGreaterThan(0);
  });

  it("monotonic reads: failing over to any follower after a crash is caught", () => {
    // A crash sends the user to the other follower, and back to its own once it restarts behind:
    // 69 of 200 seeds when this was written; we ask for a tenth of the seeds.
    expect(
      violatingSeeds("monotonic-reads", { kind: "sticky", failover: "naive" }, mr, { crash: 2 })
        .length,
    ).toBeGreaterThan(20);
  });

  it("monotonic reads: sticky routing that never fails over loses reads while its follower is down; failing over loses none", () => {
    const failed = (failover: "none" | "position") =>
      SEEDS.slice(0, 100).reduce((sum, seed) => {
        const r = runLagStore({
          seed,
          scripts: workload(seed, mr),
          routing: { kind: "sticky", failover },
          followers: 2,
          lagMs,
          crash: 2,
        });
        return sum + r.reads.filter((x) => x.op.outcome !== "ok").length;
      }, 0);
    expect(failed("none")).toBeGreaterThan(0);
    expect(failed("position")).toBe(0);
  });

  it("consistent prefix: partitioned by message violates writes-follow-reads; by conversation, or with dependencies carried, never", () => {
    // Three conversations, two observers, partition 1 lagging 100 ms and partition 2 10 ms. Under
    // partitioning by key, a conversation whose question lands on partition 1 and answer on
    // partition 2 (a quarter of them) lets an observer see the answer first: 38 of 200 seeds when
    // this was written, the others' observers reading too early or too late to catch it.
    const violating = (variant: (typeof VARIANTS)[number], loss: number, seeds = SEEDS) =>
      seeds.filter((seed) => {
        const r = runConversation(seed, conversations(3, 2), variant, {
          conversations: 3,
          observers: 2,
          lagMs: 100,
          loss,
          duplicate: loss,
        });
        return (
          classify(r.history).models["writes-follow-reads"] === false || answerWithoutQuestion(r)
        );
      }).length;
    const [byMessage, byConversation, withDependencies] = VARIANTS as [
      (typeof VARIANTS)[number],
      (typeof VARIANTS)[number],
      (typeof VARIANTS)[number],
    ];
    expect(violating(byMessage, 0)).toBeGreaterThan(10);
    expect(violating(byConversation, 0)).toBe(0);
    expect(violating(withDependencies, 0)).toBe(0);
    expect(violating(byConversation, 0.1, SEEDS.slice(0, 100))).toBe(0);
    expect(violating(withDependencies, 0.1, SEEDS.slice(0, 100))).toBe(0);
    // Broken on purpose: dependencies carried by the answer but ignored by the observer (sticky
    // routing without them) is partitioning by message again, and is caught.
    const ignored = { ...withDependencies, observer: byMessage.observer };
    expect(violating(ignored, 0)).toBeGreaterThan(10);
    // The judge from who read what catches the broken variant by itself too.
    const byLog = SEEDS.filter((seed) =>
      answerWithoutQuestion(
        runConversation(seed, conversations(3, 2), byMessage, {
          conversations: 3,
          observers: 2,
          lagMs: 100,
          loss: 0,
          duplicate: 0,
        }),
      ),
    );
    expect(byLog.length).toBeGreaterThan(10);
  });

  it("consistent prefix with one writer: monotonic writes is violated partitioned by message, never by conversation or with dependencies", () => {
    // Mr. Poons writes the question (partition 1, 100 ms lag) and then a follow-up (partition 2,
    // 10 ms); the observer reads the follow-up at about 40 ms, when partition 2's followers have
    // applied it (by about 40 ms at the latest) and partition 1's cannot have the question (not
    // before 100 ms): so nearly every seed shows it, the rest only where the follow-up is not yet
    // applied when read.
    const violating = (variant: (typeof VARIANTS)[number], loss: number) =>
      SEEDS.filter((seed) => {
        const r = runConversation(seed, FOLLOW_UP_STORY, variant, {
          conversations: 1,
          observers: 1,
          lagMs: 100,
          loss,
          duplicate: loss,
        });
        return classify(r.history).models["monotonic-writes"] === false;
      }).length;
    const [byMessage, byConversation, withDependencies] = VARIANTS as [
      (typeof VARIANTS)[number],
      (typeof VARIANTS)[number],
      (typeof VARIANTS)[number],
    ];
    expect(violating(byMessage, 0)).toBeGreaterThan(100);
    expect(violating(byConversation, 0)).toBe(0);
    expect(violating(withDependencies, 0)).toBe(0);
    expect(violating(withDependencies, 0.1)).toBe(0);
    // Broken on purpose: the follow-up carries no dependency (writers without them).
    expect(violating({ ...withDependencies, writer: byMessage.writer }, 0)).toBeGreaterThan(100);
  });

  it("consistent prefix: the book's story is exactly a writes-follow-reads (and causal) violation", () => {
    // Seed 1 at the scenario's defaults: the observer reads the answer (mrs-cake:0), then the
    // question and gets nil. Worked by hand: the observer wrote nothing, so read-your-writes has
    // nothing to judge; its reads of each key never go from a value back to nil, so monotonic
    // reads holds; Mr. Poons and Mrs. Cake write once each, so monotonic writes has no pattern. Mrs
    // Cake read the question before writing the answer, so the answer follows the question in
    // causal order, and the observer's nil for the question after reading the answer breaks
    // writes-follow-reads and causal memory. PRAM holds: the observer's view need not order Mrs
    // Cake's read (it is not in the view), so the answer, the observer's two reads and then the
    // question is a legal order that respects each process's order.
    const r = runConversation(1, STORY, VARIANTS[0] as (typeof VARIANTS)[number], {
      conversations: 1,
      observers: 1,
      lagMs: 100,
      loss: 0,
      duplicate: 0,
    });
    const verdict = classify(r.history);
    expect(verdict.models).toEqual({
      linearizable: false,
      sequential: false,
      causal: false,
      pram: true,
      "read-your-writes": true,
      "monotonic-reads": true,
      "monotonic-writes": true,
      "writes-follow-reads": false,
    });
  });
});

describe("the scenarios", () => {
  const cli = async (argv: string[]) => {
    let out = "";
    const code = await runCli(eventualConsistency, argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
      env: {},
      isTTY: false,
    });
    return { code, out };
  };

  it("complete as expected at edge flags, and say so honestly", async () => {
    for (const argv of [
      ["read-your-writes", "--users", "2", "--operations", "10", "--lag-ms", "0"],
      ["read-your-writes", "--users", "2", "--operations", "10", "--recent-ms", "0"],
      ["read-your-writes", "--users", "1", "--operations", "1", "--loss", "1"],
      ["monotonic-reads", "--users", "2", "--operations", "10", "--crash", "0", "--lag-ms", "0"],
      ["monotonic-reads", "--users", "2", "--operations", "10", "--loss", "1"],
      ["consistent-prefix", "--conversations", "2", "--observers", "1", "--lag-ms", "0"],
      ["consistent-prefix", "--conversations", "1", "--observers", "1", "--loss", "1"],
    ]) {
      const { code, out } = await cli([...argv, "--quiet"]);
      expect(code, `${argv.join(" ")}\n${out}`).toBe(0);
    }
    // With every message lost nothing completes: the checks say not exercised, never ✔.
    const { out } = await cli([
      "read-your-writes",
      "--users",
      "1",
      "--operations",
      "1",
      "--loss",
      "1",
    ]);
    expect(out).toContain("not exercised");
    expect(out).not.toContain("✔");
    // Without crashes but with loss, reads still time out and fail over: the failover check is
    // judged, not dismissed as "no follower crashed, so no read had to fail over" (it once was).
    const lossy = await cli(["monotonic-reads", "--crash", "0", "--loss", "0.3", "--quiet"]);
    expect(lossy.out).toMatch(
      /✔ one follower by user id, failing over at the user's position: every read is answered: \d+ reads, all answered; [1-9]\d* reads sent again/,
    );
    expect(lossy.out).not.toContain("no read had to fail over");
  });

  it("mark a session guarantee held only when neither the log nor the checker shows it broken", async () => {
    // At --crash 20 --lag-ms 0 (seed 1) the naive failover's longer run has one read that went back
    // by the log while the checker convicts no user: a check judged by the checker alone printed ✔
    // there ("may be violated here; this run did not"), which this test refuses.
    for (const argv of [
      ["monotonic-reads", "--crash", "20", "--lag-ms", "0"],
      ["monotonic-reads", "--users", "3", "--operations", "40"],
      ["read-your-writes", "--recent-ms", "30", "--users", "3", "--operations", "40"],
      ["consistent-prefix", "--conversations", "10", "--observers", "2"],
    ]) {
      const { out } = await cli([...argv, "--quiet"]);
      const held = out.split("\n").filter((l) => l.startsWith("✔") && !l.includes("every read"));
      expect(held.length, out).toBeGreaterThan(0);
      for (const line of held) {
        expect(line).toMatch(/; (none|no answer) (served|older|seen)/);
        expect(line).toMatch(/no (user|observer) convicted by the checker/);
      }
    }
  });

  it("refuse bad flags in one line with status 2", async () => {
    for (const argv of [
      ["read-your-writes", "--lag-ms", "-1"],
      ["monotonic-reads", "--crash", "21"],
      ["consistent-prefix", "--observers", "0"],
      ["read-your-writes", "--users", "11"],
    ]) {
      const { code, out } = await cli(argv);
      expect(code).toBe(2);
      expect(out.trim().split("\n")).toHaveLength(1);
    }
  });
});
