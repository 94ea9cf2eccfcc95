/**
 * The hot loop of `top-urls` (DDIA ch. 10, "Batch Processing with Unix Tools: Simple Log
 * Analysis"): count the seventh field of every line of one byte range of a file, as
 * `awk '{print $7}' | sort | uniq -c` would, but in one pass and without decoding a string per
 * line.
 *
 * Most of the work is done four bytes at a time, through a DataView's unaligned little-endian
 * reads of 32 bits (JavaScript's fast integers): the six fields before the URL (scanLines), the
 * URL and its hash (hashBytes), its comparison with the table's copy (UrlTable.add) and the rest
 * of the line (findNewline). Measured on a 300 MB slice of the benchmark's log, one thread: the
 * first three cut the scan's CPU time by about a sixth against byte-by-byte loops.
 *
 * Plain JavaScript (types in scan.d.mts) because worker threads run it: a worker cannot load a
 * .ts file without tsx's loader, and that loader costs each worker a third of a second to start.
 *
 * Fields are split as awk splits them with its default field separator: runs of blanks (space and
 * tab) separate fields, leading blanks are ignored, and a line ends at `\n`. Every other byte,
 * `\r` included, belongs to a field: a CRLF line's `\r` sticks to its last field, as in awk, so
 * it reaches the URL only when the URL is the last field. A line with fewer than seven fields
 * (a blank line included) is malformed: counted, never fatal.
 *
 * A range owns the lines that start inside it. A range that begins mid-line skips to just after
 * the next `\n` (that line belongs to the range before), and a range reads past its end to finish
 * its last line.
 *
 * Memory: one read buffer (grown only if a line's first seven fields do not fit in it, up to
 * MAX_PREFIX_BYTES) and the table of distinct URLs, whose arena of URL bytes is capped at
 * `maxTableBytes`; past it the table is full and the caller is told (see top-urls.ts).
 */

const SPACE = 32;
const TAB = 9;
const NEWLINE = 10;
const HIGH_BITS = 0x80808080 | 0;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/** The longest prefix of a line (up to the end of its seventh field) the reader will hold. */
export const MAX_PREFIX_BYTES = 64 * 1024 * 1024;

/**
 * The hash of bytes [from, to), as the scan computes it while it walks the URL: FNV-1a's step
 * taken over each whole four-byte word from `from` (read little-endian), then over each byte left
 * (at most three), then `finish`. A word at a time takes a quarter of the steps of FNV-1a over
 * bytes; the scan reads those words anyway to find the URL's end (see scanLines).
 */
export function hashBytes(bytes, from, to) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = FNV_OFFSET;
  let i = from;
  for (; i + 4 <= to; i += 4) h = Math.imul(h ^ view.getInt32(i, true), FNV_PRIME);
  for (; i < to; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return finish(h);
}

/**
 * Mix the high bits into the low ones (murmur3's finalizer, in part): the table picks a slot by
 * the hash's low bits, and a multiply only carries low bits upwards, so without this the low byte
 * would depend on the first byte of each word alone.
 */
