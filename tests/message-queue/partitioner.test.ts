import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  kafkaPartition,
  RoundRobinPartitioner,
  StickyPartitioner,
  toPositive,
} from "../../message-queue/partitioner.js";
import { murmur2 } from "../../shared/hash.js";
import { Random } from "../../shared/random.js";

describe("murmur2, as Kafka's Utils.murmur2", () => {
  // Apache Kafka's own vectors, UtilsTest.testMurmur2.
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ])("murmur2(%j) = %i, the signed 32-bit value Java returns", (input, expected) => {
    expect(murmur2(input)).toBe(expected);
    expect(murmur2(new TextEncoder().encode(input))).toBe(expected);
  });

  it("returns a signed 32-bit integer for any bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        (bytes) => Number.isInteger(murmur2(bytes)) && (murmur2(bytes) | 0) === murmur2(bytes),
      ),
    );
  });
});

describe("kafkaPartition", () => {
  it("is toPositive(murmur2(key)) % numPartitions", () => {
    // toPositive(-790332482) = 1357151166, and 1357151166 mod 50 = 16.
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(kafkaPartition("foobar", 50)).toBe(16);
    expect(toPositive(-2147483648)).toBe(0); // where Math.abs would stay negative
  });

  it("always lands in range, and the same key always on the same partition", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = kafkaPartition(key, n);
        return p >= 0 && p < n && kafkaPartition(key, n) === p;
      }),
    );
    expect(() => kafkaPartition("k", 0)).toThrow(RangeError);
  });
});

describe("keyless partitioners", () => {
  it("sticky: one partition per batch, then another", () => {
    const sticky = new StickyPartitioner(new Random(1), 4);
    const picks = Array.from({ length: 12 }, () => sticky.next(3));
    for (let batch = 0; batch < 3; batch++) {
      const slice = picks.slice(batch * 4, batch * 4 + 4);
      expect(new Set(slice).size).toBe(1);
      if (batch > 0) expect(slice[0]).not.toBe(picks[batch * 4 - 1]);
    }
  });

  it("round-robin: every partition in turn", () => {
    const rr = new RoundRobinPartitioner();
    expect(Array.from({ length: 7 }, () => rr.next(3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});
