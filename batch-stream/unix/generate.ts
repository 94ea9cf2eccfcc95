/**
 * A web server's access log in the combined log format, as Apache and nginx write it (DDIA
 * ch. 10, "Simple Log Analysis", shows one such line):
 *
 *   216.58.210.78 - - [27/Feb/2015:17:55:11 +0000] "GET /css/typography.css HTTP/1.1" 200 3377
 *   "http://martin.kleppmann.com/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) ..."
 *
 * Fields, as awk splits them at blanks: $1 the client's address, $2 the identity (always `-`),
 * $3 the user (`-` unless logged in), $4 and $5 the time, $6 the method (with its opening quote),
 * $7 the requested path, $8 the protocol; then status, size, referer and user agent.
 *
 * Deterministic: the same seed and line count give the same bytes. The path of each request is
 * drawn from DISTINCT_PATHS paths with a Zipf distribution of exponent ZIPF_EXPONENT (the rank-r
 * path has weight 1/r^s), which is roughly how page popularity falls off. Lines average about 176
 * bytes, so 10,000,000 lines make about 1.76 GB (seed 1: 1,763,367,217 bytes). Lines are built in a large buffer and handed out
 * in chunks, so that a writer can write 1.7 GB in a few seconds.
 */

import { Random, Zipf } from "../../shared/random.js";

export const DISTINCT_PATHS = 20_000;
export const ZIPF_EXPONENT = 1.0;
export const MAX_LINES = 100_000_000;

/** 10 Oct 2000 13:55:36 -0700 (the Apache manual's example), in ms since the epoch, UTC. */
const START_MS = Date.UTC(2000, 9, 10, 20, 55, 36);
const ZONE = "-0700";
const ZONE_MS = -7 * 3_600_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const SECTIONS = ["articles", "blog", "docs", "products", "images", "css", "js", "api/v1/items"];
const WORDS = [
  "replication",
  "partitioning",
  "transactions",
  "consensus",
  "batch",
  "stream",
  "encoding",
  "storage",
  "retrieval",
  "reliability",
  "scalability",
  "maintainability",
];

/** The path of popularity rank `rank` (1 is the most requested): fixed, whatever the seed. */
export function pathOfRank(rank: number): string {
  if (rank === 1) return "/";
  if (rank === 2) return "/favicon.ico";
  if (rank === 3) return "/css/typography.css";
  if (rank === 4) return "/js/app.js";
  if (rank === 5) return "/robots.txt";
  const section = SECTIONS[rank % SECTIONS.length] as string;
  const word = WORDS[Math.floor(rank / SECTIONS.length) % WORDS.length] as string;
  switch (section) {
    case "images":
      return `/images/${word}-${rank}.png`;
    case "css":
      return `/css/${word}-${rank}.css`;
    case "js":
      return `/js/${word}-${rank}.js`;
    case "api/v1/items":
      return `/api/v1/items/${rank}`;
    default:
      return `/${section}/${word}-${rank}.html`;
  }
}

const AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/40.0.2214.115 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0",
  "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "python-requests/2.31.0",
  "curl/7.88.1",
];
const REFERERS = [
  "-",
  "-",
  "-",
  "http://martin.kleppmann.com/",
  "https://www.google.com/",
  "https://dataintensive.net/",
];
const STATUSES: [string, number][] = [
  ["200", 0.86],
  ["304", 0.07],
  ["404", 0.04],
  ["301", 0.02],
  ["500", 0.01],
];
const USERS = ["-", "-", "-", "-", "-", "-", "-", "-", "-", "frank", "alice"];

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s);

/**
 * The log, `linesTotal` lines from `seed`, handed to `write` in chunks of about `chunkBytes`
 * (each chunk whole lines). The chunk is reused: `write` must consume it before returning.
 */
export function generateLog(
  linesTotal: number,
  seed: number,
  write: (chunk: Uint8Array) => void,
  chunkBytes = 16 * 1024 * 1024,
): void {
  if (!Number.isSafeInteger(linesTotal) || linesTotal < 0 || linesTotal > MAX_LINES)
    throw new RangeError(`generateLog: lines must be from 0 to ${MAX_LINES}, got ${linesTotal}`);
  const random = new Random(seed).fork("access-log");
  const zipf = new Zipf(DISTINCT_PATHS, ZIPF_EXPONENT);
  const paths = Array.from({ length: DISTINCT_PATHS }, (_, i) =>
    bytes(`${pathOfRank(i + 1)} HTTP/1.1" `),
  );
  const agents = AGENTS.map((a) => bytes(` "${a}"\n`));
  const referers = REFERERS.map((r) => bytes(` "${r}"`));
  const users = USERS.map((u) => bytes(` - ${u} [`));
  const statuses = STATUSES.map(([s]) => bytes(`${s} `));
  const statusCumulative = cumulative(STATUSES.map(([, p]) => p));
  const get = bytes(` ${ZONE}] "GET `);
  const post = bytes(` ${ZONE}] "POST `);
  // 4,000 client addresses; a few are much busier than the rest.
  const clients = random.fork("clients");
  const addresses = Array.from({ length: 4_000 }, () =>
    bytes(
      `${clients.int(1, 223)}.${clients.int(0, 255)}.${clients.int(0, 255)}.${clients.int(1, 254)}`,
    ),
  );
  const addressZipf = new Zipf(addresses.length, 0.8);

  const buffer = new Uint8Array(chunkBytes + 64 * 1024);
  let at = 0;
  const put = (b: Uint8Array) => {
    buffer.set(b, at);
    at += b.length;
  };
  const putDigits = (n: number) => {
    if (n >= 10) putDigits(Math.floor(n / 10));
    buffer[at++] = 48 + (n % 10);
  };
  let timeMs = START_MS;
  let stampSecond = -1;
  let stamp = new Uint8Array(0);
  for (let line = 0; line < linesTotal; line++) {
    // About 120 requests a second on average.
    timeMs += random.int(0, 16);
    const second = Math.floor(timeMs / 1000);
    if (second !== stampSecond) {
      stampSecond = second;
      const d = new Date(second * 1000 + ZONE_MS);
      const pad = (n: number) => String(n).padStart(2, "0");
      stamp = bytes(
        `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
      );
    }
    put(addresses[addressZipf.sample(random) - 1] as Uint8Array);
    put(users[random.int(0, users.length - 1)] as Uint8Array);
    put(stamp);
    put(random.chance(0.03) ? post : get);
    put(paths[zipf.sample(random) - 1] as Uint8Array);
    put(statuses[pick(statusCumulative, random.next())] as Uint8Array);
    putDigits(random.int(200, 60_000));
    put(referers[random.int(0, referers.length - 1)] as Uint8Array);
    put(agents[random.int(0, agents.length - 1)] as Uint8Array);
    if (at >= chunkBytes) {
      write(buffer.subarray(0, at));
      at = 0;
    }
  }
  if (at > 0) write(buffer.subarray(0, at));
}

function cumulative(weights: number[]): number[] {
  let total = 0;
  const sums = weights.map((w) => (total += w));
  return sums.map((s) => s / total);
}

function pick(cumulativeWeights: number[], u: number): number {
  for (let i = 0; i < cumulativeWeights.length; i++)
    if (u < (cumulativeWeights[i] as number)) return i;
  return cumulativeWeights.length - 1;
}

/** A whole log in memory (for the scenario and tests). */
export function generateLogBytes(linesTotal: number, seed: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  generateLog(linesTotal, seed, (chunk) => chunks.push(chunk.slice()));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
