/**
 * Sloppy quorums and hinted handoff (DDIA ch. 5, "Sloppy Quorums and Hinted Handoff"): when a
 * write cannot reach w of its key's n "home" replicas, a sloppy quorum accepts acknowledgements
 * from other reachable nodes instead. Each stand-in keeps the write with a hint naming the home
 * replica it is for, and hands it off once that replica is reachable. Until then, a quorum read of
 * the home replicas can miss a write that was acknowledged.
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";

export type SloppyMessage =
  | {
      readonly type: "Store";
      readonly requestId: string;
      readonly key: string;
      readonly value: string;
      readonly hintFor?: string;
    }
  | { readonly type: "Stored"; readonly requestId: string }
  | { readonly type: "Fetch"; readonly requestId: string; readonly key: string }
  | { readonly type: "Fetched"; readonly requestId: string; readonly value: string | null };

interface Hinted {
  /** The id of the write the hint carries; handoff acknowledgements name it. */
  writeId: string;
  key: string;
  value: string;
  hintFor: string;
}

export class SloppyNode extends SimNode<
  SloppyMessage,
  { data: Map<string, string>; hints: Hinted[] },
  null
> {
  handedOff = 0;

  constructor(id: string, net: Network<SloppyMessage>) {
    super(id, net, { data: new Map(), hints: [] });
  }

  protected initialVolatile(): null {
    return null;
  }

  protected override onStart(): void {
    this.setTimer("handoff", 20);
  }

  override onTimer(): void {
    // Try to hand every hint to its home replica; it is dropped when the home acknowledges.
    for (const h of this.durable.hints) {
      this.send(h.hintFor, {
        type: "Store",
        requestId: `handoff:${h.writeId}`,
        key: h.key,
        value: h.value,
      });
    }
    this.setTimer("handoff", 20);
  }

  onMessage(from: string, msg: SloppyMessage): void {
    if (msg.type === "Store") {
      const { requestId, key, value, hintFor } = msg;
      if (hintFor === undefined) this.durable.data.set(key, value);
      // A duplicated Store must not leave two hints for one write.
      else if (!this.durable.hints.some((h) => h.writeId === requestId && h.hintFor === hintFor))
        this.durable.hints.push({ writeId: requestId, key, value, hintFor });
      this.send(from, { type: "Stored", requestId: msg.requestId });
    } else if (msg.type === "Fetch") {
      this.send(from, {
        type: "Fetched",
        requestId: msg.requestId,
        value: this.durable.data.get(msg.key) ?? null,
      });
    } else if (msg.type === "Stored" && msg.requestId.startsWith("handoff:")) {
      const writeId = msg.requestId.slice("handoff:".length);
      const i = this.durable.hints.findIndex((h) => h.writeId === writeId && h.hintFor === from);
      if (i < 0) return; // a duplicate acknowledgement of a hint already handed off
      const [h] = this.durable.hints.splice(i, 1);
      this.handedOff++;
      this.note(`hands off the hinted write of ${h?.key} to ${from} and drops the hint`, {
        level: "summary",
      });
    }
  }
}

/** A coordinating client: quorum writes (strict or sloppy) and quorum reads of the home replicas. */
export class SloppyClient extends SimNode<SloppyMessage, null, null> {
  private acks = new Map<string, Set<string>>();
  private reads = new Map<string, (string | null)[]>();

  constructor(
    id: string,
    net: Network<SloppyMessage>,
    readonly homes: string[],
    readonly standIns: string[],
  ) {
    super(id, net, null);
  }

  protected initialVolatile(): null {
    return null;
  }

  /** Send to the home replicas; after `waitMs`, if sloppy, cover each silent home with a stand-in. */
  write(requestId: string, key: string, value: string, sloppy: boolean, waitMs: number): void {
    this.acks.set(requestId, new Set());
    for (const h of this.homes) this.send(h, { type: "Store", requestId, key, value });
    if (!sloppy) return;
    this.sim.schedule(waitMs, () => {
      const answered = this.acks.get(requestId) ?? new Set();
      const silent = this.homes.filter((h) => !answered.has(h));
      silent.forEach((home, i) => {
        const standIn = this.standIns[i % this.standIns.length] as string;
        this.note(
          `gets no answer from ${home}; ${standIn} takes the write with a hint for ${home}`,
        );
        this.send(standIn, { type: "Store", requestId, key, value, hintFor: home });
      });
    });
  }

  acknowledgements(requestId: string): number {
    return this.acks.get(requestId)?.size ?? 0;
  }

  read(requestId: string, key: string): void {
    this.reads.set(requestId, []);
    for (const h of this.homes) this.send(h, { type: "Fetch", requestId, key });
  }

  answers(requestId: string): (string | null)[] {
    return this.reads.get(requestId) ?? [];
  }

  onMessage(from: string, msg: SloppyMessage): void {
    if (msg.type === "Stored") this.acks.get(msg.requestId)?.add(from);
    else if (msg.type === "Fetched") this.reads.get(msg.requestId)?.push(msg.value);
  }
}
