/**
 * A traditional message broker in the AMQP/JMS style (DDIA ch. 11, "Message brokers compared to
 * databases", "Multiple consumers", "Acknowledgments and redelivery"): a queue of messages,
 * delivered to consumers up to a prefetch limit of unacknowledged messages each, deleted when
 * acknowledged, and redelivered when a consumer fails or crashes. A message that keeps failing
 * (a poison message) moves to a dead-letter queue after `maxDeliveries` attempts.
 */

export class QueueBroker {
  readonly deadLetters: string[] = [];
  readonly acknowledged: string[] = [];
  /** Messages waiting to be delivered, in queue order (redeliveries go to the front). */
  private readonly ready = new Deque<string>();
  /** Per consumer, what it holds unacknowledged, in delivery order (a Set keeps insertion order). */
  private readonly unacked = new Map<string, Set<string>>();
  private readonly deliveries = new Map<string, number>();
  private heldTotal = 0;
  private nextConsumer = 0;
  redeliveries = 0;

  constructor(
    readonly prefetch: number,
    readonly maxDeliveries: number,
  ) {}

  publish(message: string): void {
    this.ready.pushBack(message);
  }

  /** Messages waiting in the queue. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Messages delivered to some consumer and not yet acknowledged. */
  get inFlightCount(): number {
    return this.heldTotal;
  }

  /** How many unacknowledged messages `consumer` holds. */
  heldBy(consumer: string): number {
    return this.unacked.get(consumer)?.size ?? 0;
  }

  /** The oldest message `consumer` holds unacknowledged, the one it processes next. */
  oldestHeldBy(consumer: string): string | undefined {
    const held = this.unacked.get(consumer);
    if (held === undefined || held.size === 0) return undefined;
    return held.values().next().value;
  }

  deliveriesOf(message: string): number {
    return this.deliveries.get(message) ?? 0;
  }

  /** Hand out ready messages, one consumer at a time in turn, each up to its prefetch limit. */
  dispatch(consumers: readonly string[]): number {
    let dispatched = 0;
    let idle = 0;
    while (this.ready.length > 0 && consumers.length > 0 && idle < consumers.length) {
      const consumer = consumers[this.nextConsumer++ % consumers.length] as string;
      let held = this.unacked.get(consumer);
      if (held === undefined) {
        held = new Set();
        this.unacked.set(consumer, held);
      }
      if (held.size >= this.prefetch) {
        idle++;
        continue;
      }
      idle = 0;
      const message = this.ready.shift() as string;
      held.add(message);
      this.heldTotal++;
      this.deliveries.set(message, this.deliveriesOf(message) + 1);
      dispatched++;
    }
    return dispatched;
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
    this.ready.pushFront(message);
    return "requeued";
  }

  /**
   * A consumer's connection died: everything it had not acknowledged goes back to the front of the
   * queue, in the order it was delivered, except what has used up its deliveries, which goes to
   * the dead letters. Returns what it held.
   */
  consumerLost(consumer: string): string[] {
    const held = [...(this.unacked.get(consumer) ?? [])];
    this.unacked.delete(consumer);
    this.heldTotal -= held.length;
    const back = held.filter((m) => this.deliveriesOf(m) < this.maxDeliveries);
    this.deadLetters.push(...held.filter((m) => this.deliveriesOf(m) >= this.maxDeliveries));
    this.redeliveries += back.length;
    for (let i = back.length - 1; i >= 0; i--) this.ready.pushFront(back[i] as string);
    return held;
  }

  private remove(consumer: string, message: string): void {
    if (this.unacked.get(consumer)?.delete(message)) this.heldTotal--;
  }
}

/**
 * A double-ended queue on a ring buffer: taking from the front and putting back at the front cost
 * O(1), where an array's shift and unshift move every element.
 */
class Deque<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  length = 0;

  pushBack(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = item;
    this.length++;
  }

  pushFront(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return item;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
