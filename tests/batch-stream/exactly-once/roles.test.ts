/**
 * The exactly-once job's roles by messages in and messages out (the operator's barrier alignment,
 * the sink's two-phase commit per checkpoint), the external store's transactions, and the helpers
 * the checks stand on (the fold of the log, the expected rows, the row comparison), each against
 * values worked by hand.
 */
import { describe, expect, it } from "vitest";
import { CheckpointCoordinator } from "../../../batch-stream/exactly-once/coordinator.js";
import {
  compareRows,
  expectedRows,
  inconsistentCheckpoints,
} from "../../../batch-stream/exactly-once/job.js";
import { foldLog } from "../../../batch-stream/exactly-once/log.js";
import type { DataflowMessage, LogRecord } from "../../../batch-stream/exactly-once/messages.js";
import { KeyedTotals } from "../../../batch-stream/exactly-once/operator.js";
import { Sink } from "../../../batch-stream/exactly-once/sink.js";
import { Source } from "../../../batch-stream/exactly-once/source.js";
import { ExternalStore } from "../../../batch-stream/exactly-once/store.js";
import { Network } from "../../../shared/network.js";
import { SimNode } from "../../../shared/node.js";
import { Simulation } from "../../../shared/simulation.js";
import { Trace } from "../../../shared/trace.js";

/** A node that only records what it receives, standing in for the other roles. */
class Recorder extends SimNode<DataflowMessage, null, null> {
  readonly inbox: { from: string; msg: DataflowMessage }[] = [];
  protected initialVolatile(): null {
    return null;
  }
  onMessage(from: string, msg: DataflowMessage): void {
    this.inbox.push({ from, msg });
  }
}

function wire() {
  const sim = new Simulation({ seed: 1, trace: Trace.silent() });
  const net = new Network<DataflowMessage>(sim);
  // Fixed latencies: every message arrives 1 ms after it leaves, in the order sent.
  const fifo = (from: string, to: string) =>
    net.setLink(from, to, { latencyMsMin: 1, latencyMsMax: 1 });
  for (const [a, b] of [
    ["a", "totals"],
    ["b", "totals"],
    ["totals", "sink"],
    ["totals", "coordinator"],
    ["coordinator", "sink"],
    ["sink", "coordinator"],
  ] as const)
    fifo(a, b);
  return { sim, net };
}

const record = (partition: number, offset: number, key: string, value: number) =>
  ({ type: "Record", partition, offset, key, value }) as const;

function operatorRig(alignment: boolean) {
  const { sim, net } = wire();
  const a = net.add(new Recorder("a", net, null));
  const b = net.add(new Recorder("b", net, null));
  const sink = net.add(new Recorder("sink", net, null));
  const coordinator = net.add(new Recorder("coordinator", net, null));
  const totals = net.add(
    new KeyedTotals("totals", net, {
      inputs: ["a", "b"],
      downstream: "sink",
      coordinator: "coordinator",
      alignment,
    }),
  );
  totals.restore(undefined);
  // a: x+1, barrier 1, x+10 ; b: y+2, y+3, barrier 1. Sent 1 ms apart so the arrival order is this.
  const script: [Recorder, DataflowMessage][] = [
    [a, record(0, 0, "x", 1)],
    [a, { type: "Barrier", checkpointId: 1 }],
    [a, record(0, 1, "x", 10)],
    [b, record(1, 0, "y", 2)],
    [b, record(1, 1, "y", 3)],
    [b, { type: "Barrier", checkpointId: 1 }],
  ];
  for (const [i, [from, msg]] of script.entries()) sim.at(i, () => from.send("totals", msg));
  sim.run();
  return { sink, coordinator, totals };
}

describe("the keyed operator: barrier alignment", () => {
  it("aligned: holds back the input whose barrier came first, snapshots exactly the records before the barriers, then releases", () => {
    const { sink, coordinator, totals } = operatorRig(true);
    // Worked by hand: before the barriers, x = 1 and y = 2 + 3 = 5. x+10 came after a's barrier.
    expect(coordinator.inbox.map((m) => m.msg)).toEqual([
      {
        type: "AcknowledgeCheckpoint",
        checkpointId: 1,
        snapshot: { kind: "operator", totals: { x: 1, y: 5 } },
      },
    ]);
    // The barrier reaches the sink after every pre-barrier row and before the held-back one.
    expect(sink.inbox.map((m) => (m.msg.type === "Output" ? m.msg.id : m.msg.type))).toEqual([
      "p0@0",
      "p1@0",
      "p1@1",
      "Barrier",
      "p0@1",
    ]);
    expect(sink.inbox.at(-1)?.msg).toEqual({
      type: "Output",
      id: "p0@1",
      key: "x",
      value: 10,
      total: 11,
    });
    expect(totals.alignments).toEqual([{ checkpointId: 1, durationMs: 4, records: 1 }]);
  });

  it("not aligned (Flink's at-least-once mode): the record after a's barrier is counted into the snapshot", () => {
    const { sink, coordinator } = operatorRig(false);
    expect(coordinator.inbox.map((m) => m.msg)).toEqual([
      {
        type: "AcknowledgeCheckpoint",
        checkpointId: 1,
        snapshot: { kind: "operator", totals: { x: 11, y: 5 } },
      },
    ]);
    // ...and its row went out before the barrier, so a sink commits it with checkpoint 1 too.
    expect(sink.inbox.map((m) => (m.msg.type === "Output" ? m.msg.id : m.msg.type))).toEqual([
      "p0@0",
      "p0@1",
      "p1@0",
      "p1@1",
      "Barrier",
    ]);
  });
});