function finish(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * Bytes per distinct URL besides its own bytes, at most: a slot (8 bytes, two per URL at a load
 * factor of a half), its hash, offset and length (4 each) and count (8), all doubled just after a
 * rehash.
 */
export const ENTRY_BYTES = 56;

export class TableFullError extends Error {
  constructor(distinct, bytes) {
    super(`the table of distinct URLs reached ${distinct} URLs (${bytes} bytes)`);
    this.name = "TableFullError";
  }
}

/**
 * Counts keyed by bytes: open addressing (linear probing) over a power-of-two slot array; a
 * URL's bytes are copied once into an arena, when it is first seen, and compared there.
 */
export class UrlTable {
  constructor(maxBytes = 1024 * 1024 * 1024, slots = 1 << 12) {
    this.maxBytes = maxBytes;
    this.size = 0;
    this.arenaUsed = 0;
    this.arena = new Uint8Array(Math.min(1 << 16, Math.floor(maxBytes / 2)));
    this.arenaView = new DataView(this.arena.buffer);
    this.slots = new Int32Array(2 * slots); // pairs: hash, entry index + 1 (0: empty)
    this.mask = slots - 1;
    this.hashes = new Int32Array(slots >>> 1);
    this.offsets = new Int32Array(slots >>> 1);
    this.lengths = new Int32Array(slots >>> 1);
    this.counts = new Float64Array(slots >>> 1);
  }

  /**
   * Add `count` to the URL in bytes [from, to) whose hashBytes is `hash`; `view` is a DataView
   * over the whole of `bytes`' buffer, for the comparison four bytes at a time.
   */
  add(bytes, view, from, to, hash, count) {
    const length = to - from;
    // Each slot is two numbers, the hash and the entry index + 1, so that a probe reads one place.
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const e = slots[2 * i + 1];
      if (e === 0) break;
      if (slots[2 * i] === hash) {
        const entry = e - 1;
        if (this.lengths[entry] === length) {
          // The URL's bytes against the stored ones, four at a time (unaligned reads through
          // DataViews), then the last zero to three one by one.
          const arena = this.arena;
          const arenaView = this.arenaView;
          const at = this.offsets[entry];
          let k = 0;
          while (
            k + 4 <= length &&
            arenaView.getInt32(at + k, true) === view.getInt32(from + k, true)
          )
            k += 4;
          if (k + 4 > length) while (k < length && arena[at + k] === bytes[from + k]) k++;
          if (k === length) {
            this.counts[entry] += count;
            return;
          }
        }
      }
      i = (i + 1) & mask;
    }
    this.insert(bytes, from, length, hash, count, i);
  }

  insert(bytes, from, length, hash, count, slot) {
    if (this.arenaUsed + length > this.arena.length) {
      const need = this.arenaUsed + length;
      let grown = this.arena.length * 2;
      while (grown < need) grown *= 2;
      // What the arena may take of the budget, after the per-URL arrays.
      const room = this.maxBytes - (this.size + 1) * ENTRY_BYTES;
      if (need > room)
        throw new TableFullError(this.size, this.arenaUsed + this.size * ENTRY_BYTES);
      const arena = new Uint8Array(Math.min(grown, room));
      arena.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = arena;
      this.arenaView = new DataView(arena.buffer);
    }
    const entry = this.size++;
    this.arena.set(bytes.subarray(from, from + length), this.arenaUsed);
    this.hashes[entry] = hash;
    this.offsets[entry] = this.arenaUsed;
    this.lengths[entry] = length;
    this.counts[entry] = count;
    this.arenaUsed += length;
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = entry + 1;
    // Keep the load factor at most one half.
    if (this.size * 2 >= this.mask + 1) this.rehash();
  }

  rehash() {
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let entry = 0; entry < this.size; entry++) {
      const hash = this.hashes[entry];
      let i = hash & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = hash;
      slots[2 * i + 1] = entry + 1;
    }
    this.slots = slots;
    this.mask = mask;
    const grow = (old, Kind) => {
      const next = new Kind(capacity >>> 1);
      next.set(old);
      return next;
    };
    this.hashes = grow(this.hashes, Int32Array);
    this.offsets = grow(this.offsets, Int32Array);
    this.lengths = grow(this.lengths, Int32Array);
    this.counts = grow(this.counts, Float64Array);
  }

  /** Add every entry of a table `exported` from another thread. */
  merge(exported) {
    const { arena, hashes, offsets, lengths, counts, size } = exported;
    const view = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    for (let e = 0; e < size; e++)
      this.add(arena, view, offsets[e], offsets[e] + lengths[e], hashes[e], counts[e]);
  }

  /** The table as typed arrays trimmed to its size, to post to another thread. */
  export() {
    return {
      size: this.size,
      arena: this.arena.slice(0, this.arenaUsed),
      hashes: this.hashes.slice(0, this.size),
      offsets: this.offsets.slice(0, this.size),
      lengths: this.lengths.slice(0, this.size),
      counts: this.counts.slice(0, this.size),
    };
  }

  /** The bytes of entry `e`. */
  key(e) {
    return this.arena.subarray(this.offsets[e], this.offsets[e] + this.lengths[e]);
  }
}

