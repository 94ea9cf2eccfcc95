/**
 * Reading an event file for the `window` command: NDJSON in arrival order, one object per line,
 * either an event `{"key": "blue", "value": 3, "eventTime": 3000}` (other fields are ignored) or a
 * watermark `{"watermark": 180000}`; times in milliseconds since the epoch, whole numbers within
 * ±8.64e15 (the range of a JavaScript Date), values finite numbers. Blank lines are skipped. The
 * file is read in chunks of 1 MiB and handed on line by line, so memory does not grow with the
 * file: the buffer grows only to hold a longer line, up to 16 MiB, and a longer line is refused.
 * A line that does not parse is an error naming the file and the line number.
 */
import { closeSync, openSync, readSync } from "node:fs";

export const EVENT_TIME_ABS_MAX = 8.64e15;

export type InputLine =
  | {
      readonly kind: "event";
      readonly key: string;
      readonly value: number;
      readonly eventTime: number;
    }
  | { readonly kind: "watermark"; readonly watermark: number };

export class MalformedLine extends Error {
  override name = "MalformedLine";
  constructor(
    readonly lineNumber: number,
    readonly reason: string,
  ) {
    super(`line ${lineNumber}: ${reason}`);
  }
}

const CHUNK_BYTES = 1 << 20;
/** The longest line read; an event or watermark line is some tens of bytes. */
export const LINE_BYTES_MAX = 16 << 20;

/**
 * Call `onLine` with each line of the file (without its newline) and its number from 1. After
 * each chunk's lines, `betweenChunks` may hold the reading back (the window command waits there
 * for its output to drain, so that a slow reader of its panes does not make them pile up).
 */
export async function forEachLine(
  path: string,
  onLine: (line: string, lineNumber: number) => void,
  betweenChunks?: () => Promise<void>,
): Promise<void> {
  const fd = openSync(path, "r");
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let kept = 0; // bytes of an unfinished line carried over from the last chunk
    let lineNumber = 0;
    for (;;) {
      if (kept === buffer.length) {
        if (kept >= LINE_BYTES_MAX)
          throw new MalformedLine(lineNumber + 1, `longer than ${LINE_BYTES_MAX >> 20} MiB`);
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, kept, buffer.length - kept, null);
      const filled = kept + read;
      // Cut at the last newline, so that no UTF-8 character is split between chunks.
      const cut = read === 0 ? filled : buffer.lastIndexOf(10, filled - 1) + 1;
      if (cut > 0) {
        const text = buffer.toString("utf8", 0, cut);
        let from = 0;
        for (;;) {
          const newline = text.indexOf("\n", from);
          if (newline === -1) {
            if (from < text.length) onLine(text.slice(from), ++lineNumber);
            break;
          }
          const end = newline > from && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
          onLine(text.slice(from, end), ++lineNumber);
          from = newline + 1;
        }
      }
      if (read === 0) break;
      if (betweenChunks !== undefined) await betweenChunks();
      buffer.copy(buffer, 0, cut, filled);
      kept = filled - cut;
    }
  } finally {
    closeSync(fd);
  }
}

function isTime(value: unknown): value is number {
  return Number.isInteger(value) && Math.abs(value as number) <= EVENT_TIME_ABS_MAX;
}

const TIME_RULE = "a whole number of milliseconds within ±8.64e15";

/**
 * The common shape of an event line, with its fields in this order, a key without escapes and
 * whole numbers (no leading zeros, as JSON has it): matched without JSON.parse, which takes about
 * half again as long. Anything else goes through JSON.parse.
 */
// JSON whitespace is space, tab, CR and LF (never inside a line here); a JSON string holds no raw
// control character.
const W = "[ \\t\\r]*";
const PLAIN_EVENT = new RegExp(
  `^\\{${W}"key"${W}:${W}"([^"\\\\\\u0000-\\u001f]*)"${W},${W}"value"${W}:${W}(-?(?:0|[1-9]\\d{0,14}))${W},${W}"eventTime"${W}:${W}(-?(?:0|[1-9]\\d{0,15}))${W}\\}${W}$`,
);

/** One line of the file, or undefined for a blank line; throws MalformedLine. */
export function parseLine(line: string, lineNumber: number): InputLine | undefined {
  const plain = PLAIN_EVENT.exec(line);
  if (plain !== null) {
    const eventTime = Number(plain[3]);
    if (Math.abs(eventTime) <= EVENT_TIME_ABS_MAX)
      return { kind: "event", key: plain[1] as string, value: Number(plain[2]), eventTime };
  }
  if (line.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new MalformedLine(lineNumber, `not JSON: ${excerpt(line)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new MalformedLine(lineNumber, `not a JSON object: ${excerpt(line)}`);
  const fields = parsed as Record<string, unknown>;
  if ("watermark" in fields) {
    if ("eventTime" in fields)
      throw new MalformedLine(
        lineNumber,
        "has both watermark and eventTime: a line is one or the other",
      );
    if (!isTime(fields.watermark))
      throw new MalformedLine(
        lineNumber,
        `watermark must be ${TIME_RULE}, got ${JSON.stringify(fields.watermark)}`,
      );
    return { kind: "watermark", watermark: fields.watermark };
  }
  const { key, value, eventTime } = fields;
  if (typeof key !== "string")
    throw new MalformedLine(
      lineNumber,
      key === undefined
        ? "has no key (nor watermark)"
        : `key must be a string, got ${JSON.stringify(key)}`,
    );
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new MalformedLine(
      lineNumber,
      value === undefined ? "has no value" : `value must be a number, got ${JSON.stringify(value)}`,
    );
  if (!isTime(eventTime))
    throw new MalformedLine(
      lineNumber,
      eventTime === undefined
        ? "has no eventTime"
        : `eventTime must be ${TIME_RULE}, got ${JSON.stringify(eventTime)}`,
    );
  return { kind: "event", key, value, eventTime };
}

function excerpt(line: string): string {
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
