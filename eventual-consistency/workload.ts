/**
 * The register workload every store in this folder can run, so that `consistency-models` and
 * `cap` compare stores on the same operations: each client (a process, a user's session) runs its
 * own script of reads and writes, one at a time, pausing between them. Every written value is
 * unique per key (`<client>:<n>`), as the consistency checker requires: a read then names the
 * write it read from. Registers start at nil.
 *
 * The plan is plain data drawn from the seed, so two stores given the same seed get the same
 * scripts, whatever they do with them.
 */

import type { Random } from "../shared/random.js";

export interface RegisterWorkloadOptions {
  clients: number;
  /** Operations per client. */
  operations: number;
  keys: number;
  /** Probability that an operation is a write. */
  writeRatio: number;
  /** Pause before each operation, drawn uniformly from [0, thinkMsMax]. */
  thinkMsMax: number;
}

export interface PlannedOperation {
  f: "read" | "write";
  key: string;
  /** The value a write writes; null for a read. */
  value: string | null;
  /** Pause after the previous operation completes (or after the start, for the first). */
  thinkMs: number;
}

export interface ClientScript {
  client: string;
  operations: PlannedOperation[];
}

export const keyName = (i: number): string => `x${i}`;
export const clientName = (i: number): string => `client-${i + 1}`;

export function planRegisterWorkload(
  random: Random,
  options: RegisterWorkloadOptions,
): ClientScript[] {
  const keys = Array.from({ length: options.keys }, (_, i) => keyName(i));
  return Array.from({ length: options.clients }, (_, c) => {
    const client = clientName(c);
    const operations: PlannedOperation[] = [];
    for (let n = 0; n < options.operations; n++) {
      const write = random.chance(options.writeRatio);
      operations.push({
        f: write ? "write" : "read",
        key: random.pick(keys),
        value: write ? `${client}:${n}` : null,
        thinkMs: random.uniform(0, options.thinkMsMax),
      });
    }
    return { client, operations };
  });
}