describe("a source", () => {
  it("injects the barrier after the records it has sent and acknowledges with the next offset; restored, it reads again from the checkpoint's offset", () => {
    const { sim, net } = wire();
    const totals = net.add(new Recorder("totals", net, null));
    const coordinator = net.add(new Recorder("coordinator", net, null));
    const partition: LogRecord[] = [0, 1, 2, 3].map((offset) => ({
      partition: 0,
      offset,
      key: "blue",
      value: offset + 1,
    }));
    const source = net.add(
      new Source("a", net, {
        partition,
        partitionIndex: 0,
        downstream: "totals",
        coordinator: "coordinator",
      }),
    );
    net.setLink("a", "totals", { latencyMsMin: 1, latencyMsMax: 1 });
    source.restore(undefined);
    // Records leave every 2 to 6 ms: by 7 ms one or more have left, by 30 ms all four.
    sim.run(7);
    const sentBefore = source.readUpTo;
    coordinator.send("a", { type: "TriggerCheckpoint", checkpointId: 1 });
    sim.run(30);
    const seen = totals.inbox.map((m) => (m.msg.type === "Record" ? m.msg.offset : m.msg.type));
    // The barrier sits between the records read before the trigger arrived and the rest.
    const at = seen.indexOf("Barrier");
    expect(seen.filter((x) => x !== "Barrier")).toEqual([0, 1, 2, 3]);
    expect(at).toBeGreaterThanOrEqual(sentBefore);
    const ack = coordinator.inbox.at(-1)?.msg;
    expect(ack).toEqual({
      type: "AcknowledgeCheckpoint",
      checkpointId: 1,
      snapshot: { kind: "source", partition: 0, offset: at },
    });
    source.crash();
    source.recover();
    source.restore({ kind: "source", partition: 0, offset: 2 });
    sim.run(60);
    expect(
      totals.inbox.slice(5).map((m) => (m.msg.type === "Record" ? m.msg.offset : m.msg.type)),
    ).toEqual([2, 3]);
  });
});

describe("the checkpoint coordinator", () => {
  function coordinatorRig() {
    const { sim, net } = wire();
    for (const id of ["s0", "s1", "op", "sk"]) net.add(new Recorder(id, net, null));
    const coordinator = net.add(
      new CheckpointCoordinator("coordinator", net, {
        intervalMs: 100,
        sources: ["s0", "s1"],
        tasks: ["s0", "s1", "op", "sk"],
        partitionLengths: [5, 5],
      }),
    );
    const ack = (from: string, checkpointId: number, offset = 3) =>
      (net.node(from) as Recorder).send("coordinator", {
        type: "AcknowledgeCheckpoint",
        checkpointId,
        snapshot:
          from === "s0" || from === "s1"
            ? { kind: "source", partition: from === "s0" ? 0 : 1, offset }
            : from === "op"
              ? { kind: "operator", totals: {} }
              : { kind: "sink", pending: [] },
      });
    return { sim, net, coordinator, ack };
  }
  const inbox = (net: Network<DataflowMessage>, id: string) =>
    (net.node(id) as Recorder).inbox.map((m) => m.msg);

  it("triggers the sources, completes only once every task has acknowledged, then notifies every task", () => {
    const { sim, net, coordinator, ack } = coordinatorRig();
    coordinator.jobStarted();
    sim.run(150);
    expect(inbox(net, "s0")).toEqual([{ type: "TriggerCheckpoint", checkpointId: 1 }]);
    expect(inbox(net, "op")).toEqual([]);
    for (const t of ["s0", "s1", "op"]) ack(t, 1);
    sim.run(170);
    expect(coordinator.completed).toHaveLength(0);
    ack("sk", 1);
    sim.run(190);
    expect(coordinator.completed.map((c) => c.id)).toEqual([1]);
    expect(inbox(net, "sk")).toEqual([{ type: "NotifyCheckpointComplete", checkpointId: 1 }]);
    // Checkpoint 2 is triggered at 200 ms; one in progress blocks the next trigger at 300 ms.
    sim.run(350);
    expect(inbox(net, "s1").filter((m) => m.type === "TriggerCheckpoint")).toHaveLength(2);
  });

  it("abandons the checkpoint in progress when the job fails, ignores its late acknowledgements, and keeps counting ids", () => {
    const { sim, coordinator, ack } = coordinatorRig();
    coordinator.jobStarted();
    sim.run(150);
    for (const t of ["s0", "s1", "op"]) ack(t, 1);
    coordinator.jobFailed();
    ack("sk", 1);
    sim.run(170);
    expect(coordinator.completed).toHaveLength(0);
    expect(coordinator.abandoned).toEqual([1]);
    coordinator.jobStarted();
    sim.run(280);
    for (const t of ["s0", "s1", "op", "sk"]) ack(t, 2, 5);
    sim.run(300);
    // Checkpoint 2 has read all the input: the job is done and triggers no more.
    expect(coordinator.completed.map((c) => c.id)).toEqual([2]);
    expect(coordinator.finished).toBe(true);
  });
});

