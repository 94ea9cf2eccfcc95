/**
 * What the replication run tells, apart from what its nodes note themselves: one record followed
 * from the producer to the consumer (produce, leader append, follower fetch, high watermark,
 * acknowledgement, consumer read), and the messages of `--verbose` and `--json`, shown compactly
 * with the routine traffic (heartbeats, metadata, fetches that bring nothing) counted instead of
 * listed; the routine events still reach the trace, marked `routine`, so that the pictures of a
 * run draw every message (DDIA ch. 11, "Partitioned Logs"; ch. 5, "Leaders and Followers").
 *
 * It watches the simulation's trace from outside: the brokers and clients do not know it is there.
 * What it says about a node's state it reads after the node has handled the message (an action
 * scheduled at the same simulated time runs after the current one), and it never draws a random
 * number, so a run that is narrated is the same run as one that is not.
 */

import type { Simulation } from "../../shared/simulation.js";
import { Trace, type TraceEvent } from "../../shared/trace.js";
import { REF } from "../refs.js";
import type { Broker } from "./broker.js";
import type { ClusterMessage, WireRecord } from "./messages.js";

type MessageEvent = Extract<TraceEvent, { kind: "send" | "deliver" | "drop" }>;

export interface Followed {
  value: string;
  acks: "0" | "1" | "all";
  brokers: readonly Broker[];
}

/**
 * A trace for the simulation that forwards to `outer`: every narration as it is, message events
 * only if `outer` records them, compacted; and, if `followed` is given, notes on that record's path.
 * Returns the trace and a function that reports what `--verbose` left out.
 */
export function narratedTrace(
  outer: Trace,
  sim: () => Simulation,
  followed: Followed | undefined,
): { trace: Trace; finish: () => void } {
  if (followed === undefined && !outer.messages) return { trace: outer, finish: () => {} };
  const inner = new Trace({ messages: true, keep: false });
  const follow = followed === undefined ? undefined : new RecordPath(outer, sim, followed);
  const hidden = new Map<string, number>();
  const hide = (what: string) => hidden.set(what, (hidden.get(what) ?? 0) + 1);
  /** The last LeaderAndIsr partition epoch each broker was shown, per partition: repeats are routine. */
  const shownState = new Map<string, number>();
  inner.subscribe((event) => {
    forward(event);
    // After the message itself is shown, what it means for the followed record.
    if (event.kind === "send" || event.kind === "deliver" || event.kind === "drop")
      follow?.observe(event);
  });
  const forward = (event: TraceEvent) => {
    if (event.kind === "timer") {
      if (outer.messages) hide("timer firings");
      return;
    }
    if (event.kind !== "send" && event.kind !== "deliver" && event.kind !== "drop") {
      outer.emit(event);
      return;
    }
    if (!outer.messages) return;
    const msg = event.msg as ClusterMessage;
    const routine = routineKind(event, msg, shownState);
    if (routine !== undefined) hide(routine);
    // Routine traffic still reaches the trace, marked: the text leaves it out (counted in the
    // closing note), while the pictures draw every message from its send to its delivery.
    outer.emit({
      ...event,
      msg: compact(msg),
      ...(routine !== undefined ? { routine: true } : {}),
    });
  };
  const finish = () => {
    if (!outer.messages || hidden.size === 0) return;
    // Only `--verbose` lists messages, so only it has anything left out to count.
    outer.note(
      `Messages left out above, counted: ${[...hidden].map(([what, n]) => `${n.toLocaleString("en-US")} ${what}`).join("; ")}.`,
      { level: "detail" },
    );
  };
  return { trace: inner, finish };
}

/**
 * Why `--verbose` counts a message event instead of listing it, or undefined when it lists it: a
 * send (its delivery or drop shows the same message a little later), and the routine traffic.
 */
