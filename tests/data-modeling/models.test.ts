import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyToBoth,
  bookCatalog,
  DocumentStore,
  disagreements,
  generateProfiles,
  loadRelational,
  type ProfileOp,
  renderAllRelational,
  renderDocument,
  renderRelational,
  renderRelationalAsJson,
  toDocument,
} from "../../data-modeling/profiles.js";
import { Sql } from "../../data-modeling/sql.js";
import { Random } from "../../shared/random.js";

async function setUp(seed: number, profiles: number) {
  const catalog = bookCatalog();
  const records = generateProfiles(new Random(seed), profiles);
  const sql = await Sql.open();
  loadRelational(sql, catalog, records);
  const docs = new DocumentStore(undefined);
  for (const record of records) docs.put(toDocument(record, catalog), true);
  return { catalog, records, sql, docs };
}

describe("the same questions, asked of each model", () => {
  it("every profile renders identically from tables, from SQLite JSON, and from its document", async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { catalog, records, sql, docs } = await setUp(seed, 40);
      const all = renderAllRelational(sql);
      expect(all.size).toBe(records.length);
      for (const { user_id } of records) {
        const fromTables = renderRelational(sql, user_id);
        // The consistency check renders every profile in four queries: it must agree too.
        expect(all.get(user_id), `seed ${seed}, user ${user_id}`).toEqual(fromTables);
        expect(renderRelationalAsJson(sql, user_id), `seed ${seed}, user ${user_id}`).toEqual(
          fromTables,
        );
        const document = docs.get(user_id);
        expect(
          document && renderDocument(document, catalog),
          `seed ${seed}, user ${user_id}`,
        ).toEqual(fromTables);
      }
      sql.close();
    }
  });

  it("who worked at each organization: the join and the document scan agree", async () => {
    const { catalog, sql, docs } = await setUp(7, 80);
    for (const org of catalog.organizations) {
      const relational = sql
        .all(
          `SELECT DISTINCT p.user_id FROM positions p JOIN organizations o ON o.org_id = p.org_id
           WHERE o.name = ? ORDER BY p.user_id`,
          [org.name],
        )
        .map((r) => Number(r.user_id));
      const documents = docs
        .scan(org.name, (p) => p.positions.some((x) => x.organization === org.name))
        .map((p) => p.user_id)
        .sort((a, b) => a - b);
      expect(documents).toEqual(relational);
    }
    sql.close();
  });
});

/** Random renames and profile edits over the catalog and the generated users. */
function opArbitrary(userIds: number[]): fc.Arbitrary<ProfileOp> {
  const user = fc.constantFrom(...userIds);
  const name = fc.string({ unit: fc.constantFrom(..."abcdefgh "), minLength: 1, maxLength: 8 });
  return fc.oneof(
    fc.record({
      op: fc.constant("renameOrganization" as const),
      orgId: fc.integer({ min: 1, max: 6 }),
      name,
    }),
    fc.record({
      op: fc.constant("renameRegion" as const),
      regionId: fc.constantFrom("us:91", "us:7", "uk:1", "fr:3"),
      name,
    }),
    fc.record({
      op: fc.constant("addPosition" as const),
      userId: user,
      orgId: fc.integer({ min: 1, max: 6 }),
      jobTitle: name,
    }),
    fc.record({ op: fc.constant("removeFirstPosition" as const), userId: user }),
    fc.record({ op: fc.constant("editSummary" as const), userId: user, summary: name }),
    fc.record({
      op: fc.constant("moveRegion" as const),
      userId: user,
      regionId: fc.constantFrom("us:91", "us:7", "uk:1", "fr:3"),
    }),
  );
}

describe("the document, shaped as Example 2-1", () => {
  it("stores region_id and industry_id, and organizations and schools as free text", async () => {
    const { catalog, sql, docs } = await setUp(1, 1);
    expect(docs.get(251)).toEqual({
      user_id: 251,
      first_name: "Bill",
      last_name: "Gates",
      summary: "Co-chair of the Bill & Melinda Gates... Active blogger.",
      region_id: "us:91",
      industry_id: 131,
      positions: [
        { job_title: "Co-chair", organization: "Bill & Melinda Gates Foundation" },
        { job_title: "Co-founder, Chairman", organization: "Microsoft" },
      ],
      education: [
        { school_name: "Harvard University", start: 1973, end: 1975 },
        { school_name: "Lakeside School, Seattle", start: null, end: null },
      ],
      contact_info: { blog: "http://thegatesnotes.com", twitter: "http://twitter.com/BillGates" },
    });
    // Renaming a region referred to by ID rewrites no document; renaming a free-text organization
    // rewrites every copy.
    const region = applyToBoth(sql, docs, catalog, {
      op: "renameRegion",
      regionId: "us:91",
      name: "Seattle Metropolitan Area",
    });
    expect(region).toMatchObject({ rowsChanged: 1, documentsWritten: 0 });
    const org = applyToBoth(sql, docs, catalog, {
      op: "renameOrganization",
      orgId: 2,
      name: "Microsoft Corporation",
    });
    expect(org).toMatchObject({ rowsChanged: 1, documentsWritten: 1 });
    expect(disagreements(sql, docs, catalog)).toEqual([]);
    sql.close();
  });
});

describe("a denormalized copy kept up to date", () => {
  const userIds = [251, ...Array.from({ length: 24 }, (_, i) => 1001 + i)];

  it("agrees with the normalized model after any sequence of renames and edits", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(userIds), { maxLength: 15 }), async (ops) => {
        const { catalog, sql, docs } = await setUp(11, 25);
        for (const op of ops) applyToBoth(sql, docs, catalog, op);
        const found = disagreements(sql, docs, catalog);
        sql.close();
        expect(found).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("keeps names unique, so a copy found by name is a copy of the renamed entity", async () => {
    // Two organizations renamed to one name would make the document side's fan-out, which finds
    // copies by name, rewrite the other organization's copies too. The catalog refuses that.
    const { catalog, sql, docs } = await setUp(5, 25);
    applyToBoth(sql, docs, catalog, { op: "renameOrganization", orgId: 3, name: "x" });
    const refused = applyToBoth(sql, docs, catalog, {
      op: "renameOrganization",
      orgId: 4,
      name: "x",
    });
    expect(refused.rowsChanged).toBe(0);
    applyToBoth(sql, docs, catalog, { op: "renameOrganization", orgId: 3, name: "y" });
    expect(disagreements(sql, docs, catalog)).toEqual([]);
    sql.close();
  });

  it("with the missed fan-out, the check finds the copy a rename skipped", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArbitrary(userIds), { minLength: 1, maxLength: 15 }),
        async (ops) => {
          const { catalog, sql, docs } = await setUp(11, 25);
          for (const op of ops) {
            const result = applyToBoth(sql, docs, catalog, op, { missedFanOut: true });
            if (result.copiesFound > 0) {
              // The last copy found was skipped: right after the rename, it must disagree.
              expect(disagreements(sql, docs, catalog).length).toBeGreaterThan(0);
            }
          }
          sql.close();
        },
      ),
      { numRuns: 40 },
    );
    // And a rename that is certain to find copies: user 251 works at organization 2.
    const { catalog, sql, docs } = await setUp(3, 25);
    applyToBoth(
      sql,
      docs,
      catalog,
      { op: "renameOrganization", orgId: 2, name: "Microsoft Corporation" },
      { missedFanOut: true },
    );
    const found = disagreements(sql, docs, catalog);
    expect(found.length).toBe(1);
    expect(found[0]?.fields).toEqual(["positions"]);
    sql.close();
  });
});