describe("the transactional sink: one transaction per checkpoint", () => {
  function sinkRig() {
    const { sim, net } = wire();
    const totals = net.add(new Recorder("totals", net, null));
    const coordinator = net.add(new Recorder("coordinator", net, null));
    const store = new ExternalStore(() => sim.now);
    const sink = net.add(
      new Sink("sink", net, { kind: "transactional", store, coordinator: "coordinator" }),
    );
    sink.restore(undefined);
    return { sim, totals, coordinator, store, sink };
  }
  const row = (id: string, total: number) => ({
    type: "Output" as const,
    id,
    key: "x",
    value: 1,
    total,
  });

  it("pre-commits on the barrier, acknowledges with the pending transaction, and makes rows visible only on completion", () => {
    const { sim, totals, coordinator, store } = sinkRig();
    totals.send("sink", row("p0@0", 1));
    totals.send("sink", { type: "Barrier", checkpointId: 1 });
    totals.send("sink", row("p0@1", 2));
    sim.run(10);
    expect(store.rows()).toEqual([]);
    expect(coordinator.inbox.map((m) => m.msg)).toEqual([
      {
        type: "AcknowledgeCheckpoint",
        checkpointId: 1,
        snapshot: { kind: "sink", pending: [{ checkpointId: 1, txid: "tx1" }] },
      },
    ]);
    coordinator.send("sink", { type: "NotifyCheckpointComplete", checkpointId: 1 });
    sim.run(20);
    // Only the row before the barrier: p0@1 is in tx2, which waits for checkpoint 2.
    expect(store.rows().map((r) => r.id)).toEqual(["p0@0"]);
  });

  it("restored from a checkpoint whose completion it never heard of: commits that checkpoint's transaction and aborts the later one", () => {
    const { sim, totals, coordinator, store, sink } = sinkRig();
    totals.send("sink", row("p0@0", 1));
    totals.send("sink", { type: "Barrier", checkpointId: 1 });
    totals.send("sink", row("p0@1", 2));
    sim.run(10);
    const ack = coordinator.inbox[0]?.msg;
    if (ack?.type !== "AcknowledgeCheckpoint") throw new Error("no acknowledgement");
    sink.crash();
    sink.recover();
    sink.restore(ack.snapshot);
    expect(store.rows().map((r) => r.id)).toEqual(["p0@0"]);
    expect(store.stats).toMatchObject({ commits: 1, aborts: 1, rowsAborted: 1 });
    // A late notification commits nothing twice.
    coordinator.send("sink", { type: "NotifyCheckpointComplete", checkpointId: 1 });
    sim.run(20);
    expect(store.rows().map((r) => r.id)).toEqual(["p0@0"]);
  });

  it("a transaction pre-committed for a checkpoint that never completed is aborted on restore: no reader ever sees its rows", () => {
    const { sim, totals, store, sink } = sinkRig();
    totals.send("sink", row("p0@0", 1));
    totals.send("sink", { type: "Barrier", checkpointId: 1 });
    sim.run(10);
    // Checkpoint 1 is abandoned by a failure: the job restarts with no completed checkpoint.
    sink.crash();
    sink.recover();
    sink.restore(undefined);
    sim.run(20);
    expect(store.rows()).toEqual([]);
    expect(store.stats).toMatchObject({ commits: 0, aborts: 2, rowsAborted: 1 });
  });
});

