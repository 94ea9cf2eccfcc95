/**
 * A replica of the cap scenario's second AP store: any replica answers at once, as in
 * lww-replica.ts, but each key is a multi-value register, a CRDT (DDIA ch. 5, "Merging
 * concurrently written values"; the `crdts` scenario's eventual-consistency/crdts/mv-register.ts,
 * used as it is), so concurrent writes are kept side by side as siblings instead of one being
 * discarded.
 *
 * - Write(key, v): the replica assigns v to its own register for the key (mvAssign): the new
 *   value's version vector is the merge of every vector the replica holds for the key plus one
 *   in its own entry, so it supersedes exactly the siblings this replica held when it took the
 *   write (recorded in `superseded`, for the scenario's lost-write check), and nothing else.
 * - Read(key): the replica answers with its siblings, sorted (none: nil).
 * - Propagation as in lww-replica.ts: the new register to every other replica once (MvReplicate),
 *   and every `antiEntropyMs` every register to every other replica (MvSync); a replica merges
 *   what it receives (mvMerge: every pair no other pair dominates). Merge is commutative,
 *   associative and idempotent, so loss, duplication and order do not matter once every replica
 *   has heard, directly or not, from every other.
 *
 * The siblings a write supersedes are its replica's, not what its client read: with each client
 * beside one replica the difference is the writes that reached the replica after the client's
 * last read of the key. The `version-vectors` scenario gives each write its client's context.
 *
 * `mergeKeepsOne` is a broken variant for tests: on receiving a register for a key whose
 * siblings are concurrent with its own, the replica keeps only the received one, so concurrent
 * writes are lost as under last write wins, and the lost-write check must catch it.
 *
 * Durable: the registers. Volatile: the replies already sent (a resent request is answered again,
 * not applied twice).
 */

import type { Network } from "../../shared/network.js";
import { SimNode } from "../../shared/node.js";
import {
  type MVRegister,
  mvAssign,
  mvInitial,
  mvMerge,
  mvRegister,
  mvValues,
} from "../crdts/mv-register.js";
import type { ClientMessage } from "./messages.js";

export type MvMessage =
  | ClientMessage
  | { readonly type: "MvReplicate"; readonly key: string; readonly register: MVRegister }
  | {
      readonly type: "MvSync";
      readonly registers: readonly { readonly key: string; readonly register: MVRegister }[];
    };

export interface MvReplicaConfig {
  peers: readonly string[];
  /** Period of the anti-entropy MvSync; 0 turns it off. */
  antiEntropyMs: number;
  /** Broken variant (tests only): a concurrent incoming register replaces the replica's own. */
  mergeKeepsOne?: boolean;
  /** Where to record, per write value (key\0value), the sibling values it superseded. */
  superseded: Map<string, readonly string[]>;
}

export const canonicalMv = mvRegister.stateBased.canonical;

export class MvReplica extends SimNode<MvMessage, Map<string, MVRegister>, Map<string, MvMessage>> {
  constructor(
    id: string,
    net: Network<MvMessage>,
    readonly config: MvReplicaConfig,
  ) {
    super(id, net, new Map());
  }

  protected initialVolatile(): Map<string, MvMessage> {
    return new Map();
  }

  protected override onStart(): void {
    if (this.config.antiEntropyMs > 0) this.setTimer("anti-entropy", this.config.antiEntropyMs);
  }

  protected override onRecover(): void {
    this.onStart();
  }

  register(key: string): MVRegister {
    return this.durable.get(key) ?? mvInitial();
  }

  onMessage(from: string, msg: MvMessage): void {
    switch (msg.type) {
      case "Read":
      case "Write": {
        const answered = this.volatile.get(msg.requestId);
        if (answered !== undefined) {
          this.send(from, answered);
          return;
        }
        const reply = msg.type === "Read" ? this.read(msg) : this.write(msg);
        this.volatile.set(msg.requestId, reply);
        this.send(from, reply);
        return;
      }
      case "MvReplicate":
        this.merge(msg.key, msg.register);
        return;
      case "MvSync":
        for (const { key, register } of msg.registers) this.merge(key, register);
        return;
      case "ReadReply":
      case "WriteAck":
        return; // Replies go to clients; a replica is never sent one.
      default: {
        const never: never = msg;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  override onTimer(name: string): void {
    if (name !== "anti-entropy") return;
    const registers = [...this.durable.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, register]) => ({ key, register }));
    if (registers.length > 0)
      for (const peer of this.config.peers) this.send(peer, { type: "MvSync", registers });
    this.setTimer("anti-entropy", this.config.antiEntropyMs);
  }

  private read(msg: { requestId: string; key: string }): MvMessage {
    const siblings = mvValues(this.register(msg.key)).sort();
    return {
      type: "ReadReply",
      requestId: msg.requestId,
      value: siblings.length === 0 ? null : siblings.join(" | "),
      siblings,
    };
  }

  private write(msg: { requestId: string; key: string; value: string }): MvMessage {
    const before = this.register(msg.key);
    this.config.superseded.set(`${msg.key}\0${msg.value}`, mvValues(before));
    const register = mvAssign(before, this.id, msg.value);
    this.durable.set(msg.key, register);
    for (const peer of this.config.peers)
      this.send(peer, { type: "MvReplicate", key: msg.key, register });
    return { type: "WriteAck", requestId: msg.requestId };
  }

  private merge(key: string, incoming: MVRegister): void {
    const mine = this.register(key);
    const merged = mvMerge(mine, incoming);
    // Broken: when the merge kept siblings of both sides (concurrent writes), keep the incoming.
    const keepsBoth =
      merged.entries.length > incoming.entries.length &&
      merged.entries.length > mine.entries.length;
    this.durable.set(key, this.config.mergeKeepsOne === true && keepsBoth ? incoming : merged);
  }
}
