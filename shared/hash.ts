/**
 * Hash functions shared by the concepts that place data by hash: sharding (DDIA chapter 6,
 * "Partitioning by Hash of Key") and, later, the message queue's partitioner.
 *
 * Each function reproduces a published reference algorithm bit for bit; tests/shared/hash.test.ts
 * checks them against the published test vectors, not against this file's own output.
 */

const utf8 = new TextEncoder();

/** Four bytes as a little-endian 32-bit integer, as both Murmur hashes read their blocks. */
function readUint32LE(bytes: Uint8Array, i: number): number {
  return (
    (bytes[i] as number) |
    ((bytes[i + 1] as number) << 8) |
    ((bytes[i + 2] as number) << 16) |
    ((bytes[i + 3] as number) << 24)
  );
}

/**
 * MurmurHash3 x86_32 (Austin Appleby, SMHasher), returning an unsigned 32-bit integer.
 * Strings are hashed as their UTF-8 bytes.
 */
export function murmur3_32(data: Uint8Array | string, seed = 0): number {
  if (typeof data !== "string") return murmur3Bytes(data, data.length, seed);
  // Most keys are ASCII, whose UTF-8 bytes are their char codes: copy them into a reused buffer
  // instead of allocating through the encoder, which otherwise dominates hashing a short key.
  const length = data.length;
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, 2 * scratch.length));
  for (let i = 0; i < length; i++) {
    const code = data.charCodeAt(i);
    if (code > 0x7f) {
      const encoded = utf8.encode(data);
      return murmur3Bytes(encoded, encoded.length, seed);
    }
    scratch[i] = code;
  }
  return murmur3Bytes(scratch, length, seed);
}

let scratch = new Uint8Array(256);

/** MurmurHash3 x86_32 of the first `length` bytes. */
function murmur3Bytes(bytes: Uint8Array, length: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blockEnd = length & ~3;
  let h = seed >>> 0;

  for (let i = 0; i < blockEnd; i += 4) {
    // Blocks are read little-endian, as the reference does on x86.
    let k = readUint32LE(bytes, i);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blockEnd + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blockEnd + 1] as number) << 8;
    k ^= bytes[blockEnd] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }

  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 x86_32 of one key under many seeds, bit for bit the same as `murmur3_32(key, seed)`
 * above. Murmur mixes each 4-byte block of the key the same way whatever the seed;
 * only the chain that folds the blocks into the hash starts from the seed. So the key is read and
 * its blocks mixed once, and each seed costs only the chain and the final mix: rendezvous hashing
 * asks for one hash per node, and with 64 nodes reading the key 64 times dominated its lookups.
 */
export class KeyHasher {
  private blocks = new Int32Array(16);
  private blockCount = 0;
  private tail = 0;
  private hasTail = false;
  private length = 0;
  private readonly utf8 = new TextEncoder();

  /** Take `key` (as its UTF-8 bytes, like murmur3_32) for the hashes that follow. */
  load(key: string): void {
    let bytes: ArrayLike<number> | undefined;
    for (let i = 0; i < key.length; i++) {
      if (key.charCodeAt(i) > 0x7f) {
        bytes = this.utf8.encode(key);
        break;
      }
    }
    // ASCII keys are their own UTF-8 bytes: read the char codes without encoding.
    const length = bytes === undefined ? key.length : bytes.length;
    const byteAt =
      bytes === undefined ? (i: number) => key.charCodeAt(i) : (i: number) => bytes[i] as number;
    const blockCount = length >>> 2;
    if (this.blocks.length < blockCount) this.blocks = new Int32Array(2 * blockCount);
    for (let b = 0; b < blockCount; b++) {
      const i = 4 * b;
      let k = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      this.blocks[b] = Math.imul(k, 0x1b873593);
    }
    const rest = length & 3;
    const end = length & ~3;
    let k = 0;
    if (rest === 3) k ^= byteAt(end + 2) << 16;
    if (rest >= 2) k ^= byteAt(end + 1) << 8;
    if (rest >= 1) k ^= byteAt(end);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    this.tail = Math.imul(k, 0x1b873593);
    this.hasTail = rest > 0;
    this.blockCount = blockCount;
    this.length = length;
  }

