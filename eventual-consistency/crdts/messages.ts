/**
 * The messages replicas of a CRDT send each other.
 *
 * State-based replication has one message: a replica's whole payload (gossip).
 * Operation-based replication has two: an operation, sent by its source to every other replica
 * again and again until each acknowledges it, and the acknowledgement.
 *
 * Every message also carries `context`/`deps`, the sender's causal past as a vector (per replica,
 * how many of its updates the sender has seen). The operation-based layer uses `deps` to hold back
 * an operation whose causal past has not been applied yet, for the types that need causal order;
 * for the others, and for state-based gossip, it only lets the run record each update's causal
 * past for the convergence check.
 */

import type { VectorClock } from "../../shared/clocks.js";

/** An operation's id: its source and how many updates the source had made (from 1). */
export interface OpId {
  readonly origin: string;
  readonly seq: number;
}

export const opKey = (id: OpId): string => `${id.origin}.${id.seq}`;

export type CrdtMessage =
  | { readonly type: "State"; readonly state: unknown; readonly context: VectorClock }
  | {
      readonly type: "Op";
      readonly id: OpId;
      /** The source's causal past just before this operation (its own earlier updates included). */
      readonly deps: VectorClock;
      readonly op: unknown;
    }
  | { readonly type: "Ack"; readonly id: OpId };
