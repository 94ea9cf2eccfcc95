import { describe, expect, it } from "vitest";
import { Broker } from "../../message-queue/cluster/broker.js";
import type { ClusterMessage } from "../../message-queue/cluster/messages.js";
import { type ClusterOptions, runCluster } from "../../message-queue/cluster/run.js";
import { Network } from "../../shared/network.js";
import { Simulation } from "../../shared/simulation.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";

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
  it("acks=all, replication factor 3, min.insync.replicas=2, clean election: no acknowledged message lost, over 500 seeds", () => {
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
        r.leaderless.length > 0
      ) {
        failures.push(
          `${replay(options)}: lost ${r.lost.join(",")}; read then lost ${r.readThenLost.join(",")}; out of order ${r.outOfOrder}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(acknowledged).toBeGreaterThan(500 * 55);
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
});

describe("the idempotent producer", () => {
  it("leaves no duplicates under message loss, retries and a crash; without it the test finds one", () => {
    let plainDuplicates = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const options = { ...base, seed, partitions: 2, loss: 0.1 };
      const idempotent = runCluster(Trace.silent(), { ...options, idempotence: true });
      expect(idempotent.duplicates, `seed ${seed}`).toBe(0);
      expect(idempotent.lost, `seed ${seed}`).toEqual([]);
      plainDuplicates += runCluster(Trace.silent(), { ...options, idempotence: false }).duplicates;
    }
    expect(plainDuplicates).toBeGreaterThan(0);
  });
});

describe("a broker, message by message", () => {
  function leaderWithLog(epochs: number[]) {
    const trace = new Trace();
    const sim = new Simulation({ seed: 1, trace });
    const net = new Network<ClusterMessage>(sim, { loss: 1 });
    const config = {
      controller: "controller",
      minInsyncReplicas: 2,
      replicaLagMaxMs: 30,
      fetchIntervalMs: 5,
      idempotence: false,
    };
    const broker = net.add(new Broker("broker-1", net, config));
    for (const [i, epoch] of epochs.entries()) broker.log(0).append(null, `v${i}`, i, epoch);
    broker.receive("controller", {
      type: "LeaderAndIsr",
      state: {
        partition: 0,
        leader: "broker-1",
        isr: ["broker-1", "broker-2"],
        replicas: ["broker-1", "broker-2"],
        leaderEpoch: 2,
        version: 1,
      },
    });
    const sent = () =>
      trace.events
        .filter(
          (e): e is Extract<TraceEvent, { kind: "send" }> =>
            e.kind === "send" && e.from === "broker-1",
        )
        .map((e) => e.msg as ClusterMessage);
    return { broker, sent };
  }

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

  it("refuses acks=all when the ISR is smaller than min.insync.replicas", () => {
    const { broker, sent } = leaderWithLog([]);
    broker.receive("controller", {
      type: "AlterPartitionResponse",
      state: {
        partition: 0,
        leader: "broker-1",
        isr: ["broker-1"],
        replicas: ["broker-1", "broker-2"],
        leaderEpoch: 2,
        version: 2,
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
});
