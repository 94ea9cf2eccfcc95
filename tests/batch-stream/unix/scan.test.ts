/**
 * top-urls's scanner (batch-stream/unix/scan.mjs) against the pipeline written stage by stage
 * (batch-stream/unix/pipeline.ts), in memory: generated logs and hand-made edge cases, cut into
 * byte ranges down to one byte and read through buffers down to 16 bytes, so that range and
 * buffer boundaries fall everywhere inside lines. The real pipeline and the real worker threads
 * are in cli.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countBytes } from "../../../batch-stream/unix/count.js";
import { generateLogBytes } from "../../../batch-stream/unix/generate.js";
import { awkFields, parseUniqLine, runPipeline } from "../../../batch-stream/unix/pipeline.js";
import { hashBytes, rankEntries, UrlTable } from "../../../batch-stream/unix/scan.mjs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Our job's full ranking as [url, count], and its line counts. */
function ours(bytes: Uint8Array, options: Parameters<typeof countBytes>[1] = {}) {
  const counted = countBytes(bytes, options);
  const ranked = rankEntries(counted.table, counted.table.size).map(
    (e) => [decoder.decode(counted.table.key(e)), counted.table.counts[e]] as [string, number],
  );
  return { ranked, lines: counted.lines, malformed: counted.malformed };
}

/** The pipeline's full ranking over the same text (awk 'NF>=7{print $7}' | ... | sort -rn). */
function pipeline(text: string) {
  // awk's records: a line ends at \n; a last line without one is a record too.
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const stages = runPipeline(lines, Number.MAX_SAFE_INTEGER);
  return {
    ranked: stages.ranked.map(parseUniqLine),
    lines: lines.length,
    malformed: lines.filter((l) => awkFields(l).length < 7).length,
  };
}

function expectSameAsPipeline(text: string, options: Parameters<typeof countBytes>[1] = {}) {
  const got = ours(encoder.encode(text), options);
  const want = pipeline(text);
  expect(got.ranked).toEqual(want.ranked);
  expect(got.lines).toBe(want.lines);
  expect(got.malformed).toBe(want.malformed);
}

const line = (url: string, sep = " ") =>
  [
    "1.2.3.4",
    "-",
    "-",
    "[10/Oct/2000:13:55:36",
    "-0700]",
    '"GET',
    url,
    'HTTP/1.1"',
    "200",
    "5",
  ].join(sep);

