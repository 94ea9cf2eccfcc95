/**
 * The plain-text timeline of a history (shared/render/timeline.ts): a drawing worked out by hand;
 * over random histories and widths, no line wider than asked, one bar per operation in its
 * process's row, and real-time order kept (an operation that returned before another was invoked
 * ends left of where the other begins). Each property's judge is first shown to reject a broken
 * drawing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CheckedOp, Outcome } from "../../shared/check/linearizability.js";
import { operationLabel, renderTimeline } from "../../shared/render/timeline.js";

let nextId = 0;
function op(
  process: string,
  f: "read" | "write",
  key: string,
  value: unknown,
  call: number,
  ret: number,
  outcome: Outcome = "ok",
): CheckedOp {
  return {
    id: nextId++,
    process,
    f,
    key,
    input: f === "write" ? value : null,
    output: f === "read" ? value : null,
    outcome,
    callTime: call,
    returnTime: outcome === "info" ? Number.POSITIVE_INFINITY : ret,
  };
}

const columns = (line: string) => [...line].length;

/** The rows of a drawing: its first lines, one per process, before the axis. */
function rows(lines: readonly string[], processes: readonly string[]): string[] {
  return lines.slice(0, processes.length);
}

/** Bars in a row: the column where each starts (├ or ┼) and ends (┤, ╌ or ┼). */
function bars(row: string): { from: number; to: number }[] {
  const chars = [...row];
  const out: { from: number; to: number }[] = [];
  let open: number | undefined;
  chars.forEach((ch, i) => {
    if ((ch === "├" || ch === "┼") && open === undefined) open = i;
    else if (ch === "┤" || ch === "╌" || ch === "┼") {
      if (open !== undefined) out.push({ from: open, to: i });
      open = ch === "┼" ? i : undefined;
    }
  });
  return out;
}

/**
 * Every row of a drawing before the axis, with the process it names. A process that moved on from
 * an operation that never returned has a second row, under the same name, for that operation.
 */
function rowsOf(lines: readonly string[]): { name: string; row: string }[] {
  const axis = lines.findIndex((l) => l.trimStart().startsWith("└"));
  if (axis < 0) return [];
  const nameWidth = [...(lines[axis] as string)].indexOf("└") - 2;
  return lines
    .slice(0, axis)
    .map((row) => ({ name: [...row].slice(0, nameWidth).join("").trimEnd(), row }));
}

/** A process's bars, from all its rows, left to right. */
function barsOf(lines: readonly string[], process: string): { from: number; to: number }[] {
  return rowsOf(lines)
    .filter((r) => r.name === process)
    .flatMap((r) => bars(r.row))
    .sort((a, b) => a.from - b.from);
}

/** Judges of a drawing, so each can be shown to reject a broken one. */
const widthOk = (lines: readonly string[], width: number) =>
  lines.every((l) => columns(l) <= width);
/** Rows in the order of `processes` (each process's rows together), one bar per operation. */
function barsOk(lines: readonly string[], ops: readonly CheckedOp[], processes: string[]): boolean {
  const names = rowsOf(lines).map((r) => r.name);
  const order = names.filter((n, i) => n !== names[i - 1]);
  return (
    order.join("\n") === processes.join("\n") &&
    processes.every((p) => barsOf(lines, p).length === ops.filter((o) => o.process === p).length)
  );
}
/** No two bars in one row overlap: each bar's start is followed by its end before the next start. */
function apartOk(lines: readonly string[]): boolean {
  return rowsOf(lines).every((r) => {
    let open = false;
    for (const ch of r.row) {
      if (ch === "├") {
        if (open) return false;
        open = true;
      } else if (ch === "┤" || ch === "╌") {
        if (!open) return false;
        open = false;
      }
    }
    return !open;
  });
}
/**
 * Real-time order: for a pair of operations where one returned strictly before the other was
 * invoked, the first's bar ends left of where the second's begins. Bars are matched to operations
 * by their process's invocation order.
 */
function orderOk(
  lines: readonly string[],
  ops: readonly CheckedOp[],
  processes: string[],
): boolean {
  const drawn = new Map<CheckedOp, { from: number; to: number }>();
  for (const p of processes) {
    const own = ops
      .filter((o) => o.process === p)
      .sort((a, b) => a.callTime - b.callTime || a.id - b.id);
    const found = barsOf(lines, p);
    own.forEach((o, k) => {
      const bar = found[k];
      if (bar) drawn.set(o, bar);
    });
  }
  for (const a of ops)
    for (const b of ops) {
      if (!(a.returnTime < b.callTime)) continue;
      const da = drawn.get(a);
      const db = drawn.get(b);
      if (da === undefined || db === undefined || !(da.to < db.from)) return false;
    }
  return true;
}

