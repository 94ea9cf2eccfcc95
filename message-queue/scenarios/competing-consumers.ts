/**
 * The traditional broker: load balancing against fan-out, acknowledgements, a consumer crash that
 * makes the broker redeliver (and so reorder), prefetch limits, and a poison message sent to the
 * dead-letter queue (DDIA ch. 11, "Multiple consumers" and "Acknowledgments and redelivery",
 * Figure 11-2). A step model: in each step, the broker dispatches and every consumer handles the
 * oldest message it holds, in two steps as a real consumer does: it processes the message (the
 * effect happens), then acknowledges it. One consumer crashes between the two, at a step and
 * chosen by the seed: the broker redelivers the message it never heard about, another consumer
 * processes it again, and the effect happens twice. That is at-least-once delivery, the most a
 * broker can promise on its own.
 */

import { integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { messagesOption } from "../options.js";
import { REF } from "../refs.js";
import { shortList } from "../text.js";
import { QueueBroker } from "../traditional.js";

interface Options {
  consumers: number;
  messages: number;
  prefetch: number;
  maxDeliveries: number;
}

export interface CompetingRun {
  processedBy: Map<string, string[]>;
  broker: QueueBroker;
  maxHeld: number;
  crashed: string;
  /** The step at which it crashed (-1 if no consumer crashed: one consumer, or nothing left). */
  crashStep: number;
  redelivered: string[];
  /** The message the crashed consumer processed and never acknowledged, if any. */
  processedNotAcked: string | undefined;
  poison: string;
}

/**
 * Load balancing: every message goes to one consumer. A consumer chosen by the seed crashes at the
 * first step from one chosen by the seed (1 to 3) at which it holds a message it can process: after
 * processing it and before acknowledging it.
 */
export function runCompeting(options: Options & { seed: number }): CompetingRun {
  const random = new Random(options.seed).fork("consumers");
  const broker = new QueueBroker(options.prefetch, options.maxDeliveries);
  const messages = Array.from({ length: options.messages }, (_, i) => `m${i + 1}`);
  const poison = messages[Math.min(6, messages.length - 1)] as string;
  for (const m of messages) broker.publish(m);
  let consumers = Array.from({ length: options.consumers }, (_, i) => `consumer-${i + 1}`);
  const crashAt = random.int(1, 3);
  const crashed = random.pick(consumers);
  let crashStep = -1;
  let processedNotAcked: string | undefined;
  const processedBy = new Map(consumers.map((c) => [c, [] as string[]]));
  let maxHeld = 0;
  let redelivered: string[] = [];
  for (
    let step = 0;
    // Ten steps per message, and more: a bound that only a stuck loop reaches.
    step < 10_000 + 10 * options.messages && (broker.readyCount > 0 || broker.inFlightCount > 0);
    step++
  ) {
    broker.dispatch(consumers);
    for (const c of consumers) maxHeld = Math.max(maxHeld, broker.heldBy(c));
    const oldest = broker.oldestHeldBy(crashed);
    if (
      step >= crashAt &&
      crashStep < 0 &&
      consumers.length > 1 &&
      oldest !== undefined &&
      oldest !== poison
    ) {
      // The consumer processes its oldest message (the effect happens: an email sent, a row
      // written) and dies before its acknowledgement goes out. The broker only sees a lost
      // connection, and puts back everything the consumer held, the processed message included.
      processedBy.get(crashed)?.push(oldest);
      processedNotAcked = oldest;
      crashStep = step;
      redelivered = broker.consumerLost(crashed);
      consumers = consumers.filter((c) => c !== crashed);
      continue;
    }
    for (const c of consumers) {
      const message = broker.oldestHeldBy(c);
      if (message === undefined) continue;
      if (message === poison) {
        broker.nack(c, message);
        continue;
      }
      processedBy.get(c)?.push(message);
      broker.ack(c, message);
    }
  }
  return {
    processedBy,
    broker,
    maxHeld,
    crashed,
    crashStep,
    redelivered,
    processedNotAcked,
    poison,
  };
}

export const competingConsumers: Scenario<Options> = {
  name: "competing-consumers",
  summary:
    "a traditional broker: load balancing and fan-out, acknowledgements, redelivery that reorders, prefetch, a dead-letter queue",
  options: [
    option("--consumers <count>", "consumers on the queue", integer(1, 32), 3),
    messagesOption(12),
    option(
      "--prefetch <count>",
      "unacknowledged messages a consumer may hold",
      integer(1, 1_000),
      2,
    ),
    option(
      "--max-deliveries <count>",
      "attempts before a message goes to the dead-letter queue",
      integer(2, 100),
      3,
    ),
  ],
  run: ({ trace, seed }, options) => {
    trace.section("Load balancing: each message to one consumer", REF.multipleConsumers);
    trace.note(
      `${options.messages} messages on one queue, ${options.consumers} consumers, prefetch ${options.prefetch}: the broker hands each consumer at most ${options.prefetch} unacknowledged message(s) at a time and deletes a message once it is acknowledged.`,
      { ref: REF.multipleConsumers },
    );
    const run = runCompeting({ ...options, seed });
    if (run.crashStep >= 0) {
      trace.note(
        `At step ${run.crashStep} ${run.crashed} processes ${run.processedNotAcked} and crashes before acknowledging it, holding ${shortList(run.redelivered)} unacknowledged. The broker cannot tell processed from unprocessed: it puts ${run.redelivered.length === 1 ? "it" : "them"} back and redelivers to other consumers, after messages that were queued later (Figure 11-2).`,
        { level: "summary", ref: REF.ackRedelivery },
      );
    }
    trace.note(
      `${run.poison} fails every time it is processed (a poison message); after ${options.maxDeliveries} deliveries the broker moves it to the dead-letter queue instead of redelivering it forever.`,
      { level: "summary" },
    );
    trace.table(
      "Who processed what, in order",
      ["consumer", "processed"],
      [...run.processedBy].map(([c, ms]) => [
        c === run.crashed && run.crashStep >= 0 ? `${c} (crashed)` : c,
        shortList(ms, 40, " ") || "(nothing)",
      ]),
      `Dead-letter queue: ${shortList(run.broker.deadLetters) || "empty"}; redeliveries: ${run.broker.redeliveries}.`,
    );
    const processed = [...run.processedBy.values()].flat();
    const expected = Array.from({ length: options.messages }, (_, i) => `m${i + 1}`).filter(
      (m) => m !== run.poison,
    );
    // A redelivered message was overtaken if its consumer processed a later-queued one before it.
    const redelivered = new Set(run.redelivered);
    const number = (m: string) => Number(m.slice(1));
    const reordered = [...run.processedBy.values()].some((list) => {
      let latest = 0;
      for (const m of list) {
        if (redelivered.has(m) && latest > number(m)) return true;
        latest = Math.max(latest, number(m));
      }
      return false;
    });
    const processedOnce = new Set(processed);
    const times = new Map<string, number>();
    for (const m of processed) times.set(m, (times.get(m) ?? 0) + 1);
    const duplicates = [...processedOnce].filter((m) => (times.get(m) ?? 0) > 1);
    const leastName = "every message except the poison one is processed at least once";
    const onceName = "no message is processed twice";
    if (expected.length === 0) {
      trace.notExercised(leastName, "the only message is the poison one");
      trace.notExercised(onceName, "the only message is the poison one");
    } else {
      trace.check(
        leastName,
        expected.every((m) => processedOnce.has(m)),
        { detail: `${processedOnce.size} distinct message(s) processed`, ref: REF.ackRedelivery },
      );
      trace.check(onceName, duplicates.length === 0, {
        // A crash between processing and acknowledging makes a duplicate: at-least-once.
        expected: run.processedNotAcked === undefined,
        ref: REF.ackRedelivery,
        detail:
          duplicates.length === 0
            ? `${processed.length} processed, each once`
            : `${duplicates.length} processed twice (${shortList(duplicates)}): ${run.crashed} processed ${run.processedNotAcked} but crashed before acknowledging it, so the broker redelivered it. Acknowledgements give at-least-once; a consumer whose effects must happen once needs them to be idempotent.`,
      });
    }
    const orderName = "messages are processed in queue order";
    if (processed.length < 2)
      trace.notExercised(orderName, "fewer than two messages were processed", {
        ref: REF.ackRedelivery,
      });
    else
      trace.check(orderName, !reordered, {
        expected: run.redelivered.length === 0,
        ref: REF.ackRedelivery,
        detail: reordered
          ? `redelivered ${shortList(run.redelivered)} came after later messages`
          : "no redelivered message was overtaken",
      });
    trace.check(
      `no consumer ever held more than ${options.prefetch} unacknowledged message(s)`,
      run.maxHeld <= options.prefetch,
    );
    trace.check(
      `the poison message went to the dead-letter queue, after at most ${options.maxDeliveries} deliveries`,
      run.broker.deadLetters.includes(run.poison) &&
        run.broker.deliveriesOf(run.poison) === options.maxDeliveries,
    );

    trace.section("Fan-out: each message to every consumer", REF.multipleConsumers);
    const fanOut = Array.from({ length: options.consumers }, (_, i) => {
      // A fan-out exchange gives every consumer its own queue holding every message.
      const queue = new QueueBroker(options.prefetch, options.maxDeliveries);
      for (let m = 1; m <= options.messages; m++) queue.publish(`m${m}`);
      const me = `consumer-${i + 1}`;
      const got: string[] = [];
      for (
        let step = 0;
        step < 10_000 + 10 * options.messages && queue.readyCount + queue.inFlightCount > 0;
        step++
      ) {
        queue.dispatch([me]);
        const message = queue.oldestHeldBy(me);
        if (message === undefined) continue;
        got.push(message);
        queue.ack(me, message);
      }
      return got;
    });
    trace.note(
      "Fan-out gives every consumer every message, in queue order; load balancing shares the work and promises no order once a redelivery happens.",
    );
    trace.check(
      "with fan-out, every consumer receives every message",
      fanOut.every((got) => got.length === options.messages),
    );
  },
};