  /** murmur3_32 of the loaded key with `seed`. */
  hash(seed: number): number {
    let h = seed >>> 0;
    for (let b = 0; b < this.blockCount; b++) {
      h ^= this.blocks[b] as number;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    if (this.hasTail) h ^= this.tail;
    h ^= this.length;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

const UINT64_MASK = (1n << 64n) - 1n;

/**
 * Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
 * 2014): maps a 64-bit key to a bucket in [0, buckets). Growing the bucket count from n to n+1
 * moves only the keys that land in the new bucket, about 1/(n+1) of them.
 *
 * The paper's loop works on an unsigned 64-bit key with the linear congruential step
 * `key = key * 2862933555777941757 + 1`. BigInt arithmetic is slow, so the 64-bit state is kept
 * as two 32-bit halves; `jumpConsistentHash64` is the entry point for callers that already have
 * the halves (the ring lookups in sharding), and this function converts a bigint key into them.
 */
export function jumpConsistentHash(key: bigint, buckets: number): number {
  const k = BigInt.asUintN(64, key) & UINT64_MASK;
  return jumpConsistentHash64(Number(k >> 32n) >>> 0, Number(k & 0xffffffffn) >>> 0, buckets);
}

/** Jump consistent hash on a 64-bit key given as its high and low unsigned 32-bit halves. */
export function jumpConsistentHash64(keyHigh: number, keyLow: number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 0x7fffffff) {
    throw new RangeError(
      `jumpConsistentHash: buckets must be an integer in [1, 2^31-1], got ${buckets}`,
    );
  }
  let hi = keyHigh >>> 0;
  let lo = keyLow >>> 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64), on 16-bit limbs so every partial
    // product stays exact in a double.
    [hi, lo] = lcgStep(hi, lo);
    // (key >> 33) is the top 31 bits: hi >>> 1. The division is done in doubles, as in the paper.
    j = Math.floor((b + 1) * (2147483648 / ((hi >>> 1) + 1)));
  }
  return b;
}

// 2862933555777941757 = 0x27BB2EE687B0B0FD, split into 16-bit limbs from the top.
const M48 = 0x27bb;
const M32 = 0x2ee6;
const M16 = 0x87b0;
const M00 = 0xb0fd;

function lcgStep(hi: number, lo: number): [number, number] {
  const a48 = hi >>> 16;
  const a32 = hi & 0xffff;
  const a16 = lo >>> 16;
  const a00 = lo & 0xffff;

  let c00 = a00 * M00 + 1; // the "+ 1" of the step rides along in the lowest limb
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * M00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * M16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * M00;
  let c48 = Math.floor(c32 / 65536);
  c32 &= 0xffff;
  c32 += a16 * M16;
  c48 += Math.floor(c32 / 65536);
  c32 &= 0xffff;
  c32 += a00 * M32;
  c48 += Math.floor(c32 / 65536);
  c32 &= 0xffff;
  c48 += a48 * M00 + a32 * M16 + a16 * M32 + a00 * M48;
  c48 &= 0xffff;
  return [((c48 << 16) | c32) >>> 0, ((c16 << 16) | c00) >>> 0];
}

/**
 * A 64-bit hash of a key, as the high and low halves of two MurmurHash3 runs with different
 * seeds. Jump hash needs a 64-bit key; this is how the sharding concept turns a string into one.
 */
export function hash64(data: Uint8Array | string): { high: number; low: number } {
  return { high: murmur3_32(data, 0x9747b28c), low: murmur3_32(data, 0) };
}

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): MurmurHash2 with Kafka's seed
 * 0x9747b28c, returning the same signed 32-bit integer as the Java client. Strings are hashed as
 * their UTF-8 bytes, as the Java producer serializes String keys.
 */
export function murmur2(data: Uint8Array | string): number {
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  const length = bytes.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const blockEnd = length & ~3;
  for (let i = 0; i < blockEnd; i += 4) {
    let k = readUint32LE(bytes, i);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= (bytes[blockEnd + 2] as number) << 16;
    if (tail >= 2) h ^= (bytes[blockEnd + 1] as number) << 8;
    h ^= bytes[blockEnd] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