/**
 * Compare two byte strings as `LC_ALL=C sort` does (memcmp, and a prefix sorts first): negative,
 * zero or positive.
 */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * The order of `sort -rn` over `uniq -c`'s lines: more requests first, and equal counts in
 * reverse byte order of the URL. GNU sort, when -n finds two keys equal, compares the whole lines
 * byte by byte as a last resort, and -r reverses that comparison too; two `uniq -c` lines with
 * the same count share their padded count, so the URLs decide.
 */
export function rankEntries(table, top) {
  const counts = table.counts.subarray(0, table.size);
  // Only entries with at least the top-th largest count can be in the top: sort those alone.
  let threshold = 0;
  if (top < table.size) threshold = Float64Array.from(counts).sort()[table.size - top];
  const order = [];
  for (let e = 0; e < table.size; e++) if (counts[e] >= threshold) order.push(e);
  order.sort((a, b) => counts[b] - counts[a] || compareBytes(table.key(b), table.key(a)));
  return order.slice(0, top);
}

/**
 * Count the seventh fields of the lines that start in [start, end) of a file of `fileSize` bytes,
 * read through `read(buffer, offset, length, position)` (fs.readSync on a descriptor, or a copy
 * from memory). Options: bufferBytes (the read buffer), table (to count into; else a new one of
 * maxTableBytes), maxPrefixBytes (tests lower it from MAX_PREFIX_BYTES), scratch (an object whose
 * `buffer` the scan reuses and leaves its buffer in, for the next range), skipToLineBoundary (false only in tests: the broken variant that starts a range
 * mid-line), onProgress(bytes consumed since the last call).
 */
export function scanRange(read, fileSize, start, end, options = {}) {
  const table = options.table ?? new UrlTable(options.maxTableBytes);
  const stats = { lines: 0, malformed: 0, tooLong: 0 };
  // A multiple of four bytes, so that an Int32Array can view all of it (see findNewline), and
  // four bytes more than it fills, for the sentinel (see scanLines).
  // No bigger than the rest of the file needs (a small file, or its last range).
  const wanted = Math.min(options.bufferBytes ?? 8 * 1024 * 1024, fileSize - start + 8);
  let capacity = Math.max(16, (wanted + 3) & ~3);
  // A worker scanning several ranges hands each the same buffer (options.scratch): a fresh one per
  // range would cost the kernel a page fault per 4 KiB to zero it, and the heap more garbage.
  const scratch = options.scratch;
  let buffer =
    scratch?.buffer !== undefined && scratch.buffer.length >= capacity + 4
      ? scratch.buffer
      : new Uint8Array(capacity + 4);
  capacity = buffer.length - 4; // a multiple of four: every buffer is allocated so, plus four
  if (scratch !== undefined) scratch.buffer = buffer;
  let words = new Int32Array(buffer.buffer);
  let view = new DataView(buffer.buffer);
  let base = start; // file position of buffer[0]
  let filled = 0;
  let pos = 0;
  let ended = false; // the file ended sooner than its size said (it shrank while being read)
  const refill = () => {
    // Keep the unfinished bytes [pos, filled), read more after them.
    if (pos > 0) {
      buffer.copyWithin(0, pos, filled);
      base += pos;
      filled -= pos;
      pos = 0;
    }
    if (filled === capacity) {
      capacity *= 2;
      const grown = new Uint8Array(capacity + 4);
      grown.set(buffer.subarray(0, filled));
      buffer = grown;
      if (scratch !== undefined) scratch.buffer = buffer;
      words = new Int32Array(buffer.buffer);
      view = new DataView(buffer.buffer);
    }
    const want = Math.min(capacity - filled, fileSize - (base + filled));
    const got = want > 0 ? read(buffer, filled, want, base + filled) : 0;
    filled += got;
    buffer[filled] = NEWLINE;
    if (got === 0) ended = true;
    return got > 0;
  };
  const eof = () => ended || base + filled >= fileSize;

  // A range that starts mid-line skips that line: it belongs to the range before. The byte
  // before the range tells: a range that starts just after a `\n` starts on a line.
  if (start > 0 && options.skipToLineBoundary !== false) {
    base = start - 1;
    let found = -1;
    while (found < 0) {
      if (pos >= filled && !refill()) break;
      found = findNewline(buffer, words, pos, filled);
      pos = found < 0 ? filled : found + 1;
    }
    if (found < 0) return { table, ...stats };
  }

  const state = { pos: 0, status: 0 };
  let lastReported = base + pos;
  while (base + pos < end) {
    if (pos >= filled && !refill()) break;
    state.pos = pos;
    scanLines(buffer, words, view, filled, end - base, eof(), table, stats, state);
    pos = state.pos;
    if (state.status === NEED_MORE) {
      // The line at pos does not end, or its seventh field does not, inside the buffer.
      if (filled - pos >= (options.maxPrefixBytes ?? MAX_PREFIX_BYTES)) {
        stats.lines++;
        stats.tooLong++;
        state.status = SKIP_TAIL;
      } else {
        refill();
        continue;
      }
    }
    if (state.status === SKIP_TAIL) {
      // The line is counted; its tail (referer, user agent...) only has to be skipped.
      pos = filled;
      for (;;) {
        if (!refill()) break;
        const nl = findNewline(buffer, words, pos, filled);
        if (nl >= 0) {
          pos = nl + 1;
          break;
        }
        pos = filled;
      }
    }
    if (options.onProgress && base + pos - lastReported >= 4 * 1024 * 1024) {
      options.onProgress(base + pos - lastReported);
      lastReported = base + pos;
    }
  }
  if (options.onProgress) options.onProgress(Math.max(0, Math.min(end, base + pos) - lastReported));
  return { table, ...stats };
}

