import { describe, expect, it } from "vitest";
import { Broker } from "../../message-queue/cluster/broker.js";
import { Controller } from "../../message-queue/cluster/controller.js";
import type { ClusterMessage } from "../../message-queue/cluster/messages.js";
import {
  CLUSTER_TIMING,
  type ClusterOptions,
  runCluster,
} from "../../message-queue/cluster/run.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { percentile } from "../../shared/stats.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";

/** A limit for the tests that run hundreds of clusters, so that a busy machine does not fail them. */
const MANY_SEEDS_MS = 120_000;

const base: Omit<ClusterOptions, "seed"> = {
  brokers: 3,
  partitions: 1,
  replicationFactor: 3,
  acks: "all",
  minInsync: 2,
  unclean: false,
  idempotence: false,
  messages: 60,
  loss: 0.02,
  duplicate: 0,
  crash: 1,
  partition: 0,
};
const replay = (o: ClusterOptions) =>
  `npx tsx message-queue/main.ts replication --seed ${o.seed} --partitions ${o.partitions} --acks ${o.acks} --min-insync ${o.minInsync}${o.unclean ? " --unclean" : ""} --messages ${o.messages} --loss ${o.loss} --crash ${o.crash} --partition ${o.partition}`;

describe("replication, over seeds with a broker crash at a random time", () => {
  it(
    "acks=all, replication factor 3, min.insync.replicas=2, clean election: no acknowledged message lost, over 500 seeds",
    () => {
      const failures: string[] = [];
      let acknowledged = 0;
      for (let seed = 1; seed <= 500; seed++) {
        // Every fifth seed uses three partitions, and some add a network partition.
        const options = {
          ...base,
          seed,
          partitions: seed % 5 === 0 ? 3 : 1,
          partition: seed % 7 === 0 ? 1 : 0,
        };
        const r = runCluster(Trace.silent(), options);
        acknowledged += r.acknowledged.length;
        if (
          r.lost.length > 0 ||
          r.readThenLost.length > 0 ||
          r.outOfOrder > 0 ||
          r.leaderless.length > 0 ||
          r.diverged.length > 0
        ) {
          failures.push(
            `${replay(options)}: lost ${r.lost.join(",")}; read then lost ${r.readThenLost.join(",")}; out of order ${r.outOfOrder}; diverged ${r.diverged.join("; ")}`,
          );
        }
      }
      expect(failures).toEqual([]);
      expect(acknowledged).toBeGreaterThan(500 * 55);
    },
    MANY_SEEDS_MS,
  );

  it(
    "acks=1 with unclean election and heavy faults: once the faults stop, every replica's log equals its leader's, over 500 seeds (liveness)",
    () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= 500; seed++) {
        const options = {
          ...base,
          seed,
          partitions: seed % 5 === 0 ? 3 : 1,
          acks: "1" as const,
          minInsync: 1,
          unclean: true,
          loss: 0.1,
          crash: 4,
          partition: 3,
        };
        const r = runCluster(Trace.silent(), options);
        if (r.diverged.length > 0 || r.leaderless.length > 0)
          failures.push(`${replay(options)}: ${r.diverged.join("; ")} ${r.leaderless.join(",")}`);
      }
      expect(failures).toEqual([]);
    },
    MANY_SEEDS_MS,
  );

  // The issue's command: broker-2's records from offset 26 on are from epoch 1, which the new
  // leader never saw; the leader's epoch 0 runs to offset 28. KIP-101 truncates broker-2 to offset
  // 29 and leaves it there for good (every fetch finds offset 28 different); KIP-279 truncates it
  // to 26.
  const seed169: ClusterOptions = {
    ...base,
    seed: 169,
    acks: "1",
    unclean: true,
    crash: 4,
    partition: 3,
    loss: 0.1,
    minInsync: 1,
    messages: 200,
  };

  it("seed 169: the liveness check catches the KIP-101 truncation rule (broken variant) leaving broker-2 diverged", () => {
    const broken = runCluster(Trace.silent(), { ...seed169, truncation: "kip-101" });
    expect(broken.diverged, replay(seed169)).toEqual([
      "broker-2, partition 0: log end 29, the leader's 208; they differ from offset 26",
    ]);
  });

  it("seed 169: with KIP-279, broker-2 truncates to offset 26, catches up, and its log equals the leader's", () => {
    const trace = new Trace({ messages: false });
    const r = runCluster(trace, seed169);
    expect(r.diverged, replay(seed169)).toEqual([]);
    const truncations = trace.events.filter(
      (e) => e.kind === "note" && e.node === "broker-2" && e.text.startsWith("truncates"),
    );
    expect(truncations.map((e) => (e as { text: string }).text)).toEqual([
      "truncates partition 0 to offset 26, dropping 10 record(s) the leader does not have: epoch 0 ends at offset 29 in the leader's log and at 26 in this one",
    ]);
  });

  it("acks=1 with unclean election: the test finds a lost acknowledged message", () => {
    let found: string | undefined;
    for (let seed = 1; seed <= 200 && found === undefined; seed++) {
      const r = runCluster(Trace.silent(), {
        ...base,
        seed,
        acks: "1",
        unclean: true,
        crash: 2,
        partition: 1,
      });
      if (r.lost.length > 0) found = `seed ${seed}: ${r.lost.join(", ")}`;
    }
    expect(found).toBeDefined();
  });

  it("an unclean election, set up on purpose, loses what a clean one keeps", () => {
    const plan = [
      {
        kind: "partition" as const,
        atMs: 60,
        groups: [
          ["broker-2", "broker-3"],
          ["broker-1", "controller", "producer", "consumer"],
        ],
        healAtMs: 300,
      },
      { kind: "crash" as const, atMs: 160, node: "broker-1", recoverAtMs: 500 },
    ];
    const options = { ...base, seed: 1, messages: 40, loss: 0, crash: 0, minInsync: 1, plan };
    expect(runCluster(Trace.silent(), { ...options, unclean: false }).lost).toEqual([]);
    expect(runCluster(Trace.silent(), { ...options, unclean: true }).lost.length).toBeGreaterThan(
      0,
    );
  });

  // Heavy faults: eight crashes, six network partitions, a fifth of all messages lost.
  const heavy = (seed: number): ClusterOptions => ({
    ...base,
    seed,
    minInsync: 1,
    messages: 200,
    loss: 0.2,
    crash: 8,
    partition: 6,
  });

  it("seed 114: a broker that restarts does not lead on the partition state it saved before its crash", () => {
    // broker-2 led epoch 1 with ISR {broker-2}, heard of no expansion, crashed and was replaced.
    // Restarted, it once acted on "leader, epoch 1, ISR {broker-2}": it acknowledged m2 (acks=all)
    // alone, then truncated it away when it heard of the new leader.
    const r = runCluster(Trace.silent(), heavy(114));
    expect(r.lost, replay(heavy(114))).toEqual([]);
  });

  it("seed 142: a late AlterPartition cannot undo a newer ISR change, and the leader's high watermark counts a replica it is still adding", () => {
    const r = runCluster(Trace.silent(), heavy(142));
    expect(r.lost, replay(heavy(142))).toEqual([]);
  });

  it(
    "acks=all, min.insync.replicas=1, clean election, heavy faults: no acknowledged message lost, over 50 seeds",
    () => {
      // Seeds 101 to 150 hold both runs above. Over seeds 1 to 300, seed 114 was the only loss
      // before the fixes, and seed 142 the only one with just the first fix (no leading on saved
      // partition state) in.
      const failures: string[] = [];
      for (let seed = 101; seed <= 150; seed++) {
        const options = heavy(seed);
        const r = runCluster(Trace.silent(), options);
        if (r.lost.length > 0 || r.readThenLost.length > 0 || r.diverged.length > 0)
          failures.push(
            `${replay(options)}: lost ${r.lost.join(",")}; read then lost ${r.readThenLost.join(",")}; diverged ${r.diverged.join("; ")}`,
          );
      }
      expect(failures).toEqual([]);
    },
    MANY_SEEDS_MS,
  );
});

