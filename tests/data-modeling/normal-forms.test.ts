import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  candidateKeys,
  closure,
  fd,
  isLossless,
  lostDependencies,
  normalForm,
  violations,
} from "../../data-modeling/normal-forms.js";
import {
  ADDRESS_BCNF,
  ADDRESS_COLUMNS,
  ADDRESS_FDS,
  generateOrderLines,
  LOSSY_DECOMPOSITION,
  ORDER_COLUMNS,
  ORDER_FDS,
  type OrderLine,
  SECOND_NORMAL_FORM,
  THIRD_NORMAL_FORM,
} from "../../data-modeling/orders.js";
import { decompose, joinBack } from "../../data-modeling/scenarios/normalization.js";
import { Sql } from "../../data-modeling/sql.js";
import { Random } from "../../shared/random.js";

describe("functional dependencies, on textbook cases worked by hand", () => {
  // R(A, B, C, D) with A → B, B → C: key (A, D); A → B is partial; B → C is transitive.
  const R = ["A", "B", "C", "D"];
  const F = [fd("A", "B"), fd("B", "C")];

  it("computes closures and candidate keys", () => {
    expect(closure(["A"], F)).toEqual(["A", "B", "C"]);
    expect(closure(["D"], F)).toEqual(["D"]);
    expect(candidateKeys(R, F)).toEqual([["A", "D"]]);
    expect(candidateKeys(ADDRESS_COLUMNS, ADDRESS_FDS)).toEqual([
      ["city", "street"],
      ["street", "zip"],
    ]);
  });

  it("classifies normal forms", () => {
    expect(normalForm(R, F)).toBe("1NF");
    expect(normalForm(["A", "B", "C"], F)).toBe("2NF"); // key A; B → C transitive
    expect(normalForm(["B", "C"], F)).toBe("BCNF");
    expect(normalForm(ADDRESS_COLUMNS, ADDRESS_FDS)).toBe("3NF");
    expect(normalForm([...ORDER_COLUMNS], ORDER_FDS)).toBe("1NF");
    for (const part of Object.values(THIRD_NORMAL_FORM))
      expect(normalForm(part, ORDER_FDS)).toBe("BCNF");
    expect(normalForm(SECOND_NORMAL_FORM.orders_2nf ?? [], ORDER_FDS)).toBe("2NF");
  });

  it("names the dependency that breaks each form", () => {
    const found = violations(R, F).map(
      (v) => `${v.form} ${v.dependency.lhs.join(",")}→${v.dependency.rhs.join(",")}`,
    );
    expect(found).toContain("2NF A→B");
    expect(found).toContain("2NF A→C");
    expect(found).toContain("3NF B→C");
    expect(violations(ADDRESS_COLUMNS, ADDRESS_FDS).map((v) => v.form)).toEqual(["BCNF"]);
  });

  it("decides lossless joins by the chase, and finds lost dependencies", () => {
    expect(
      isLossless(
        R,
        [
          ["A", "B"],
          ["B", "C"],
          ["A", "D"],
        ],
        F,
      ),
    ).toBe(true);
    expect(
      isLossless(
        R,
        [
          ["A", "B"],
          ["C", "D"],
        ],
        F,
      ),
    ).toBe(false);
    expect(isLossless([...ORDER_COLUMNS], Object.values(THIRD_NORMAL_FORM), ORDER_FDS)).toBe(true);
    expect(isLossless([...ORDER_COLUMNS], Object.values(LOSSY_DECOMPOSITION), ORDER_FDS)).toBe(
      false,
    );
    expect(lostDependencies(Object.values(THIRD_NORMAL_FORM), ORDER_FDS)).toEqual([]);
    expect(lostDependencies(Object.values(ADDRESS_BCNF), ADDRESS_FDS)).toEqual([
      fd("street, city", "zip"),
    ]);
  });
});

/** The natural join of the projections, computed by brute force in JavaScript. */
function bruteForceJoin(lines: OrderLine[], parts: string[][]): Set<string> {
  const project = (cols: string[]) => {
    const seen = new Map<string, Record<string, unknown>>();
    for (const line of lines) {
      const row = Object.fromEntries(cols.map((c) => [c, line[c as keyof OrderLine]]));
      seen.set(JSON.stringify(row), row);
    }
    return [...seen.values()];
  };
  let joined: Record<string, unknown>[] = [{}];
  for (const part of parts) {
    const rows = project(part);
    joined = joined.flatMap((left) =>
      rows
        .filter((right) => part.every((c) => !(c in left) || left[c] === right[c]))
        .map((right) => ({ ...left, ...right })),
    );
  }
  return new Set(joined.map((row) => JSON.stringify(ORDER_COLUMNS.map((c) => row[c]))));
}

describe("decompositions on random instances that satisfy the dependencies", () => {
  it("2NF and 3NF join back to exactly the original rows; the wrong split adds spurious rows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 12 }), async (seed, orders) => {
        const lines = generateOrderLines(new Random(seed), orders);
        const sql = await Sql.open();
        const columns = [...ORDER_COLUMNS];
        sql.run(`CREATE TABLE flat (${columns.join(", ")})`);
        for (const line of lines)
          sql.run(
            `INSERT INTO flat VALUES (${columns.map(() => "?").join(", ")})`,
            columns.map((c) => line[c]),
          );
        decompose(sql, "flat", SECOND_NORMAL_FORM);
        expect(joinBack(sql, "flat", Object.keys(SECOND_NORMAL_FORM), columns)).toEqual({
          spurious: 0,
          missing: 0,
        });
        decompose(sql, "flat", {
          customers: THIRD_NORMAL_FORM.customers ?? [],
          orders: THIRD_NORMAL_FORM.orders ?? [],
        });
        expect(joinBack(sql, "flat", Object.keys(THIRD_NORMAL_FORM), columns)).toEqual({
          spurious: 0,
          missing: 0,
        });

        decompose(sql, "flat", LOSSY_DECOMPOSITION);
        const lossy = joinBack(sql, "flat", Object.keys(LOSSY_DECOMPOSITION), columns);
        const expected = bruteForceJoin(lines, Object.values(LOSSY_DECOMPOSITION));
        expect(lossy.missing).toBe(0);
        expect(lossy.spurious).toBe(expected.size - lines.length);
        // Two lines with the same quantity cross-combine into a row that was never there, unless
        // the original already holds that order with that product and quantity.
        const clash = lines.some((a) =>
          lines.some(
            (b) =>
              a.quantity === b.quantity &&
              !lines.some(
                (c) =>
                  c.order_id === a.order_id &&
                  c.product_id === b.product_id &&
                  c.quantity === a.quantity,
              ),
          ),
        );
        if (clash) expect(lossy.spurious).toBeGreaterThan(0);
        sql.close();
      }),
      { numRuns: 40 },
    );
  });
});