function routineKind(
  event: MessageEvent,
  msg: ClusterMessage,
  shownState: Map<string, number>,
): string | undefined {
  if (event.kind === "send") return "sends (each message is shown when it arrives or is dropped)";
  switch (msg.type) {
    case "Heartbeat":
      return "heartbeats";
    case "Metadata":
    case "MetadataResponse":
      return "metadata requests and answers";
    case "Fetch":
      return "fetch requests (each answer that brings records is shown)";
    case "FetchResponse":
      if (msg.records.length === 0 && msg.truncateTo === undefined && msg.error === undefined)
        return "fetch answers with nothing new";
      return undefined;
    case "LeaderAndIsr": {
      const key = `${event.to}/${msg.state.partition}`;
      if (event.kind === "deliver" && shownState.get(key) === msg.state.partitionEpoch)
        return "LeaderAndIsr repeats of a state the broker already had";
      if (event.kind === "deliver") shownState.set(key, msg.state.partitionEpoch);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A message as `--verbose` shows it: the fields that matter, records as value@offset. */
function compact(msg: ClusterMessage): Record<string, unknown> {
  switch (msg.type) {
    case "Produce":
      return {
        type: msg.type,
        partition: msg.partition,
        key: msg.key,
        value: msg.value,
        acks: msg.acks,
        ...(msg.sequence === undefined ? {} : { sequence: msg.sequence }),
      };
    case "ProduceResponse":
      return {
        type: msg.type,
        partition: msg.partition,
        ...(msg.offset === undefined ? {} : { offset: msg.offset }),
        ...(msg.error === undefined ? {} : { error: msg.error }),
        ...(msg.duplicate ? { duplicate: true } : {}),
      };
    case "FetchResponse":
      return {
        type: msg.type,
        partition: msg.partition,
        records: msg.records.map(recordText).join(" "),
        highWatermark: msg.highWatermark,
        leaderEpoch: msg.leaderEpoch,
        ...(msg.truncateTo === undefined ? {} : { truncateTo: msg.truncateTo }),
        ...(msg.error === undefined ? {} : { error: msg.error }),
      };
    case "LeaderAndIsr":
      return {
        type: msg.type,
        partition: msg.state.partition,
        leader: msg.state.leader,
        isr: msg.state.isr.join(","),
        leaderEpoch: msg.state.leaderEpoch,
        partitionEpoch: msg.state.partitionEpoch,
      };
    case "AlterPartitionResponse":
      return msg.state === undefined
        ? { type: msg.type, partition: msg.partition, error: msg.error ?? "" }
        : {
            type: msg.type,
            partition: msg.partition,
            leader: msg.state.leader,
            isr: msg.state.isr.join(","),
            leaderEpoch: msg.state.leaderEpoch,
            partitionEpoch: msg.state.partitionEpoch,
          };
    case "AlterPartition":
      return {
        type: msg.type,
        partition: msg.partition,
        isr: msg.isr.join(","),
        leaderEpoch: msg.leaderEpoch,
        partitionEpoch: msg.partitionEpoch,
      };
    case "OffsetsForLeaderEpoch":
      return {
        type: msg.type,
        partition: msg.partition,
        epoch: msg.epoch,
        leaderEpoch: msg.leaderEpoch,
      };
    case "OffsetsForLeaderEpochResponse":
      return {
        type: msg.type,
        partition: msg.partition,
        epoch: msg.epoch,
        endOffset: msg.endOffset,
        ...(msg.error === undefined ? {} : { error: msg.error }),
      };
    case "Fetch":
    case "Heartbeat":
    case "Metadata":
    case "MetadataResponse":
      return { ...msg };
  }
}

function recordText(r: WireRecord): string {
  return `${r.value}@${r.offset}`;
}

/** Notes on one record's way, each said once, at the time it happened. */
class RecordPath {
  private offset: number | undefined;
  private partition: number | undefined;
  private requestId: string | undefined;
  private sentAtMs: number | undefined;
  private committed = false;
  private readonly said = new Set<string>();

  constructor(
    private readonly trace: Trace,
    private readonly sim: () => Simulation,
    private readonly followed: Followed,
  ) {}

  private say(once: string, node: string, text: string, ref?: string): void {
    if (this.said.has(once)) return;
    this.said.add(once);
    this.trace.note(text, { node, time: this.sim().now, ...(ref ? { ref } : {}) });
  }

  /** After the receiving node has handled the current message. */
  private afterwards(action: () => void): void {
    this.sim().at(this.sim().now, action);
  }

  private broker(id: string): Broker | undefined {
    return this.followed.brokers.find((b) => b.id === id);
  }

  observe(event: MessageEvent): void {
    const msg = event.msg as ClusterMessage;
    const { value, acks } = this.followed;
    if (event.kind === "send" && msg.type === "Produce" && msg.value === value) {
      this.requestId = msg.requestId;
      this.partition = msg.partition;
      if (this.sentAtMs === undefined) {
        this.sentAtMs = event.time;
        this.say(
          "send",
          event.from,
          `Follow ${value}: the producer sends it to ${event.to}, the leader of partition ${msg.partition} as far as it knows, with acks=${acks}${acks === "all" ? ": it will be answered once every in-sync replica has it" : acks === "1" ? ": the leader will answer as soon as it has it" : ": no answer will come"}.`,
          REF.partitionedLogs,
        );
      } else
        this.say(
          "resend",
          event.from,
          `sends ${value} again: no acknowledgement came in time (it retries until one does, or gives up; later retries are not narrated).`,
        );
      return;
    }
    if (event.kind === "drop" && this.involves(msg)) {
      this.say(
        `drop ${msg.type}`,
        event.from,
        `a ${msg.type} for ${value} to ${event.to} is lost (${event.reason}); later losses of this kind are not narrated.`,
      );
      return;
    }
    if (event.kind !== "deliver") return;
    if (msg.type === "Produce" && msg.value === value) {
      const leader = this.broker(event.to);
      this.afterwards(() => {
        const offset = leader?.log(msg.partition).endOffset;
        const record = offset === undefined ? undefined : leader?.log(msg.partition).at(offset - 1);
        if (leader === undefined || record?.value !== value) return;
        if (this.offset === undefined) {
          this.offset = record.offset;
          const hw = leader.highWatermark(msg.partition);
          this.committed = hw > record.offset;
          this.say(
            "append",
            leader.id,
            `appends ${value} to partition ${msg.partition} at offset ${record.offset}, in leader epoch ${record.epoch}. ${
              this.committed
                ? `It is the only in-sync replica, so its high watermark moves to ${hw} at once: ${value} is committed.`
                : `Its high watermark is ${hw}: ${value} is not committed yet, and no consumer can see it.`
            }`,
          );
        }
      });
      return;
    }
    if (msg.type === "FetchResponse" && this.carries(msg)) {
      const node = event.to;
      const offset = this.offset as number;
      if (node === "consumer" || this.broker(node) === undefined) {
        this.say(
          "consumed",
          node,
          `reads ${value} at offset ${offset}: the leader's high watermark is ${msg.highWatermark}, past it, so ${value} is committed and visible.`,
          REF.partitionedLogs,
        );
        return;
      }
      const follower = this.broker(node) as Broker;
      this.afterwards(() => {
        if (follower.log(msg.partition).at(offset)?.value !== value) return;
        this.say(
          `fetched ${node}`,
          node,
          `receives ${value} (offset ${offset}) from ${event.from} in answer to its fetch, and appends it; its next fetch, from offset ${follower.log(msg.partition).endOffset}, tells the leader it has ${value}.`,
        );
      });
      return;
    }
    if (
      msg.type === "FetchResponse" &&
      event.to === "consumer" &&
      msg.partition === this.partition &&
      this.offset !== undefined &&
      !this.committed &&
      msg.highWatermark <= this.offset &&
      msg.records.length === 0
    ) {
      this.say(
        "consumer waits",
        event.to,
        `asks ${event.from} for offset ${this.offset} and gets nothing: the high watermark is ${msg.highWatermark}, so ${value} is not visible yet.`,
      );
      return;
    }
    if (
      (msg.type === "Fetch" && msg.isFollower && msg.partition === this.partition) ||
      (msg.type === "AlterPartitionResponse" && msg.partition === this.partition)
    ) {
      const partition = this.partition;
      const leader = this.broker(event.to);
      const offset = this.offset;
      if (leader === undefined || offset === undefined || this.committed) return;
      this.afterwards(() => {
        const hw = leader.highWatermark(partition);
        if (
          this.committed ||
          hw <= offset ||
          !leader.isLeader(partition) ||
          leader.log(partition).at(offset)?.value !== value
        )
          return;
        this.committed = true;
        const why =
          msg.type === "Fetch" && msg.fetchOffset > offset
            ? `${msg.replica} asks for offset ${msg.fetchOffset}, so it has ${value}, and`
            : "With the ISR as it now is,";
        this.say(
          "committed",
          leader.id,
          `${why} every in-sync replica (${leader.partitionState(partition)?.isr.join(", ")}) has offset ${offset}: the high watermark is now ${hw}, and ${value} is committed.`,
          REF.partitionedLogs,
        );
      });
      return;
    }
    if (
      msg.type === "ProduceResponse" &&
      event.to === "producer" &&
      msg.offset === this.offset &&
      msg.partition === this.partition &&
      this.sentAtMs !== undefined
    ) {
      this.say(
        "acknowledged",
        event.to,
        `${value} is acknowledged at offset ${msg.offset}, ${(event.time - this.sentAtMs).toFixed(1)} ms after it was first sent${acks === "all" ? ", once it was committed" : ": the leader answered as soon as it had appended it, without waiting for any follower, so had it crashed then, a new leader could have lacked it"}.`,
      );
    }
  }

  private carries(msg: Extract<ClusterMessage, { type: "FetchResponse" }>): boolean {
    return (
      msg.partition === this.partition &&
      msg.records.some((r) => r.value === this.followed.value && r.offset === this.offset)
    );
  }

  private involves(msg: ClusterMessage): boolean {
    switch (msg.type) {
      case "Produce":
        return msg.value === this.followed.value;
      case "ProduceResponse":
        return msg.partition === this.partition && msg.requestId === this.requestId;
      case "FetchResponse":
        return this.carries(msg);
      default:
        return false;
    }
  }
}