const DONE = 0;
const NEED_MORE = 1;
const SKIP_TAIL = 2;

/**
 * The first `\n` in b[from, to), or -1. Reads four bytes at a time through `words` (an Int32Array
 * over the same memory) and tests them all at once (the "has zero byte" trick on x ^ 0x0a0a0a0a):
 * the tail of a log line after the URL is about 120 bytes, and this is several times faster than
 * a call to indexOf per line, whose fixed cost dominates at that length.
 */
function findNewline(b, words, from, to) {
  let i = from;
  while (i < to && (i & 3) !== 0) {
    if (b[i] === NEWLINE) return i;
    i++;
  }
  const wordsEnd = to >>> 2;
  let w = i >>> 2;
  for (; w < wordsEnd; w++) {
    const x = words[w] ^ 0x0a0a0a0a;
    if (((x - 0x01010101) & ~x & HIGH_BITS) !== 0) break;
  }
  for (i = Math.max(i, w << 2); i < to; i++) if (b[i] === NEWLINE) return i;
  return -1;
}

/**
 * Scan whole lines of b[state.pos, filled) that start before `stop`. b[filled] is a `\n`
 * sentinel, so the byte loops need no bounds check: a loop that stops at `filled` has run out of
 * data. Sets state.pos to the next line's start and state.status: DONE (reached stop, or the
 * data's end), NEED_MORE (the line at state.pos needs bytes not yet read) or SKIP_TAIL (counted;
 * its `\n` is past the buffer).
 */
