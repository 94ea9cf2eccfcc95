/**
 * Watermarks from the events themselves (DDIA ch. 11, "Reasoning About Time: Knowing when you're
 * ready"): Flink's BoundedOutOfOrdernessWatermarks assumes that an event is never more than a
 * bound B behind the latest event time seen, and so emits the watermark max - B - 1 (the -1
 * because a watermark W promises that no event at or before W is still to come). When the
 * assumption fails, an event arrives behind the watermark: a straggler.
 */
export class BoundedOutOfOrdernessWatermarks {
  private maxEventTime = Number.NEGATIVE_INFINITY;

  constructor(readonly outOfOrdernessMs: number) {}

  onEvent(eventTime: number): void {
    if (eventTime > this.maxEventTime) this.maxEventTime = eventTime;
  }

  /** The watermark to emit now; -infinity before the first event. */
  current(): number {
    return this.maxEventTime - this.outOfOrdernessMs - 1;
  }

  get maxSeen(): number {
    return this.maxEventTime;
  }
}