describe("the idempotent producer", () => {
  it(
    "leaves no duplicates under message loss, retries and a crash; without it the test finds one",
    () => {
      let plainDuplicates = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const options = { ...base, seed, partitions: 2, loss: 0.1 };
        const idempotent = runCluster(Trace.silent(), { ...options, idempotence: true });
        expect(idempotent.duplicates, `seed ${seed}`).toBe(0);
        expect(idempotent.lost, `seed ${seed}`).toEqual([]);
        plainDuplicates += runCluster(Trace.silent(), {
          ...options,
          idempotence: false,
        }).duplicates;
      }
      expect(plainDuplicates).toBeGreaterThan(0);
    },
    MANY_SEEDS_MS,
  );
});

describe("a broker, message by message", () => {
  /** A broker with a log of records in the given epochs, told by the controller who leads in `leaderEpoch`. */
  function brokerWithLog(
    id: string,
    epochs: number[],
    leaderEpoch = 2,
    leader = "broker-1",
    truncation: "kip-279" | "kip-101" = "kip-279",
    members: { isr: string[]; replicas: string[] } = {
      isr: ["broker-1", "broker-2"],
      replicas: ["broker-1", "broker-2"],
    },
  ) {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<ClusterMessage>(sim, { loss: 1 });
    const config = {
      controller: "controller",
      minInsyncReplicas: 2,
      replicaLagMaxMs: 30,
      tickMs: 5,
      fetchWaitMaxMs: 20,
      fetchTimeoutMs: 35,
      alterPartitionTimeoutMs: 35,
      idempotence: false,
      truncation,
    };
    const broker = net.add(new Broker(id, net, config));
    for (const [i, epoch] of epochs.entries()) broker.log(0).append(null, `v${i}`, i, epoch);
    broker.receive("controller", {
      type: "LeaderAndIsr",
      state: {
        partition: 0,
        leader,
        ...members,
        leaderEpoch,
        partitionEpoch: 1,
      },
    });
    const sent = () =>
      trace.events
        .filter(
          (e): e is Extract<TraceEvent, { kind: "send" }> => e.kind === "send" && e.from === id,
        )
        .map((e) => e.msg as ClusterMessage);
    const notes = () =>
      trace.events.flatMap((e) => (e.kind === "note" && e.node === id ? [e.text] : []));
    return { broker, sent, notes, config };
  }
  const leaderWithLog = (epochs: number[]) => brokerWithLog("broker-1", epochs);

  it("answers OffsetsForLeaderEpoch with the largest epoch at or below the one asked, and where it ends", () => {
    // Offsets 0-1 in epoch 0, 2-4 in epoch 2; the broker leads epoch 5 from offset 5 on.
    const { broker, sent } = brokerWithLog("broker-1", [0, 0, 2, 2, 2], 5);
    const ask = (epoch: number, leaderEpoch = 5) =>
      broker.receive("broker-2", {
        type: "OffsetsForLeaderEpoch",
        partition: 0,
        replica: "broker-2",
        leaderEpoch,
        epoch,
      });
    ask(0);
    ask(1); // unknown here: epoch 0 is the largest below it, and it ends where epoch 2 starts
    ask(3); // epoch 2 ends where this leader's epoch 5 starts
    ask(5);
    ask(2, 4); // a follower that believes in another leader epoch gets no answer
    const answer = (requestedEpoch: number, epoch: number, endOffset: number) => ({
      type: "OffsetsForLeaderEpochResponse",
      partition: 0,
      requestedEpoch,
      leaderEpoch: 5,
      epoch,
      endOffset,
    });
    expect(sent().filter((m) => m.type === "OffsetsForLeaderEpochResponse")).toEqual([
      answer(0, 0, 2),
      answer(1, 0, 2),
      answer(3, 2, 5),
      answer(5, 5, 5),
      {
        type: "OffsetsForLeaderEpochResponse",
        partition: 0,
        requestedEpoch: 2,
        leaderEpoch: 4,
        epoch: -1,
        endOffset: -1,
        error: "NOT_LEADER_OR_FOLLOWER",
      },
    ]);
  });

  it("as follower, truncates by leader epoch round after round until its log is a prefix of the leader's (KIP-279)", () => {
    // Follower: epochs 0 0 1 1 3 3. Leader of epoch 5: epochs 0 0 0 2 2 4, so its epoch 2 ends at 5.
    const { broker, sent, notes } = brokerWithLog("broker-2", [0, 0, 1, 1, 3, 3], 5);
    const asked = () => sent().filter((m) => m.type === "OffsetsForLeaderEpoch");
    broker.onTimer("tick");
    expect(asked().at(-1)).toMatchObject({ epoch: 3, leaderEpoch: 5 });
    const answer = (requestedEpoch: number, epoch: number, endOffset: number) =>
      broker.receive("broker-1", {
        type: "OffsetsForLeaderEpochResponse",
        partition: 0,
        requestedEpoch,
        leaderEpoch: 5,
        epoch,
        endOffset,
      });
    // The leader has no epoch 3; its largest below is 2, which this log lacks: keep up to where
    // this log's epoch 1 ends (offset 4) and ask again about epoch 1.
    answer(3, 2, 5);
    expect(broker.log(0).endOffset).toBe(4);
    answer(3, 2, 5); // the same answer again is stale now: nothing changes
    expect(broker.log(0).endOffset).toBe(4);
    broker.onTimer("tick");
    expect(asked().at(-1)).toMatchObject({ epoch: 1 });
    // The leader's epoch 0 ends at 3, this log's at 2: the logs agree up to offset 2.
    answer(1, 0, 3);
    expect(broker.log(0).endOffset).toBe(2);
    // Its log is now a prefix of the leader's: it fetches at once, without waiting for a tick.
    expect(sent().at(-1)).toMatchObject({ type: "Fetch", fetchOffset: 2, lastFetchedEpoch: 0 });
    expect(notes().filter((n) => n.startsWith("truncates"))).toEqual([
      "truncates partition 0 to offset 4, dropping 2 record(s) the leader does not have: the leader's latest epoch up to 3 is 2, which this log lacks, so it keeps what it has up to the end of its own epoch 1 and asks again (KIP-279)",
      "truncates partition 0 to offset 2, dropping 2 record(s) the leader does not have: epoch 0 ends at offset 3 in the leader's log and at 2 in this one",
    ]);
  });

  it("KIP-101 (broken variant) truncates to the leader's end offset at once, keeping a record the leader does not have", () => {
    // The follower's offset 1 is from epoch 1, which the leader never had; the leader's is from epoch 0.
    const { broker, sent } = brokerWithLog("broker-2", [0, 1, 1], 2, "broker-1", "kip-101");
    broker.onTimer("tick");
    broker.receive("broker-1", {
      type: "OffsetsForLeaderEpochResponse",
      partition: 0,
      requestedEpoch: 1,
      leaderEpoch: 2,
      epoch: 0,
      endOffset: 2,
    });
    expect(broker.log(0).endOffset).toBe(2);
    expect(broker.log(0).at(1)?.epoch).toBe(1);
    expect(sent().at(-1)).toMatchObject({ type: "Fetch", fetchOffset: 2, lastFetchedEpoch: 1 });
  });

  it("tells a follower with records from a deposed leader where to truncate", () => {
    // The leader has offsets 0-1 from epoch 0 and 2-3 from epoch 1; the follower's offset 2 is from epoch 0.
    const { broker, sent } = leaderWithLog([0, 0, 1, 1]);
    broker.receive("broker-2", {
      type: "Fetch",
      partition: 0,
      replica: "broker-2",
      isFollower: true,
      fetchOffset: 3,
      lastFetchedEpoch: 0,
      leaderEpoch: 2,
    });
    expect(sent().filter((m) => m.type === "FetchResponse")).toEqual([
      {
        type: "FetchResponse",
        partition: 0,
        records: [],
        highWatermark: 0,
        leaderEpoch: 2,
        truncateTo: 2,
      },
    ]);
  });

  it("answers acks=all only once the follower has fetched past the record", () => {
    const { broker, sent } = leaderWithLog([]);
    broker.receive("producer", {
      type: "Produce",
      requestId: "r1",
      partition: 0,
      key: null,
      value: "x",
      acks: "all",
    });
    expect(sent().filter((m) => m.type === "ProduceResponse")).toEqual([]);
    broker.receive("broker-2", {
      type: "Fetch",
      partition: 0,
      replica: "broker-2",
      isFollower: true,
      fetchOffset: 1,
      lastFetchedEpoch: 2,
      leaderEpoch: 2,
    });
    expect(sent().filter((m) => m.type === "ProduceResponse")).toEqual([
      { type: "ProduceResponse", requestId: "r1", partition: 0, offset: 0 },
    ]);
    expect(broker.highWatermark(0)).toBe(1);
  });

  it("holds a follower's fetch that finds nothing new, answers it as soon as a record is appended, or empty at replica.fetch.wait.max.ms", () => {
    const { broker, sent } = leaderWithLog([]);
    const fetch = (fetchOffset: number, fetchId: number) =>
      broker.receive("broker-2", {
        type: "Fetch",
        partition: 0,
        replica: "broker-2",
        isFollower: true,
        fetchOffset,
        lastFetchedEpoch: fetchOffset === 0 ? -1 : 2,
        leaderEpoch: 2,
        fetchId,
      });
    const answers = () => sent().filter((m) => m.type === "FetchResponse");
    fetch(0, 1);
    expect(answers()).toEqual([]); // it waits at the leader: a long poll
    broker.receive("producer", {
      type: "Produce",
      requestId: "r1",
      partition: 0,
      key: null,
      value: "x",
      acks: "all",
    });
    expect(answers()).toMatchObject([
      { type: "FetchResponse", fetchId: 1, records: [{ offset: 0, value: "x" }] },
    ]);
    fetch(1, 2);
    expect(answers()).toHaveLength(1);
    // Ticks before the deadline (20 ms here) leave it waiting; the first tick after answers it empty.
    broker.sim.runUntil(() => false, 15);
    expect(answers()).toHaveLength(1);
    broker.sim.runUntil(() => false, 25);
    expect(answers()).toHaveLength(2);
    expect(answers().at(-1)).toMatchObject({ fetchId: 2, records: [], highWatermark: 1 });
  });

  it("refuses acks=all when the ISR is smaller than min.insync.replicas", () => {
    const { broker, sent } = leaderWithLog([]);
    broker.receive("controller", {
      type: "LeaderAndIsr",
      state: {
        partition: 0,
        leader: "broker-1",
        isr: ["broker-1"],
        replicas: ["broker-1", "broker-2"],
        leaderEpoch: 2,
        partitionEpoch: 2,
      },
    });
    broker.receive("producer", {
      type: "Produce",
      requestId: "r2",
      partition: 0,
      key: null,
      value: "x",
      acks: "all",
    });
    expect(sent().filter((m) => m.type === "ProduceResponse")).toEqual([
      { type: "ProduceResponse", requestId: "r2", partition: 0, error: "NOT_ENOUGH_REPLICAS" },
    ]);
  });

  const fetchFrom = (
    broker: Broker,
    replica: string,
    fetchOffset: number,
    lastFetchedEpoch: number,
  ) =>
    broker.receive(replica, {
      type: "Fetch",
      partition: 0,
      replica,
      isFollower: true,
      fetchOffset,
      lastFetchedEpoch,
      leaderEpoch: 2,
    });
  const produce = (broker: Broker, requestId: string) =>
    broker.receive("producer", {
      type: "Produce",
      requestId,
      partition: 0,
      key: null,
      value: requestId,
      acks: "all",
    });
  const threeReplicas = {
    isr: ["broker-1", "broker-2"],
    replicas: ["broker-1", "broker-2", "broker-3"],
  };

  it("after a restart, leads nothing on the partition state it had before the crash: it waits for the controller", () => {
    // broker-1 led epoch 2 before it crashed; by the time it restarts, the controller may have
    // elected another leader and grown the ISR. Its log survives the crash; its partition state
    // must not act as authority.
    const { broker, sent } = leaderWithLog([2, 2]);
    broker.crash();
    broker.recover();
    expect(broker.partitionState(0)).toBeUndefined();
    produce(broker, "r1");
    expect(broker.log(0).endOffset).toBe(2);
    expect(sent().filter((m) => m.type === "ProduceResponse")).toEqual([
      { type: "ProduceResponse", requestId: "r1", partition: 0, error: "NOT_LEADER_OR_FOLLOWER" },
    ]);
    // The controller's state arrives: broker-2 leads epoch 3, and broker-1 follows it.
    broker.receive("controller", {
      type: "LeaderAndIsr",
      state: {
        partition: 0,
        leader: "broker-2",
        isr: ["broker-2", "broker-1"],
        replicas: ["broker-1", "broker-2"],
        leaderEpoch: 3,
        partitionEpoch: 4,
      },
    });
    expect(broker.isLeader(0)).toBe(false);
    broker.onTimer("tick");
    expect(sent().at(-1)).toMatchObject({
      type: "OffsetsForLeaderEpoch",
      epoch: 2,
      leaderEpoch: 3,
    });
  });

  it("as leader, keeps one AlterPartition in flight: no second expansion, no shrink sent again each tick, the same request again only when its answer is overdue", () => {
    const { broker, sent, config } = brokerWithLog(
      "broker-1",
      [],
      2,
      "broker-1",
      "kip-279",
      threeReplicas,
    );
    const alters = () => sent().filter((m) => m.type === "AlterPartition");
    // broker-3 has caught up (an empty log): the leader proposes it, based on partition epoch 1.
    fetchFrom(broker, "broker-3", 0, -1);
    expect(alters()).toEqual([
      {
        type: "AlterPartition",
        requestId: 1,
        partition: 0,
        leaderEpoch: 2,
        partitionEpoch: 1,
        isr: ["broker-1", "broker-2", "broker-3"],
      },
    ]);
    // More fetches, and broker-2 falling behind for longer than replica.lag.time.max.ms: nothing
    // more is proposed while the expansion is in flight.
    produce(broker, "r1");
    fetchFrom(broker, "broker-3", 0, -1);
    broker.sim.runUntil(() => false, config.alterPartitionTimeoutMs);
    expect(alters()).toHaveLength(1);
    // Its answer is overdue: the same proposal, on the same partition epoch, under a new number.
    broker.sim.runUntil(() => false, config.alterPartitionTimeoutMs + 2 * config.tickMs);
    expect(alters()).toHaveLength(2);
    expect(alters()[1]).toEqual({ ...alters()[0], requestId: 2 });
    // The controller applies it (partition epoch 2); then the leader may propose the shrink, once.
    broker.receive("controller", {
      type: "AlterPartitionResponse",
      requestId: 2,
      partition: 0,
      state: {
        partition: 0,
        leader: "broker-1",
        isr: ["broker-1", "broker-2", "broker-3"],
        replicas: threeReplicas.replicas,
        leaderEpoch: 2,
        partitionEpoch: 2,
      },
    });
    fetchFrom(broker, "broker-3", 1, 2); // broker-3 is at the log end, and stays in sync
    // broker-2 has not fetched for longer than replica.lag.time.max.ms: one shrink, not one a tick.
    broker.sim.runUntil(() => alters().length > 2, broker.sim.now + 2 * config.replicaLagMaxMs);
    broker.sim.runUntil(() => false, broker.sim.now + config.alterPartitionTimeoutMs);
    expect(alters().slice(2)).toEqual([
      {
        type: "AlterPartition",
        requestId: 3,
        partition: 0,
        leaderEpoch: 2,
        partitionEpoch: 2,
        isr: ["broker-1", "broker-3"],
      },
    ]);
  });

  it("as leader, counts a replica being added in the high watermark until the controller answers, even through a repeat of the state it had", () => {
    const { broker } = brokerWithLog("broker-1", [], 2, "broker-1", "kip-279", threeReplicas);
    fetchFrom(broker, "broker-3", 0, -1); // proposes {broker-1, broker-2, broker-3}
    produce(broker, "r1");
    fetchFrom(broker, "broker-2", 1, 2);
    // broker-2, in the ISR, has offset 0; broker-3, on its way in, does not yet.
    expect(broker.highWatermark(0)).toBe(0);
    // The controller pushes the state the leader already had again (partition epoch 1): the
    // expansion is still in flight, and the controller may yet apply it.
    broker.receive("controller", {
      type: "LeaderAndIsr",
      state: {
        partition: 0,
        leader: "broker-1",
        isr: ["broker-1", "broker-2"],
        replicas: threeReplicas.replicas,
        leaderEpoch: 2,
        partitionEpoch: 1,
      },
    });
    fetchFrom(broker, "broker-2", 1, 2);
    expect(broker.highWatermark(0)).toBe(0);
    fetchFrom(broker, "broker-3", 1, 2);
    expect(broker.highWatermark(0)).toBe(1);
  });

  it("as leader, takes a follower back into the ISR only once it has reached where the leader's epoch began, not just the high watermark (KAFKA-7128)", () => {
    // broker-1 becomes leader in epoch 2 with five records from epoch 0 and a high watermark of 0:
    // it has not yet learnt how far the old leader had committed.
    const { broker, sent } = brokerWithLog(
      "broker-1",
      [0, 0, 0, 0, 0],
      2,
      "broker-1",
      "kip-279",
      threeReplicas,
    );
    const alters = () => sent().filter((m) => m.type === "AlterPartition");
    fetchFrom(broker, "broker-3", 3, 0); // past the high watermark, short of offset 5
    expect(broker.highWatermark(0)).toBe(0);
    expect(alters()).toEqual([]);
    fetchFrom(broker, "broker-3", 5, 0);
    expect(alters()).toMatchObject([{ isr: ["broker-1", "broker-2", "broker-3"] }]);
  });
});

