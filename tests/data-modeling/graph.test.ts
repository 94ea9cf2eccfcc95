import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bookGraph,
  createGraphTables,
  emigrants,
  emigrantsSql,
  graphToSql,
  randomGraph,
} from "../../data-modeling/graph.js";
import { readUser } from "../../data-modeling/scenarios/schema-flexibility.js";
import { Sql } from "../../data-modeling/sql.js";
import { Random } from "../../shared/random.js";

describe("graph traversal and recursive SQL", () => {
  it("answer the book's question with Lucy alone", async () => {
    const g = bookGraph();
    const sql = await Sql.open();
    createGraphTables(sql);
    graphToSql(sql, g);
    expect(emigrants(g, "United States", "Europe")).toEqual(["Lucy"]);
    expect(emigrantsSql(sql, "United States", "Europe")).toEqual(["Lucy"]);
    // Alain was born in Europe and lives in Europe; nobody emigrated the other way.
    expect(emigrants(g, "Europe", "Europe")).toEqual(["Alain"]);
    expect(emigrants(g, "Europe", "United States")).toEqual([]);
    sql.close();
  });

  it("agree on random graphs with a within hierarchy", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 30 }),
        async (seed, places, people) => {
          const random = new Random(seed);
          const g = randomGraph(random, places, people);
          const sql = await Sql.open();
          createGraphTables(sql);
          graphToSql(sql, g);
          for (let i = 0; i < 5; i++) {
            const from = `place ${random.int(0, places - 1)}`;
            const to = `place ${random.int(0, places - 1)}`;
            expect(emigrantsSql(sql, from, to), `${from} → ${to}`).toEqual(emigrants(g, from, to));
          }
          sql.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("schema-on-read", () => {
  it("reads both document shapes the same way the migration splits names", () => {
    expect(readUser({ user_id: 1, name: "Grace Brewster Hopper" })).toEqual({
      user_id: 1,
      name: "Grace Brewster Hopper",
      first_name: "Grace",
      last_name: "Brewster Hopper",
    });
    expect(readUser({ user_id: 2, name: "Cher" })).toEqual({
      user_id: 2,
      name: "Cher",
      first_name: "Cher",
      last_name: "",
    });
    expect(readUser({ user_id: 3, first_name: "Ada", last_name: "Lovelace" })).toEqual({
      user_id: 3,
      first_name: "Ada",
      last_name: "Lovelace",
    });
  });
});