describe("the external store", () => {
  it("commits a transaction once however often it is asked, and an upsert replaces the row with its id", () => {
    let now = 0;
    const store = new ExternalStore(() => now);
    const t = store.begin("sink");
    store.write(t, { id: "p0@0", key: "x", value: 1, total: 1 });
    store.prepare(t);
    now = 5;
    expect(store.commit(t)).toEqual({ rows: 1, repeated: false });
    expect(store.commit(t)).toEqual({ rows: 0, repeated: true });
    expect(store.rows()).toEqual([
      { id: "p0@0", key: "x", value: 1, total: 1, writtenAtMs: 0, visibleAtMs: 5 },
    ]);
    store.upsert({ id: "p0@1", key: "x", value: 2, total: 3 });
    store.upsert({ id: "p0@1", key: "x", value: 2, total: 3 });
    expect(store.rows()).toHaveLength(2);
    expect(store.stats).toMatchObject({ overwrites: 1, overwritesChanged: 0, repeatedCommits: 1 });
    store.append({ id: "p0@1", key: "x", value: 2, total: 3 });
    expect(store.rows()).toHaveLength(3);
  });
});

describe("what the checks stand on", () => {
  // p0: blue 3, red 4, blue 5 ; p1: teal 2, teal 7.
  const log: LogRecord[][] = [
    [
      { partition: 0, offset: 0, key: "blue", value: 3 },
      { partition: 0, offset: 1, key: "red", value: 4 },
      { partition: 0, offset: 2, key: "blue", value: 5 },
    ],
    [
      { partition: 1, offset: 0, key: "teal", value: 2 },
      { partition: 1, offset: 1, key: "teal", value: 7 },
    ],
  ];

  it("folds the log before given offsets", () => {
    expect(foldLog(log, [2, 1])).toEqual({ blue: 3, red: 4, teal: 2 });
    expect(foldLog(log, [3, 2])).toEqual({ blue: 8, red: 4, teal: 9 });
    expect(foldLog(log, [0, 0])).toEqual({});
  });

  it("the expected rows are each record once with its key's running total", () => {
    expect(expectedRows(log).map((r) => `${r.id} ${r.key} ${r.total}`)).toEqual([
      "p0@0 blue 3",
      "p0@1 red 4",
      "p0@2 blue 8",
      "p1@0 teal 2",
      "p1@1 teal 9",
    ]);
  });

  it("the comparison tells duplicates, missing rows and changed rows apart", () => {
    const reference = expectedRows(log);
    expect(compareRows(reference, [...reference].reverse()).equal).toBe(true);
    const dup = compareRows(reference, [...reference, reference[2], reference[2]] as never);
    expect(dup).toMatchObject({ equal: false, duplicates: 2, duplicatedIds: ["p0@2"] });
    const lost = compareRows(reference, reference.slice(1));
    expect(lost).toMatchObject({ equal: false, duplicates: 0, missing: ["p0@0"] });
    const changed = compareRows(reference, [
      ...reference.slice(0, 4),
      { id: "p1@1", key: "teal", value: 7, total: 11 },
    ]);
    expect(changed).toMatchObject({ equal: false, changed: ["p1@1"], missing: [] });
    // A record written twice, once right and once with a wrong total (a transactional sink
    // restored from a checkpoint taken without alignment): one extra copy, and a changed row.
    const both = compareRows(reference, [
      ...reference,
      { id: "p1@1", key: "teal", value: 7, total: 16 },
    ]);
    expect(both).toMatchObject({
      equal: false,
      duplicates: 1,
      duplicatedIds: ["p1@1"],
      changed: ["p1@1"],
      missing: [],
    });
  });

  it("a checkpoint whose operator state counts a record past its offsets is inconsistent", () => {
    const checkpoint = (totals: Record<string, number>) => ({
      id: 1,
      triggeredAtMs: 0,
      completedAtMs: 1,
      snapshots: new Map([
        ["source-0", { kind: "source" as const, partition: 0, offset: 2 }],
        ["source-1", { kind: "source" as const, partition: 1, offset: 1 }],
        ["totals", { kind: "operator" as const, totals }],
      ]),
    });
    expect(inconsistentCheckpoints(log, [checkpoint({ blue: 3, red: 4, teal: 2 })])).toEqual([]);
    // teal 9 counts p1@1, which offset 1 of p1 says is still to be read.
    expect(inconsistentCheckpoints(log, [checkpoint({ blue: 3, red: 4, teal: 9 })])).toEqual([
      { checkpointId: 1, keys: [{ key: "teal", snapshot: 9, log: 2 }] },
    ]);
  });
});