describe("produce latency, no faults", () => {
  it("acks=all costs one follower round trip more than acks=1 (median), as with Kafka's long-polling followers", () => {
    const calm = { ...base, seed: 1, messages: 100, loss: 0, crash: 0, partition: 0 };
    const median = (acks: "1" | "all") =>
      percentile(runCluster(Trace.silent(), { ...calm, acks }).latenciesMs, 50);
    const one = median("1");
    const all = median("all");
    // The follower's waiting fetch is answered when the record is appended, and its next fetch
    // (which moves the high watermark) follows at once: two network hops, no polling interval.
    expect(all).toBeGreaterThan(one);
    expect(all - one).toBeLessThanOrEqual(2 * CLUSTER_TIMING.latencyMsMax);
  });
});

describe("the controller, message by message", () => {
  it("a clean election picks the first live in-sync replica in assignment order, not in ISR order", () => {
    const sim = new Simulation({ seed: 1, trace: new Trace() });
    const net = new Network<ClusterMessage>(sim, { loss: 1 });
    const brokers = ["broker-1", "broker-2", "broker-3"];
    const controller = net.add(
      new Controller(
        "controller",
        net,
        { sessionTimeoutMs: 40, broadcastMs: 50, uncleanLeaderElection: false },
        brokers,
        1,
        3,
      ),
    );
    // broker-2 falls out of the ISR and comes back: the ISR is now broker-1, broker-3, broker-2.
    const alter = (isr: string[], partitionEpoch: number) =>
      controller.receive("broker-1", {
        type: "AlterPartition",
        requestId: partitionEpoch + 1,
        partition: 0,
        leaderEpoch: 0,
        partitionEpoch,
        isr,
      });
    alter(["broker-1", "broker-3"], 0);
    alter(["broker-1", "broker-3", "broker-2"], 1);
    expect(controller.state(0).isr).toEqual(["broker-1", "broker-3", "broker-2"]);
    // broker-1 stops heartbeating; the others keep on.
    for (let t = 0; t <= 200; t += 10)
      sim.at(t, () => {
        for (const b of ["broker-2", "broker-3"])
          controller.receive(b, { type: "Heartbeat", broker: b });
      });
    sim.runUntil(() => controller.state(0).leader !== "broker-1", 200);
    expect(controller.state(0).replicas).toEqual(brokers);
    expect(controller.state(0).leader).toBe("broker-2");
  });
  it("refuses an AlterPartition based on an older partition epoch, a deposed leader's, or one naming a fenced broker", () => {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<ClusterMessage>(sim, { loss: 1 });
    const controller = net.add(
      new Controller(
        "controller",
        net,
        { sessionTimeoutMs: 40, broadcastMs: 50, uncleanLeaderElection: false },
        ["broker-1", "broker-2", "broker-3"],
        1,
        3,
      ),
    );
    const answers = () =>
      trace.events.flatMap((e) =>
        e.kind === "send" &&
        e.from === "controller" &&
        (e.msg as ClusterMessage).type === "AlterPartitionResponse"
          ? [e.msg as ClusterMessage]
          : [],
      );
    const alter = (requestId: number, leaderEpoch: number, partitionEpoch: number, isr: string[]) =>
      controller.receive("broker-1", {
        type: "AlterPartition",
        requestId,
        partition: 0,
        leaderEpoch,
        partitionEpoch,
        isr,
      });
    // Partition epoch 0, ISR {1, 2, 3}. broker-1 drops broker-2 (1), then broker-3 (2, based on
    // the state after 1). Then a copy of an expansion it sent earlier, also based on partition
    // epoch 0, arrives late: applied, it would put broker-2 back, lacking what was committed since.
    alter(1, 0, 0, ["broker-1", "broker-3"]);
    alter(2, 0, 1, ["broker-1"]);
    alter(3, 0, 0, ["broker-1", "broker-2", "broker-3"]);
    expect(controller.state(0)).toMatchObject({ isr: ["broker-1"], partitionEpoch: 2 });
    expect(answers()).toEqual([
      {
        type: "AlterPartitionResponse",
        requestId: 1,
        partition: 0,
        state: {
          partition: 0,
          leader: "broker-1",
          isr: ["broker-1", "broker-3"],
          replicas: ["broker-1", "broker-2", "broker-3"],
          leaderEpoch: 0,
          partitionEpoch: 1,
        },
      },
      {
        type: "AlterPartitionResponse",
        requestId: 2,
        partition: 0,
        state: {
          partition: 0,
          leader: "broker-1",
          isr: ["broker-1"],
          replicas: ["broker-1", "broker-2", "broker-3"],
          leaderEpoch: 0,
          partitionEpoch: 2,
        },
      },
      {
        type: "AlterPartitionResponse",
        requestId: 3,
        partition: 0,
        error: "INVALID_UPDATE_VERSION",
      },
    ]);
    // broker-2 never heartbeats and is fenced; broker-1 and broker-3 heartbeat until 100 ms.
    for (let t = 0; t <= 100; t += 10)
      sim.at(t, () => {
        for (const b of ["broker-1", "broker-3"])
          controller.receive(b, { type: "Heartbeat", broker: b });
      });
    sim.runUntil(() => false, 100);
    alter(4, 0, 2, ["broker-1", "broker-2"]);
    expect(answers().at(-1)).toEqual({
      type: "AlterPartitionResponse",
      requestId: 4,
      partition: 0,
      error: "INELIGIBLE_REPLICA",
    });
    // broker-1 falls silent too and is fenced: the partition goes offline in leader epoch 1, and
    // what broker-1 sent in leader epoch 0 is refused.
    sim.runUntil(() => controller.state(0).leader === null, 300);
    alter(5, 0, 2, ["broker-1", "broker-3"]);
    expect(answers().at(-1)).toEqual({
      type: "AlterPartitionResponse",
      requestId: 5,
      partition: 0,
      error: "FENCED_LEADER_EPOCH",
    });
    expect(controller.state(0)).toMatchObject({ isr: ["broker-1"], leaderEpoch: 1 });
  });
});
