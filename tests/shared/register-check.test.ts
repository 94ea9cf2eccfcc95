import { describe, expect, it } from "vitest";
import { badReads, lostWrites, type Versioned } from "../../shared/check/register.js";
import { History } from "../../shared/history.js";

function op(
  history: History<Versioned>,
  process: string,
  f: "read" | "write",
  key: string,
  version: number,
  invokeMs: number,
  completeMs: number,
  outcome: "ok" | "info" | "fail" = "ok",
): void {
  const id = history.invoke(process, f, key, { version: f === "write" ? version : 0 }, invokeMs);
  history.complete(id, outcome, { version }, completeMs);
}

describe("lostWrites", () => {
  it("finds an acknowledged write missing at the end, and ignores unacknowledged ones", () => {
    const h = new History<Versioned>();
    op(h, "c1", "write", "x", 1, 0, 1);
    op(h, "c1", "write", "x", 2, 2, 3);
    op(h, "c1", "write", "x", 3, 4, 5, "info"); // unknown outcome: may be lost
    op(h, "c1", "write", "y", 1, 0, 1);
    const lost = lostWrites(h.operations(), (key) => (key === "x" ? 1 : 1));
    expect(lost).toEqual([{ key: "x", version: 2, ackedAtMs: 3, finalVersion: 1 }]);
    expect(lostWrites(h.operations(), (key) => (key === "x" ? 3 : 1))).toEqual([]);
  });
});

describe("badReads", () => {
  it("accepts a read of the latest acknowledged write, or of a write still in flight", () => {
    const h = new History<Versioned>();
    op(h, "w", "write", "x", 1, 0, 10);
    op(h, "w", "write", "x", 2, 20, 40);
    op(h, "r", "read", "x", 1, 11, 15);
    op(h, "r", "read", "x", 2, 25, 30); // concurrent with write 2: may see it
    op(h, "r", "read", "x", 1, 25, 30); // ...or not
    expect(badReads(h.operations())).toEqual([]);
  });

  it("rejects the book's stale read: a read that returns an old value after the new one was acknowledged", () => {
    // DDIA ch. 9, Figure 9-1: Bob's read starts after the final score was written and acknowledged,
    // yet returns the old value.
    const h = new History<Versioned>();
    op(h, "referee", "write", "score", 1, 0, 5);
    op(h, "referee", "write", "score", 2, 10, 20);
    op(h, "alice", "read", "score", 2, 22, 24);
    op(h, "bob", "read", "score", 1, 25, 30);
    expect(badReads(h.operations())).toEqual([
      { key: "score", process: "bob", invokeTimeMs: 25, got: 1, atLeast: 2, atMost: 2 },
    ]);
  });

  it("rejects a read of a version no write had attempted yet", () => {
    const h = new History<Versioned>();
    op(h, "w", "write", "x", 1, 0, 10);
    op(h, "r", "read", "x", 2, 11, 12);
    op(h, "w", "write", "x", 2, 20, 30);
    expect(badReads(h.operations())).toHaveLength(1);
  });

  it("refuses to complete an operation twice", () => {
    const h = new History<Versioned>();
    const id = h.invoke("p", "read", "x", { version: 0 }, 0);
    h.complete(id, "ok", { version: 0 }, 1);
    expect(() => h.complete(id, "ok", { version: 0 }, 2)).toThrow();
  });
});
