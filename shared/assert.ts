/**
 * `assert` marks a bug, never an expected fault: a lost message or a crash is an event the
 * algorithm must handle, while a failed assertion means the code is wrong. The simulation adds the
 * seed and the simulated time to the message (see Simulation.run), so every failure can be
 * replayed.
 */
export class AssertionFailed extends Error {
  override name = "AssertionFailed";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

/** For the `default` branch of an exhaustive switch: the compiler proves it unreachable. */
export function unreachable(value: never, what = "value"): never {
  throw new AssertionFailed(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** A limit on events, time or trace size was hit: the run is stuck or runaway. Fails loudly. */
export class LimitExceeded extends Error {
  override name = "LimitExceeded";
}
