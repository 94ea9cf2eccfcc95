/**
 * A traditional message broker in the AMQP/JMS style (DDIA ch. 11, "Message brokers compared to
 * databases", "Multiple consumers", "Acknowledgments and redelivery"): a queue of messages,
 * delivered to consumers up to a prefetch limit of unacknowledged messages each, deleted when
 * acknowledged, and redelivered when a consumer fails or crashes. A message that keeps failing
 * (a poison message) moves to a dead-letter queue after `maxDeliveries` attempts.
 */

export class QueueBroker {
  /** Messages waiting to be delivered, in queue order. */
  readonly ready: string[] = [];
  readonly deadLetters: string[] = [];
  readonly acknowledged: string[] = [];
  private readonly unacked = new Map<string, string[]>();
  private readonly deliveries = new Map<string, number>();
  private nextConsumer = 0;
  redeliveries = 0;

  constructor(
    readonly prefetch: number,
    readonly maxDeliveries: number,
  ) {}

  publish(message: string): void {
    this.ready.push(message);
  }

  /** Messages delivered to `consumer` and not yet acknowledged, oldest first. */
  inFlight(consumer: string): readonly string[] {
    return this.unacked.get(consumer) ?? [];
  }

  deliveriesOf(message: string): number {
    return this.deliveries.get(message) ?? 0;
  }

  /** Hand out ready messages, one consumer at a time in turn, each up to its prefetch limit. */
  dispatch(consumers: readonly string[]): { consumer: string; message: string }[] {
    const out: { consumer: string; message: string }[] = [];
    let idle = 0;
    while (this.ready.length > 0 && consumers.length > 0 && idle < consumers.length) {
      const consumer = consumers[this.nextConsumer++ % consumers.length] as string;
      const held = this.unacked.get(consumer) ?? [];
      if (held.length >= this.prefetch) {
        idle++;
        continue;
      }
      idle = 0;
      const message = this.ready.shift() as string;
      held.push(message);
      this.unacked.set(consumer, held);
      this.deliveries.set(message, this.deliveriesOf(message) + 1);
      out.push({ consumer, message });
    }
    return out;
  }

  ack(consumer: string, message: string): void {
    this.remove(consumer, message);
    this.acknowledged.push(message);
  }

  /** The consumer failed to process it: back to the front of the queue, or to the dead letters. */
  nack(consumer: string, message: string): "requeued" | "dead-lettered" {
    this.remove(consumer, message);
    if (this.deliveriesOf(message) >= this.maxDeliveries) {
      this.deadLetters.push(message);
      return "dead-lettered";
    }
    this.redeliveries++;
    this.ready.unshift(message);
    return "requeued";
  }

  /**
   * A consumer's connection died: everything it had not acknowledged goes back to the front of the
   * queue, except what has used up its deliveries, which goes to the dead letters.
   */
  consumerLost(consumer: string): string[] {
    const held = this.unacked.get(consumer) ?? [];
    this.unacked.delete(consumer);
    const back = held.filter((m) => this.deliveriesOf(m) < this.maxDeliveries);
    this.deadLetters.push(...held.filter((m) => !back.includes(m)));
    this.redeliveries += back.length;
    this.ready.unshift(...back);
    return held;
  }

  private remove(consumer: string, message: string): void {
    const held = this.unacked.get(consumer) ?? [];
    const i = held.indexOf(message);
    if (i >= 0) held.splice(i, 1);
  }
}
