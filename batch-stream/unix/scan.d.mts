/** Types of scan.mjs (plain JavaScript, so that worker threads load it without tsx). */

export const MAX_PREFIX_BYTES: number;

/** Bytes per distinct URL besides its own bytes, at most. */
export const ENTRY_BYTES: number;

export function hashBytes(bytes: Uint8Array, from: number, to: number): number;

export class TableFullError extends Error {
  constructor(distinct: number, bytes: number);
}

/** A table exported to another thread: typed arrays trimmed to its size. */
export interface ExportedTable {
  size: number;
  arena: Uint8Array;
  hashes: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  counts: Float64Array;
}

export class UrlTable {
  constructor(maxBytes?: number, slots?: number);
  readonly size: number;
  readonly maxBytes: number;
  readonly arenaUsed: number;
  readonly counts: Float64Array;
  /** `view`: a DataView over the whole of `bytes`' buffer. */
  add(
    bytes: Uint8Array,
    view: DataView,
    from: number,
    to: number,
    hash: number,
    count: number,
  ): void;
  merge(exported: ExportedTable): void;
  export(): ExportedTable;
  key(entry: number): Uint8Array;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number;

export function rankEntries(table: UrlTable, top: number): number[];

/** Reads `length` bytes at file `position` into buffer[offset...]; returns how many it read. */
export type ReadAt = (
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
) => number;

export interface ScanOptions {
  bufferBytes?: number;
  maxTableBytes?: number;
  /** Count into this table (a worker scanning several ranges keeps one). */
  table?: UrlTable;
  /** The longest line prefix (up to its seventh field's end) held; tests lower it. */
  maxPrefixBytes?: number;
  /** false only in tests: the broken variant whose ranges start mid-line. */
  skipToLineBoundary?: boolean;
  onProgress?: (bytes: number) => void;
  /** Reuse `buffer` if it is large enough, and leave the buffer used there for the next range. */
  scratch?: { buffer?: Uint8Array };
}

export interface ScanResult {
  table: UrlTable;
  /** Records (lines) that start in the range: counted ones, malformed ones and too long ones. */
  lines: number;
  /** Lines with fewer than seven fields (blank lines included). */
  malformed: number;
  /** Lines whose first seven fields exceed MAX_PREFIX_BYTES: skipped, not counted. */
  tooLong: number;
}

export function scanRange(
  read: ReadAt,
  fileSize: number,
  start: number,
  end: number,
  options?: ScanOptions,
): ScanResult;
