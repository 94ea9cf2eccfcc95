/**
 * The résumé: one profile in the relational and the document model, rendered from each, then a
 * many-to-many question and a rename (DDIA ch. 2, "Relational Model Versus Document Model").
 */

import type { ScenarioContext } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell } from "../../shared/trace.js";
import {
  applyToBoth,
  bookCatalog,
  DocumentStore,
  disagreements,
  generateProfiles,
  loadRelational,
  multiWayJoinRows,
  renderDocument,
  renderRelational,
  renderRelationalAsJson,
  toDocument,
} from "../profiles.js";
import { REF } from "../refs.js";
import { formatJson, Sql, type SqlStats } from "../sql.js";

const USER = 251;

/** The resume scenario; its name, summary and flags are in data-modeling/main.ts. */
export async function run(
  { trace, seed }: ScenarioContext,
  { profiles }: { profiles: number },
): Promise<void> {
  const catalog = bookCatalog();
  const records = generateProfiles(new Random(seed).fork("profiles"), profiles);
  trace.section("The résumé in two models", REF.relationalVsDocument);
  trace.note(
    `Bill Gates's LinkedIn profile from the book (user ${USER})${profiles > 1 ? `, and ${profiles - 1} more like it` : ""}. Relational: users, positions, education and contact_info tables, with regions, industries, organizations and schools referenced by ID. Document: one JSON document per profile, shaped as the book's Example 2-1: positions, education and contact info nested inside; region and industry stored by ID (region_id, industry_id), as the book stores them; organizations and schools as free text, so each profile carries its own copy of their names.`,
  );
  const sql = await Sql.open(trace);
  const inserts = loadRelational(sql, catalog, records);
  const docs = new DocumentStore(trace);
  for (const record of records) docs.put(toDocument(record, catalog), true);
  trace.note(
    `Loaded ${profiles} profiles: ${inserts} INSERT statements on the relational side (--verbose shows them), ${docs.size} documents on the other.`,
  );

  trace.section(`Rendering user ${USER}'s profile page`, REF.locality);
  const measure = <T>(body: () => T): { result: T; delta: SqlStats } => {
    const before = { ...sql.stats };
    const result = body();
    return {
      result,
      delta: {
        statements: sql.stats.statements - before.statements,
        joins: sql.stats.joins - before.joins,
        rowsReturned: sql.stats.rowsReturned - before.rowsReturned,
        rowsChanged: 0,
        schemaChanges: 0,
      },
    };
  };
  trace.note("Relational, one query per table (what an ORM does):");
  const perTable = measure(() => renderRelational(sql, USER));
  trace.note(
    "Relational, one multi-way join (what the book calls messy: every combination is a row):",
  );
  const multiWay = measure(() => multiWayJoinRows(sql, USER));
  trace.note("Relational, built as JSON inside SQLite (relational databases grew JSON support):", {
    ref: REF.convergence,
  });
  const asJson = measure(() => renderRelationalAsJson(sql, USER));
  trace.note(
    "Document, one lookup by key; the region's and the industry's names come from lists the application keeps in memory (the book: they are small and slow-changing enough), a join done in application code:",
  );
  const readsBefore = docs.stats.documentsRead;
  const stored = docs.get(USER);
  if (stored !== undefined) trace.note(`The document:\n${formatJson(stored)}`);
  const document = stored === undefined ? undefined : renderDocument(stored, catalog);
  const rows: Cell[][] = [
    [
      "relational, one query per table",
      perTable.delta.statements,
      perTable.delta.joins,
      `${perTable.delta.rowsReturned} rows`,
    ],
    [
      "relational, one multi-way join",
      multiWay.delta.statements,
      multiWay.delta.joins,
      `${multiWay.delta.rowsReturned} rows`,
    ],
    [
      "relational, JSON functions",
      asJson.delta.statements,
      asJson.delta.joins,
      `${asJson.delta.rowsReturned} row`,
    ],
    ["document", 1, 0, `${docs.stats.documentsRead - readsBefore} document`],
  ];
  trace.table(
    `Rendering user ${USER}`,
    ["model and method", "queries", "joins", "read"],
    rows,
    "The document has locality: one read brings the whole tree of positions, schools and contacts. Its two IDs are resolved in memory, without a query.",
  );
  const renderings = [perTable.result, asJson.result, document];
  trace.check(
    "every model renders the same profile",
    renderings.every(
      (r) => r !== undefined && JSON.stringify(r) === JSON.stringify(perTable.result),
    ),
    { detail: "one query per table, SQLite JSON, and the document, compared field by field" },
  );

  trace.section("A many-to-many question: who has worked at Microsoft?", REF.documentsToday);
  const microsoft = catalog.organizations.find((o) => o.name === "Microsoft");
  const whoWorkedAt = `SELECT DISTINCT u.user_id
         FROM users u
         JOIN positions p ON p.user_id = u.user_id
         JOIN organizations o ON o.org_id = p.org_id
         WHERE o.name = 'Microsoft'
         ORDER BY u.user_id`;
  const plan = sql.explain(whoWorkedAt);
  const relationalAnswer = sql.all(whoWorkedAt).map((r) => Number(r.user_id));
  const scanReadsBefore = docs.stats.documentsRead;
  const documentAnswer = docs
    .scan('positions[].organization = "Microsoft"', (p) =>
      p.positions.some((x) => x.organization === "Microsoft"),
    )
    .map((p) => p.user_id)
    .sort((a, b) => a - b);
  trace.note(
    `Relational: one query${plan.some((step) => step.includes("positions_by_org")) ? ", answered through the positions_by_org index (see the plan)" : ""}. Document: no index on names inside documents, so all ${docs.stats.documentsRead - scanReadsBefore} documents are read. With many-to-many relationships the document model becomes less appealing.`,
    { level: "summary" },
  );
  trace.check(
    "both models give the same answer",
    JSON.stringify(relationalAnswer) === JSON.stringify(documentAnswer),
    {
      detail: `${relationalAnswer.length} people`,
    },
  );

  trace.section("Renaming an organization and a region", REF.manyToOne);
  trace.note(
    "In the normalized model every name is stored once and everything refers to it by ID; an ID means nothing to humans, so it never needs to change. The documents do the same for regions (region_id, as in Example 2-1), so renaming a region rewrites none of them. Organizations are free text in the book's document, so every profile carries its own copy of the name, and each copy must be rewritten.",
  );
  const renameOrg = applyToBoth(sql, docs, catalog, {
    op: "renameOrganization",
    orgId: microsoft?.id ?? 2,
    name: "Microsoft Corporation",
  });
  const renameRegion = applyToBoth(sql, docs, catalog, {
    op: "renameRegion",
    regionId: "us:91",
    name: "Seattle Metropolitan Area",
  });
  trace.table(
    "What a rename costs",
    ["rename", "relational rows changed", "documents rewritten"],
    [
      ["Microsoft → Microsoft Corporation", renameOrg.rowsChanged, renameOrg.documentsWritten],
      [
        "Greater Seattle Area → Seattle Metropolitan Area",
        renameRegion.rowsChanged,
        renameRegion.documentsWritten,
      ],
    ],
    "Removing such duplication is the key idea behind normalization, as the book puts it.",
  );
  const disagreeing = disagreements(sql, docs, catalog);
  trace.check("after the renames, both models agree on every profile", disagreeing.length === 0, {
    detail:
      disagreeing.length === 0
        ? `${docs.size} profiles compared`
        : `${disagreeing.length} disagree`,
  });
  trace.note(
    "Where each model strains: the document model with many-to-one and many-to-many data (copies to keep in step, or joins done in application code); the relational model with one-to-many trees (several queries, or a join that multiplies rows, to rebuild one object: the object-relational mismatch).",
    { ref: REF.objectRelational, level: "summary" },
  );
  sql.close();
}