describe("the timeline of a history", () => {
  it("draws a small history as worked out by hand", () => {
    // a writes x=1 over [0, 10]; b reads 1 over [20, 30]; 40 columns. The name column is 1
    // wide plus two spaces, and "→ time" takes 6, so bars have 31 columns (0 to 30). Each
    // instant gets a column; a bar needs its label (6) plus ├─ and ─┤: 3 columns between its
    // ends. At scale 1 column per ms the instants 0, 10, 20, 30 land on columns 0, 10, 20, 30,
    // every bar is long enough, and 30 < 31 fits; any larger scale rounds 30 ms past column 30.
    const lines = renderTimeline(
      [op("a", "write", "x", 1, 0, 10), op("b", "read", "x", 1, 20, 30)],
      {
        width: 40,
      },
    );
    expect(lines).toEqual([
      "a  ├─w(x,1)──┤",
      "b                      ├─r(x)→1──┤",
      `   └${"─".repeat(30)}→ time`,
      // Ticks at the instants' columns, each where it fits after the last with two spaces.
      "   0 ms      10 ms     20 ms     30 ms",
    ]);
  });

  it("labels writes, reads, nil, unknown and failed outcomes", () => {
    expect(operationLabel(op("a", "write", "x", 1, 0, 1))).toBe("w(x,1)");
    expect(operationLabel(op("a", "read", "x", null, 0, 1))).toBe("r(x)→nil");
    expect(operationLabel(op("a", "read", "x", "client-1:0", 0, 1))).toBe("r(x)→client-1:0");
    expect(operationLabel(op("a", "write", "x", 2, 0, 1, "info"))).toBe("w(x,2)?");
    expect(operationLabel(op("a", "write", "x", 3, 0, 1, "fail"))).toBe("w(x,3)✗");
    // A read that failed returned nothing: no arrow.
    expect(operationLabel(op("a", "read", "x", null, 0, 1, "fail"))).toBe("r(x)✗");
  });

  it("draws an unknown outcome to the right edge, and a process's touching operations one after the other", () => {
    // a's read is invoked at 1, the instant its write returned; b's write, invoked at 1 too,
    // never returns. a's two bars must not share a column (the read follows the write), and b's
    // bar must start where a's read starts (touching across processes is concurrent).
    const ops = [
      op("a", "write", "x", 1, 0, 1),
      op("a", "read", "x", null, 1, 2),
      op("b", "write", "x", 2, 1, 1, "info"),
    ];
    const lines = renderTimeline(ops, { width: 80 });
    const [a, b] = rows(lines, ["a", "b"]).map(bars) as [
      { from: number; to: number }[],
      { from: number; to: number }[],
    ];
    expect(a).toHaveLength(2);
    expect((a[0] as { to: number }).to).toBeLessThan((a[1] as { from: number }).from);
    expect((b[0] as { from: number }).from).toBe((a[1] as { from: number }).from);
    expect(lines[1]?.trimEnd().endsWith("╌")).toBe(true);
    // The unknown outcome's bar reaches past every other bar.
    expect((b[0] as { to: number }).to).toBeGreaterThan((a[1] as { to: number }).to);
    expect(lines[1]).toContain("w(x,2)?");
  });

  it("gives an operation that never returned a row of its own when its process moved on", () => {
    // a's write never returns (a client that gave up waiting); a then reads over [10, 12]; b reads
    // over [5, 7]. Width 60: names 1 wide, two spaces, "→ time" 6: bars have 51 columns (0 to 50).
    // Needs: "w(x,1)?" is 7 characters, so its bar spans at least 7 + 2 + 1 = 10 columns;
    // "r(x)→1" 6, so 9. At scale s the instants 0, 5, 7, 10, 12 and the unknown end fall at
    // 0, 5s, max(7s, 5s + 9), 10s, max(12s, 10s + 9) and one more; the last must be under 51, so
    // 10s + 9 <= 49: s = 4, columns 0, 20, 29, 40, 49, 50. The write's bar runs to column 50 (├ at
    // 0, ─ at 1, its label at 2 to 8, ─ from 9 to 49, ╌ at 50); a's
    // read, which starts at 40 while it is still open, goes in a second row named a.
    const lines = renderTimeline(
      [
        op("a", "write", "x", 1, 0, 0, "info"),
        op("b", "read", "x", 1, 5, 7),
        op("a", "read", "x", 1, 10, 12),
      ],
      { width: 60 },
    );
    expect(lines).toEqual([
      `a  ├─w(x,1)?${"─".repeat(41)}╌`,
      `a  ${" ".repeat(40)}├─r(x)→1─┤`,
      `b  ${" ".repeat(20)}├─r(x)→1─┤`,
      `   └${"─".repeat(50)}→ time`,
      // "12 ms" at column 49 is 2 past the end of "10 ms" (40 to 44): it fits.
      "   0 ms                5 ms     7 ms       10 ms    12 ms",
    ]);
    expect(apartOk(lines)).toBe(true);
  });

  it("keeps a row for a process named in the options that has no operation", () => {
    const lines = renderTimeline([op("a", "write", "x", 1, 0, 10)], {
      width: 40,
      processes: ["a", "observer"],
    });
    expect(lines[1]).toBe("observer");
    expect(lines[2]?.trimStart().startsWith("└")).toBe(true);
  });

  it("writes a time under the axis once, when a completion and an invocation share it", () => {
    // Both operations are invoked and complete at 3 ms: two instants (the invocations, then the
    // completions, drawn concurrent), one time.
    const lines = renderTimeline([op("a", "write", "x", 1, 3, 3), op("b", "read", "x", 1, 3, 3)], {
      width: 40,
    });
    expect(lines.at(-1)).toBe("   3 ms");
  });

  it("shortens labels, then drops them, then says the history does not fit", () => {
    const ops = [
      op("a", "write", "x", "a-long-value", 0, 1),
      op("b", "read", "x", "a-long-value", 2, 3),
    ];
    const wide = renderTimeline(ops, { width: 100 });
    expect(wide.join("\n")).toContain("w(x,a-long-value)");
    const narrow = renderTimeline(ops, { width: 24 });
    expect(narrow.join("\n")).toContain("…");
    expect(widthOk(narrow, 24)).toBe(true);
    expect(barsOk(narrow, ops, ["a", "b"])).toBe(true);
    // 30 operations one after another need 60 instants: no 20-column drawing holds them.
    const many = Array.from({ length: 30 }, (_, i) => op("a", "write", "x", i, 2 * i, 2 * i + 1));
    const refused = renderTimeline(many, { width: 20 });
    expect(refused).toHaveLength(1);
    // Its sentence, "(30 operations at 60 instants do not fit in 20 columns)", cut to 20.
    expect(refused[0]).toBe("(30 operations at 6…");
    expect(widthOk(refused, 20)).toBe(true);
    // Narrower than any drawing: the refusal still fits the width asked for (it was drawn 20
    // wide whatever the width, before).
    expect(renderTimeline(ops, { width: 8 })).toEqual(["(2 oper…"]);
  });

  it("the judges reject broken drawings", () => {
    const ops = [
      op("a", "write", "x", 1, 0, 10),
      op("b", "read", "x", 1, 20, 30),
      op("a", "read", "x", 1, 40, 50),
    ];
    const good = renderTimeline(ops, { width: 60 });
    expect(
      widthOk(good, 60) && barsOk(good, ops, ["a", "b"]) && orderOk(good, ops, ["a", "b"]),
    ).toBe(true);
    // Too wide: drawn for 80 columns, judged at 60.
    expect(widthOk(renderTimeline(ops, { width: 80 }), 60)).toBe(false);
    // A bar missing: drawn without a's read.
    expect(barsOk(renderTimeline(ops.slice(0, 2), { width: 60 }), ops, ["a", "b"])).toBe(false);
    // Real time broken: b's read drawn before a's write, which returned before it began.
    const early = renderTimeline(
      ops.map((o) => (o.process === "b" ? { ...o, callTime: -30, returnTime: -20 } : o)),
      { width: 60, processes: ["a", "b"] },
    );
    expect(barsOk(early, ops, ["a", "b"])).toBe(true);
    expect(orderOk(early, ops, ["a", "b"])).toBe(false);
    // Two bars in one row, the later drawn over an open one (what this renderer drew before it
    // gave such an operation a row of its own).
    expect(
      apartOk([
        "a  ├─w(x,1)?───────────────────────────────├─r(x)→1─┤╌",
        "b                      ├─r(x)→1─┤",
        `   └${"─".repeat(50)}→ time`,
      ]),
    ).toBe(false);
  });

  it("over random histories and widths: within the width, one bar per operation, real time kept", () => {
    const history = fc
      .array(
        fc.record({
          process: fc.constantFrom("a", "b", "client-3", "observer"),
          write: fc.boolean(),
          key: fc.constantFrom("x", "y", "question"),
          gap: fc.integer({ min: 0, max: 20 }),
          duration: fc.integer({ min: 0, max: 30 }),
          outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "fail", "info"),
        }),
        { minLength: 1, maxLength: 10 },
      )
      .map((specs) => {
        // Each process runs one operation at a time: the next starts `gap` after the last returned,
        // or after the process gave up waiting for it (`duration` after its invocation), as the
        // stores' clients do when every attempt goes unanswered (its outcome is then unknown).
        const free = new Map<string, number>();
        const ops: CheckedOp[] = [];
        specs.forEach((s, i) => {
          const start = (free.get(s.process) ?? 0) + s.gap;
          const o = op(
            s.process,
            s.write ? "write" : "read",
            s.key,
            s.write ? i : null,
            start,
            start + s.duration,
            s.outcome,
          );
          ops.push(o);
          free.set(s.process, start + s.duration);
        });
        return ops;
      });
    fc.assert(
      fc.property(history, fc.integer({ min: 1, max: 120 }), (ops, width) => {
        const lines = renderTimeline(ops, { width });
        if (!widthOk(lines, width)) return false;
        if (lines.length === 1) return true; // did not fit: said so in one line (a drawing has an axis)
        const processes = [
          ...new Set(
            [...ops].sort((a, b) => a.callTime - b.callTime || a.id - b.id).map((o) => o.process),
          ),
        ];
        return barsOk(lines, ops, processes) && apartOk(lines) && orderOk(lines, ops, processes);
      }),
      { numRuns: 400 },
    );
  });
});
