/**
 * Durations on the command line, as the `window` command and the `windows` scenario take them:
 * whole numbers with a unit, `500ms`, `2s`, `20m`, `1h`, `1d`, and compounds with the units from
 * largest to smallest, each at most once, `1h30m`, `2m500ms`. A bare `0` is zero (for
 * `--allowed-lateness 0`); any other bare number is refused, since `5` could mean 5 ms or 5 s.
 * Flink's own parser (TimeUtils.parseDuration) takes "5 min" or "500 ms", one unit; ours is
 * Go's duration syntax without fractions or signs.
 */
import { invalidValue, type Parser } from "../../shared/cli.js";

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const UNIT_ORDER = ["d", "h", "m", "s", "ms"];

/**
 * The longest duration accepted: 1,000 days. With event times bounded too (see ndjson.ts), every
 * window bound and cleanup time stays an exact integer in a JavaScript number.
 */
export const DURATION_MS_MAX = 1_000 * 86_400_000;

const SHAPE = "a duration such as 500ms, 2s, 20m, 1h or 1h30m (units d, h, m, s, ms)";

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const parts = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (parts === null || text === "") return undefined;
  let ms = 0;
  UNIT_ORDER.forEach((unit, i) => {
    const count = parts[i + 1];
    if (count !== undefined) ms += Number(count) * (UNIT_MS[unit] as number);
  });
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration flag: at least `minMs`, at most DURATION_MS_MAX. */
export function duration(minMs: number): Parser<number> {
  const range = minMs > 0 ? `${SHAPE}, more than 0` : SHAPE;
  return {
    range,
    parse: (value) => {
      const ms = parseDuration(value);
      if (ms === undefined) throw invalidValue(`must be ${SHAPE}`);
      if (ms < minMs) throw invalidValue(`must be more than 0 (${SHAPE})`);
      if (ms > DURATION_MS_MAX) throw invalidValue("must be at most 1000d");
      return ms;
    },
  };
}

/** The shortest text parseDuration reads back as `ms`: 90000 → "1m30s", 0 → "0". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  let rest = ms;
  let text = "";
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
