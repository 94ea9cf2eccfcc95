import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jumpConsistentHash, jumpConsistentHash64, murmur3_32 } from "../../shared/hash.js";

const bytes = (...values: number[]) => new Uint8Array(values);

describe("murmur3_32 (MurmurHash3 x86_32)", () => {
  // Vectors from the SMHasher-derived table of MurmurHash3_x86_32 test vectors (Ian Boyd,
  // "MurmurHash3 test vectors"), each exercising one path of the algorithm.
  it.each([
    [bytes(), 0, 0x00000000],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
  ])("bytes %j with seed %i hash to %i", (data, seed, expected) => {
    expect(murmur3_32(data, seed)).toBe(expected);
  });

  it("hashes strings as their UTF-8 bytes", () => {
    expect(murmur3_32("hello")).toBe(0x248bfa47); // published example for "hello", seed 0
    expect(murmur3_32("")).toBe(0);
    expect(murmur3_32("ππ")).toBe(murmur3_32(new TextEncoder().encode("ππ")));
  });

  it("hashes any string exactly as its UTF-8 bytes (the ASCII fast path agrees with the encoder)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat(), (text, seed) => {
        expect(murmur3_32(text, seed)).toBe(murmur3_32(new TextEncoder().encode(text), seed));
      }),
    );
  });

  it("always returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (data, seed) => {
        const h = murmur3_32(data, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });
});

/** The paper's loop on BigInt, line for line: the dumb reference for the fast version. */
function jumpReference(key: bigint, buckets: number): number {
  let k = BigInt.asUintN(64, key);
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    k = BigInt.asUintN(64, k * 2862933555777941757n + 1n);
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((k >> 33n) + 1n))));
  }
  return Number(b);
}

describe("jumpConsistentHash (Lamping & Veach 2014)", () => {
  // Reference values from ClickHouse's tests of its jumpConsistentHash, which runs the paper's code.
  it.each([
    [1n, 1, 0],
    [42n, 57, 43],
    [256n, 1024, 520],
    [3735883980n, 1, 0],
    [3735883980n, 666, 361],
    [16045690984833335023n, 255, 237],
  ])("key %s in %i buckets is bucket %i", (key, buckets, expected) => {
    expect(jumpConsistentHash(key, buckets)).toBe(expected);
  });

  it("matches the BigInt transcription of the paper on random 64-bit keys", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 5000 }),
        (key, buckets) => {
          expect(jumpConsistentHash(key, buckets)).toBe(jumpReference(key, buckets));
          const high = Number(key >> 32n);
          const low = Number(key & 0xffffffffn);
          expect(jumpConsistentHash64(high, low, buckets)).toBe(jumpReference(key, buckets));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("moves a key only to the new bucket when buckets grow", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 500 }),
        (key, n) => {
          const before = jumpConsistentHash(key, n);
          const after = jumpConsistentHash(key, n + 1);
          return after === before || after === n;
        },
      ),
    );
  });

  it("rejects a bucket count below 1", () => {
    expect(() => jumpConsistentHash(1n, 0)).toThrow(RangeError);
  });
});