function scanLines(b, words, view, filled, stop, eof, table, stats, state) {
  let pos = state.pos;
  let lines = 0;
  let malformedLines = 0;
  const limit = Math.min(stop, filled);
  state.status = DONE;
  while (pos < limit) {
    let p = pos;
    let c = 0;
    // Fields one to six, four bytes at a time: in each word, the bytes where a field starts (not
    // blank, not `\n`, and after a blank) are counted, without a branch per byte, until the
    // seventh start or the line's `\n`. About 80 bytes in six short fields precede the URL, and
    // a loop byte by byte mispredicts a branch at every field's end. The `\n` sentinel at
    // b[filled] stops the walk, and the buffer's four spare bytes keep a word read there inside it.
    let field = 0;
    let afterBlank = 0x80; // the byte before the line counts as blank: leading blanks are ignored
    for (;;) {
      const x = view.getInt32(p, true); // little-endian: b[p] is the low byte
      const blank = zeroBytes(x ^ 0x20202020) | zeroBytes(x ^ 0x09090909);
      const newline = zeroBytes(x ^ 0x0a0a0a0a);
      // A byte's flag moved up one byte (<< 8) marks the byte after it.
      let starts = ~(blank | newline) & ((blank << 8) | afterBlank) & HIGH_BITS;
      // The lowest `\n` flag minus one keeps the flags of the bytes before it.
      if (newline !== 0) starts &= (newline & -newline) - 1;
      // The flags are bits 7, 15, 23 and 31: shifted to 0, 8, 16 and 24, the multiply sums them
      // into the top byte.
      const count = Math.imul(starts >>> 7, 0x01010101) >>> 24;
      if (field + count >= 7) {
        // Clear the starts of fields field + 1 to 6; the lowest flag left is the seventh's.
        for (let k = field + 1; k < 7; k++) starts &= starts - 1;
        p += (31 - Math.clz32(starts & -starts)) >>> 3;
        field = 7;
        break;
      }
      field += count;
      if (newline !== 0) {
        p += (31 - Math.clz32(newline & -newline)) >>> 3; // at the `\n`
        break;
      }
      afterBlank = (blank >>> 24) & 0x80;
      p += 4;
    }
    if (field < 7) {
      if (p >= filled && !eof) {
        state.status = NEED_MORE;
        break;
      }
      lines++;
      malformedLines++;
      pos = p + 1; // past the `\n`, or past the end of the data
      continue;
    }
    // The seventh field, four bytes at a time, hashed as it is walked (see hashBytes). A word
    // with no byte below 0x21 (the "has less than" test, exact for bytes >= 0x80 too) is all URL;
    // else its bytes are looked at one by one, and one that is neither blank nor `\n` (a `\r`)
    // leaves the word whole in the URL. The `\n` sentinel at b[filled] stops the walk, and the
    // buffer's four spare bytes keep a word read from there inside it.
    const from = p;
    let h = FNV_OFFSET;
    for (;;) {
      const x = view.getInt32(p, true);
      if ((((x - 0x21212121) | 0) & ~x & HIGH_BITS) !== 0) {
        let k = 0;
        for (; k < 4; k++) {
          c = b[p + k];
          if (c === SPACE || c === TAB || c === NEWLINE) break;
        }
        if (k < 4) {
          for (let j = 0; j < k; j++) h = Math.imul(h ^ b[p + j], FNV_PRIME);
          p += k;
          break;
        }
      }
      h = Math.imul(h ^ x, FNV_PRIME);
      p += 4;
    }
    h = finish(h);
    if (p >= filled && !eof) {
      state.status = NEED_MORE;
      break;
    }
    table.add(b, view, from, p, h, 1);
    lines++;
    if (c === NEWLINE) {
      pos = p + 1; // past the `\n`, or past the end of the data
      continue;
    }
    const nl = findNewline(b, words, p, filled);
    if (nl < 0) {
      if (!eof) state.status = SKIP_TAIL;
      pos = filled;
      break;
    }
    pos = nl + 1;
  }
  stats.lines += lines;
  stats.malformed += malformedLines;
  state.pos = pos;
}

/**
 * 0x80 in each byte of x that is zero, and 0 in every other bit. Exact for every byte, unlike the
 * "has a zero byte" test (whose borrow can flag a byte above a zero one): the low seven bits plus
 * 0x7f carry into the top bit unless they are all zero, no carry crosses a byte, and `| x` adds
 * the top bit itself.
 */
function zeroBytes(x) {
  return ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | 0 | x) & HIGH_BITS;
}