describe("the scanner counts what the pipeline counts", () => {
  it("ranks ties as sort -rn does: equal counts in reverse byte order, a prefix after its extensions", () => {
    // Worked by hand: /a, /ab and /b twice each, /c once. Among the count 2, reverse byte order:
    // "/b" > "/ab" > "/a" ("/a" is a prefix of "/ab", so it sorts first, and last reversed).
    const text = ["/a", "/b", "/ab", "/c", "/ab", "/b", "/a"].map((u) => line(u)).join("\n");
    const got = ours(encoder.encode(text));
    expect(got.ranked).toEqual([
      ["/b", 2],
      ["/ab", 2],
      ["/a", 2],
      ["/c", 1],
    ]);
    expectSameAsPipeline(text);
  });

  it("reads empty input, blank lines, a missing final newline, tabs, CRLF and short lines as awk does", () => {
    expectSameAsPipeline("");
    expectSameAsPipeline("\n\n\n");
    expectSameAsPipeline(`${line("/x")}\n${line("/y")}`); // no final newline
    expectSameAsPipeline(`${line("/x", "\t")}\n${line("/x", " \t ")}\n`);
    expectSameAsPipeline(`   ${line("/x")}  \n\t${line("/y")}\t\n`); // leading and trailing blanks
    // CRLF: the \r sticks to the last field; $7 is not last here, so the URLs are unaffected...
    expectSameAsPipeline(`${line("/x")}\r\n${line("/x")}\r\n`);
    // ...unless the seventh field is the last: then awk's $7 is "/x\r", and so is ours.
    expectSameAsPipeline("a b c d e f /x\r\na b c d e f /x\n");
    expect(ours(encoder.encode("a b c d e f /x\r\n")).ranked).toEqual([["/x\r", 1]]);
    // "!" is a space plus one and backspace a tab minus one: a word-at-a-time test for blank
    // bytes that borrowed across bytes would take either, after a blank, for a blank too. To awk
    // both are fields: $7 is "g" in both lines.
    expect(ours(encoder.encode("a ! c d e f g /x\na\t\b c d e f g /x\n")).ranked).toEqual([
      ["g", 2],
    ]);
    // Short lines are malformed: counted, not ranked.
    const short = `a b c d e f\n${line("/x")}\n\nonly three fields\n`;
    expectSameAsPipeline(short);
    expect(ours(encoder.encode(short)).malformed).toBe(3);
  });

  it("counts every line once however the ranges and buffers cut the lines", () => {
    const small = decoder.decode(generateLogBytes(30, 7));
    for (const rangeBytes of [1, 2, 3, 7, 50, 175, 176, 177])
      for (const bufferBytes of [16, 64, 300, 4096])
        expectSameAsPipeline(small, { rangeBytes, bufferBytes });
    const log = generateLogBytes(1_000, 7);
    for (const rangeBytes of [1_000, 10_000, log.length])
      for (const bufferBytes of [16, 300, 1 << 20])
        expectSameAsPipeline(decoder.decode(log), { rangeBytes, bufferBytes });
  }, 30_000);

  it("skips a line whose first seven fields outgrow the longest prefix it may hold, and says so", () => {
    // Worked by hand: the second line's URL is 300 bytes, over a 256-byte limit; it is neither
    // counted nor malformed but too long, and the lines around it are counted as usual.
    const text = `${line("/a")}\n${line(`/${"x".repeat(299)}`)}\n${line("/a")}\nshort\n`;
    const counted = countBytes(encoder.encode(text), { bufferBytes: 16, maxPrefixBytes: 256 });
    expect([counted.lines, counted.malformed, counted.tooLong]).toEqual([4, 1, 1]);
    expect(rankEntries(counted.table, 5).map((e) => counted.table.counts[e])).toEqual([2]);
  });

  it("over random small logs (fast-check): blanks, tabs, \\r, short and long lines, any cut", () => {
    // Tokens of 1 to 10 bytes, some equal in their first four or eight (the scanner reads and
    // compares four bytes at a time), with bytes >= 0x80 (é is 0xc3 0xa9), \r and other control
    // bytes below a space (field content to awk) at every place in a word.
    const token = fc.constantFrom(
      "/a",
      "/b",
      "/ab",
      "x",
      "-",
      '"GET',
      "[t",
      "/é",
      "\r",
      "/abc",
      "/abd",
      "/abcdefg",
      "/abcdefh",
      "/abcdefgh",
      "/a\rc\x01",
      "é\x1fé\x0b",
      "\x7f\xff/",
      "!",
      "\x08",
    );
    const blank = fc.constantFrom(" ", "\t", "  ", " \t");
    const logLine = fc
      .tuple(fc.array(fc.tuple(blank, token), { maxLength: 10 }), fc.boolean())
      .map(([parts, lead]) => {
        const s = parts.map(([b, t]) => b + t).join("");
        return lead ? s : s.trimStart();
      });
    fc.assert(
      fc.property(
        fc.array(logLine, { maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 16, max: 128 }),
        (lines, finalNewline, rangeBytes, bufferBytes) => {
          const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
          expectSameAsPipeline(text, { rangeBytes, bufferBytes });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the table of URLs", () => {
  it("keeps URLs apart that share a hash, whatever byte they differ in", () => {
    // Every URL is added under the same hash, so only the comparison of bytes tells them apart:
    // lengths 3 to 9, differing in a first word, a last whole word or a byte after the words.
    const urls = [
      "/ab",
      "/abc",
      "/abd",
      "/abcdefg",
      "/abcdefh",
      "/abcdefgh",
      "/abcdefgi",
      "/xbcdefgh",
    ];
    const bytes = encoder.encode(urls.join(""));
    const view = new DataView(bytes.buffer);
    const table = new UrlTable();
    for (let round = 1; round <= 2; round++) {
      let at = 0;
      for (const url of urls) {
        table.add(bytes, view, at, at + url.length, 42, round);
        at += url.length;
      }
    }
    expect(table.size).toBe(urls.length);
    expect(urls.map((_, e) => [decoder.decode(table.key(e)), table.counts[e]])).toEqual(
      urls.map((u) => [u, 3]),
    );
  });

  it("hashes a URL while walking it as hashBytes does over its bytes", () => {
    // The merge re-adds entries under the hashes the workers computed; a table fed through
    // hashBytes must find them. Worked by hand: one line per URL, each URL once.
    const urls = ["/", "/ab", "/abcd", "/abcde", "/é/x\ry", "/abcdefghij"];
    const counted = countBytes(encoder.encode(urls.map((u) => line(u)).join("\n")));
    for (const url of urls) {
      const bytes = encoder.encode(url);
      const view = new DataView(bytes.buffer);
      counted.table.add(bytes, view, 0, bytes.length, hashBytes(bytes, 0, bytes.length), 1);
    }
    expect(counted.table.size).toBe(urls.length);
    expect(Array.from(counted.table.counts.subarray(0, urls.length))).toEqual(urls.map(() => 2));
  });
});

describe("a broken variant is caught", () => {
  it("ranges that start where they are cut, not at the next line, count parts of lines twice", () => {
    // The broken variant: a range does not skip the line its predecessor finishes.
    const text = decoder.decode(generateLogBytes(50, 3));
    const want = pipeline(text);
    const broken = ours(encoder.encode(text), { rangeBytes: 100, skipToLineBoundary: false });
    expect(broken.lines).toBeGreaterThan(want.lines);
    expect(broken.ranked).not.toEqual(want.ranked);
    // ...and with the skip, the same cut counts right.
    expectSameAsPipeline(text, { rangeBytes: 100 });
  });
});
