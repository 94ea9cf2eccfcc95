/**
 * The book's résumé (DDIA ch. 2, Figure 2-1 and Example 2-1) in two models side by side:
 *
 * - Relational, normalized: users, positions, education and contact_info tables, with regions,
 *   industries, organizations and schools as their own tables referenced by ID (many-to-one and
 *   many-to-many relationships through foreign keys).
 * - Document: one JSON document per profile, shaped as the book's Example 2-1. The one-to-many
 *   parts (positions, education, contact info) nest inside. Region and industry are stored by ID
 *   (`region_id`, `industry_id`), as in Example 2-1, and resolved from lists the application keeps
 *   in memory (the book: they are "small and slow-changing enough"); organization and school are
 *   free text, as in Example 2-1, so every profile carries its own copy of those names: the
 *   duplication the book warns of.
 *
 * The same operations (renames, edits) apply to both; the document side must fan a rename out to
 * every copy. `missedFanOut` is the broken variant: it forgets one copy.
 */

import type { Random } from "../shared/random.js";
import type { Trace } from "../shared/trace.js";
import type { Row, Sql } from "./sql.js";

export interface Position {
  job_title: string;
  organization: string;
}

export interface Education {
  school_name: string;
  start: number | null;
  end: number | null;
}

/** A rendered profile: what a page shows, whichever model it came from. */
export interface Profile {
  user_id: number;
  first_name: string;
  last_name: string;
  summary: string;
  region: string;
  industry: string;
  positions: Position[];
  education: Education[];
  contact_info: Record<string, string>;
}

/**
 * A profile as the document model stores it (Example 2-1): IDs for region and industry, names
 * copied in for organizations and schools.
 */
export interface ProfileDocument {
  user_id: number;
  first_name: string;
  last_name: string;
  summary: string;
  region_id: string;
  industry_id: number;
  positions: Position[];
  education: Education[];
  contact_info: Record<string, string>;
}

/** Reference data: the entities that many profiles point to. */
export interface Catalog {
  regions: { id: string; name: string }[];
  industries: { id: number; name: string }[];
  organizations: { id: number; name: string }[];
  schools: { id: number; name: string }[];
}

/** A profile as the relational model stores it: references by ID. */
export interface ProfileRecord {
  user_id: number;
  first_name: string;
  last_name: string;
  summary: string;
  region_id: string;
  industry_id: number;
  positions: { org_id: number; job_title: string }[];
  education: { school_id: number; start: number | null; end: number | null }[];
  contact_info: Record<string, string>;
}

/** A fresh copy of the reference data: renames change it, and runs must not share it. */
export function bookCatalog(): Catalog {
  return structuredClone(BOOK_CATALOG);
}

/** The book's example profile, user 251 (Figure 2-1), with the reference data it needs. */
const BOOK_CATALOG: Catalog = {
  regions: [
    { id: "us:91", name: "Greater Seattle Area" },
    { id: "us:7", name: "San Francisco Bay Area" },
    { id: "uk:1", name: "London, United Kingdom" },
    { id: "fr:3", name: "Paris Area, France" },
  ],
  industries: [
    { id: 131, name: "Philanthropy" },
    { id: 4, name: "Computer Software" },
    { id: 12, name: "Higher Education" },
  ],
  organizations: [
    { id: 1, name: "Bill & Melinda Gates Foundation" },
    { id: 2, name: "Microsoft" },
    { id: 3, name: "Apple" },
    { id: 4, name: "Google" },
    { id: 5, name: "Oxfam" },
    { id: 6, name: "Wikimedia Foundation" },
  ],
  schools: [
    { id: 1, name: "Harvard University" },
    { id: 2, name: "Lakeside School, Seattle" },
    { id: 3, name: "Stanford University" },
    { id: 4, name: "University of Cambridge" },
  ],
};

export const BOOK_PROFILE: ProfileRecord = {
  user_id: 251,
  first_name: "Bill",
  last_name: "Gates",
  summary: "Co-chair of the Bill & Melinda Gates... Active blogger.",
  region_id: "us:91",
  industry_id: 131,
  positions: [
    { org_id: 1, job_title: "Co-chair" },
    { org_id: 2, job_title: "Co-founder, Chairman" },
  ],
  education: [
    { school_id: 1, start: 1973, end: 1975 },
    { school_id: 2, start: null, end: null },
  ],
  contact_info: { blog: "http://thegatesnotes.com", twitter: "http://twitter.com/BillGates" },
};

const FIRST_NAMES = [
  "Ada",
  "Alan",
  "Barbara",
  "Edsger",
  "Grace",
  "Jim",
  "Leslie",
  "Margaret",
  "Ken",
  "Radia",
];
const LAST_NAMES = [
  "Hopper",
  "Lamport",
  "Liskov",
  "Hamilton",
  "Thompson",
  "Perlman",
  "Gray",
  "Turing",
  "Dijkstra",
  "Lovelace",
];
const TITLES = ["Engineer", "Researcher", "Director", "Advisor", "Founder", "Volunteer"];

/** The book's profile first, then `count - 1` generated ones drawn from the same catalog. */
export function generateProfiles(random: Random, count: number): ProfileRecord[] {
  const profiles: ProfileRecord[] = [structuredClone(BOOK_PROFILE)];
  for (let i = 1; i < count; i++) {
    const positions = Array.from({ length: random.int(1, 3) }, () => ({
      org_id: random.pick(BOOK_CATALOG.organizations).id,
      job_title: random.pick(TITLES),
    }));
    const education = Array.from({ length: random.int(0, 2) }, () => {
      const start = random.int(1960, 2015);
      return {
        school_id: random.pick(BOOK_CATALOG.schools).id,
        start,
        end: start + random.int(1, 5),
      };
    });
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    profiles.push({
      user_id: 1000 + i,
      first_name: first,
      last_name: last,
      summary: `${random.pick(TITLES)} at heart.`,
      region_id: random.pick(BOOK_CATALOG.regions).id,
      industry_id: random.pick(BOOK_CATALOG.industries).id,
      positions,
      education,
      contact_info: random.chance(0.5)
        ? { blog: `http://example.org/${first}${last}${i}`.toLowerCase() }
        : {},
    });
  }
  return profiles;
}

// ---------------------------------------------------------------------------------------------
// Relational model

export const RELATIONAL_SCHEMA = [
  "CREATE TABLE regions (region_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
  "CREATE TABLE industries (industry_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
  "CREATE TABLE organizations (org_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
  "CREATE TABLE schools (school_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
  `CREATE TABLE users (
     user_id     INTEGER PRIMARY KEY,
     first_name  TEXT NOT NULL,
     last_name   TEXT NOT NULL,
     summary     TEXT,
     region_id   TEXT REFERENCES regions(region_id),
     industry_id INTEGER REFERENCES industries(industry_id))`,
  `CREATE TABLE positions (
     position_id INTEGER PRIMARY KEY,
     user_id     INTEGER NOT NULL REFERENCES users(user_id),
     org_id      INTEGER NOT NULL REFERENCES organizations(org_id),
     job_title   TEXT NOT NULL)`,
  `CREATE TABLE education (
     education_id INTEGER PRIMARY KEY,
     user_id      INTEGER NOT NULL REFERENCES users(user_id),
     school_id    INTEGER NOT NULL REFERENCES schools(school_id),
     start_year   INTEGER,
     end_year     INTEGER)`,
  `CREATE TABLE contact_info (
     user_id INTEGER NOT NULL REFERENCES users(user_id),
     kind    TEXT NOT NULL,
     url     TEXT NOT NULL,
     PRIMARY KEY (user_id, kind))`,
  "CREATE INDEX positions_by_user ON positions(user_id)",
  "CREATE INDEX positions_by_org ON positions(org_id)",
  "CREATE INDEX education_by_user ON education(user_id)",
];

/** Create the tables and load the catalog and the profiles, in one transaction; returns the INSERTs run. */
export function loadRelational(
  sql: Sql,
  catalog: Catalog,
  profiles: readonly ProfileRecord[],
): number {
  for (const statement of RELATIONAL_SCHEMA) sql.run(statement);
  const before = sql.stats.statements;
  sql.bulk(() =>
    sql.transaction(() => {
      for (const r of catalog.regions) sql.run("INSERT INTO regions VALUES (?, ?)", [r.id, r.name]);
      for (const i of catalog.industries)
        sql.run("INSERT INTO industries VALUES (?, ?)", [i.id, i.name]);
      for (const o of catalog.organizations)
        sql.run("INSERT INTO organizations VALUES (?, ?)", [o.id, o.name]);
      for (const s of catalog.schools) sql.run("INSERT INTO schools VALUES (?, ?)", [s.id, s.name]);
      for (const p of profiles) insertProfile(sql, p);
    }),
  );
  // Every statement between BEGIN and COMMIT was an INSERT.
  return sql.stats.statements - before - 2;
}

function insertProfile(sql: Sql, p: ProfileRecord): void {
  sql.run("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)", [
    p.user_id,
    p.first_name,
    p.last_name,
    p.summary,
    p.region_id,
    p.industry_id,
  ]);
  for (const pos of p.positions) {
    sql.run("INSERT INTO positions (user_id, org_id, job_title) VALUES (?, ?, ?)", [
      p.user_id,
      pos.org_id,
      pos.job_title,
    ]);
  }
  for (const e of p.education) {
    sql.run(
      "INSERT INTO education (user_id, school_id, start_year, end_year) VALUES (?, ?, ?, ?)",
      [p.user_id, e.school_id, e.start, e.end],
    );
  }
  for (const [kind, url] of Object.entries(p.contact_info)) {
    sql.run("INSERT INTO contact_info VALUES (?, ?, ?)", [p.user_id, kind, url]);
  }
}

/**
 * Render a profile with one query per table, as an application (or an ORM) does: the user with
 * its many-to-one lookups joined in, then each one-to-many collection.
 */
export function renderRelational(sql: Sql, userId: number): Profile | undefined {
  const user = sql.all(
    `SELECT u.user_id, u.first_name, u.last_name, u.summary, r.name AS region, i.name AS industry
     FROM users u
     JOIN regions r ON r.region_id = u.region_id
     JOIN industries i ON i.industry_id = u.industry_id
     WHERE u.user_id = ?`,
    [userId],
  )[0];
  if (user === undefined) return undefined;
  const positions = sql.all(
    `SELECT p.job_title, o.name AS organization
     FROM positions p JOIN organizations o ON o.org_id = p.org_id
     WHERE p.user_id = ? ORDER BY p.position_id`,
    [userId],
  );
  const education = sql.all(
    `SELECT s.name AS school_name, e.start_year, e.end_year
     FROM education e JOIN schools s ON s.school_id = e.school_id
     WHERE e.user_id = ? ORDER BY e.education_id`,
    [userId],
  );
  const contacts = sql.all("SELECT kind, url FROM contact_info WHERE user_id = ? ORDER BY kind", [
    userId,
  ]);
  return profileFromRows(user, positions, education, contacts);
}

/**
 * Every profile from the tables, by the same four queries asked once for all users instead of
 * once per user: what a check comparing every profile needs, in four statements rather than
 * four per profile. Each query's rows come back grouped by user, in the order renderRelational
 * asks for.
 */
export function renderAllRelational(sql: Sql): Map<number, Profile> {
  const byUser = (rows: Row[]) => {
    const groups = new Map<number, Row[]>();
    for (const row of rows) {
      const id = Number(row.user_id);
      const group = groups.get(id);
      if (group === undefined) groups.set(id, [row]);
      else group.push(row);
    }
    return groups;
  };
  const users = sql.all(
    `SELECT u.user_id, u.first_name, u.last_name, u.summary, r.name AS region, i.name AS industry
     FROM users u
     JOIN regions r ON r.region_id = u.region_id
     JOIN industries i ON i.industry_id = u.industry_id`,
  );
  const positions = byUser(
    sql.all(
      `SELECT p.user_id, p.job_title, o.name AS organization
       FROM positions p JOIN organizations o ON o.org_id = p.org_id
       ORDER BY p.user_id, p.position_id`,
    ),
  );
  const education = byUser(
    sql.all(
      `SELECT e.user_id, s.name AS school_name, e.start_year, e.end_year
       FROM education e JOIN schools s ON s.school_id = e.school_id
       ORDER BY e.user_id, e.education_id`,
    ),
  );
  const contacts = byUser(
    sql.all("SELECT user_id, kind, url FROM contact_info ORDER BY user_id, kind"),
  );
  const profiles = new Map<number, Profile>();
  for (const user of users) {
    const id = Number(user.user_id);
    profiles.set(
      id,
      profileFromRows(
        user,
        positions.get(id) ?? [],
        education.get(id) ?? [],
        contacts.get(id) ?? [],
      ),
    );
  }
  return profiles;
}

/** A rendered profile from a user row and the rows of its one-to-many collections. */
function profileFromRows(
  user: Row,
  positions: readonly Row[],
  education: readonly Row[],
  contacts: readonly Row[],
): Profile {
  return {
    user_id: Number(user.user_id),
    first_name: String(user.first_name),
    last_name: String(user.last_name),
    summary: String(user.summary),
    region: String(user.region),
    industry: String(user.industry),
    positions: positions.map((p) => ({
      job_title: String(p.job_title),
      organization: String(p.organization),
    })),
    education: education.map((e) => ({
      school_name: String(e.school_name),
      start: e.start_year === null ? null : Number(e.start_year),
      end: e.end_year === null ? null : Number(e.end_year),
    })),
    contact_info: Object.fromEntries(contacts.map((c) => [String(c.kind), String(c.url)])),
  };
}

/**
 * Render the same profile with SQLite's JSON functions: one query that builds the document from
 * the normalized tables, the way relational databases "grew" document support (DDIA ch. 2,
 * "Convergence of document and relational databases").
 */
export function renderRelationalAsJson(sql: Sql, userId: number): Profile | undefined {
  const text = sql.value(
    `SELECT json_object(
       'user_id', u.user_id, 'first_name', u.first_name, 'last_name', u.last_name,
       'summary', u.summary, 'region', r.name, 'industry', i.name,
       'positions', json((SELECT json_group_array(json_object('job_title', p.job_title, 'organization', o.name))
                          FROM (SELECT * FROM positions WHERE user_id = u.user_id ORDER BY position_id) p
                          JOIN organizations o ON o.org_id = p.org_id)),
       'education', json((SELECT json_group_array(json_object('school_name', s.name, 'start', e.start_year, 'end', e.end_year))
                          FROM (SELECT * FROM education WHERE user_id = u.user_id ORDER BY education_id) e
                          JOIN schools s ON s.school_id = e.school_id)),
       'contact_info', json((SELECT json_group_object(kind, url) FROM contact_info WHERE user_id = u.user_id))) AS profile
     FROM users u
     JOIN regions r ON r.region_id = u.region_id
     JOIN industries i ON i.industry_id = u.industry_id
     WHERE u.user_id = ?`,
    [userId],
  );
  // A subquery's JSON comes back as text, so each is wrapped in json() to nest it as JSON.
  return typeof text === "string" ? (JSON.parse(text) as Profile) : undefined;
}

/**
 * The "messy multi-way join": everything in one query. Every combination of position, school and
 * contact comes back as its own row, and the application must fold them back into one profile.
 */
export function multiWayJoinRows(sql: Sql, userId: number): number {
  return sql.all(
    `SELECT u.first_name, u.last_name, r.name AS region, i.name AS industry,
            p.job_title, o.name AS organization, s.name AS school, e.start_year, e.end_year,
            c.kind, c.url
     FROM users u
     JOIN regions r ON r.region_id = u.region_id
     JOIN industries i ON i.industry_id = u.industry_id
     LEFT JOIN positions p ON p.user_id = u.user_id
     LEFT JOIN organizations o ON o.org_id = p.org_id
     LEFT JOIN education e ON e.user_id = u.user_id
     LEFT JOIN schools s ON s.school_id = e.school_id
     LEFT JOIN contact_info c ON c.user_id = u.user_id
     WHERE u.user_id = ?`,
    [userId],
  ).length;
}

// ---------------------------------------------------------------------------------------------
// Document model

/**
 * A document store: one JSON text per profile, keyed by user ID. Reading a document parses all of
 * it (locality: one read brings the whole profile); finding documents by something inside them
 * means scanning, unless an index was built for it.
 */
export class DocumentStore {
  readonly stats = { documentsRead: 0, documentsWritten: 0, lookups: 0, scans: 0 };
  private readonly documents = new Map<number, string>();

  constructor(private readonly trace: Trace | undefined) {}

  get size(): number {
    return this.documents.size;
  }

  put(profile: ProfileDocument, detail = false): void {
    this.documents.set(profile.user_id, JSON.stringify(profile));
    this.stats.documentsWritten++;
    if (!detail)
      this.trace?.query("doc", `profiles.put(${profile.user_id}, {...})`, "1 document written");
  }

  get(userId: number): ProfileDocument | undefined {
    const text = this.documents.get(userId);
    this.stats.lookups++;
    if (text !== undefined) this.stats.documentsRead++;
    this.trace?.query(
      "doc",
      `profiles.get(${userId})`,
      text === undefined ? "not found" : "1 document",
    );
    return text === undefined ? undefined : (JSON.parse(text) as ProfileDocument);
  }

  /** Write back a batch of documents (the fan-out of a rename), traced as one line. */
  putAll(profiles: readonly ProfileDocument[], description: string): void {
    for (const profile of profiles) {
      this.documents.set(profile.user_id, JSON.stringify(profile));
      this.stats.documentsWritten++;
    }
    const ids = profiles.map((p) => p.user_id);
    const shown = ids.length > 6 ? `${ids.slice(0, 6).join(", ")}, …` : ids.join(", ");
    this.trace?.query(
      "doc",
      `profiles.put(...) for each match: ${description}`,
      `${profiles.length} documents written (${shown || "none"})`,
    );
  }

  /** Every document for which `match` holds: a full scan, reading each one. */
  scan(description: string, match: (profile: ProfileDocument) => boolean): ProfileDocument[] {
    this.stats.scans++;
    const out: ProfileDocument[] = [];
    for (const text of this.documents.values()) {
      this.stats.documentsRead++;
      const profile = JSON.parse(text) as ProfileDocument;
      if (match(profile)) out.push(profile);
    }
    this.trace?.query(
      "doc",
      `profiles.scan(${description})`,
      `${this.documents.size} documents read, ${out.length} matched`,
    );
    return out;
  }

  /** All documents, without counting or tracing: for checks only, never for the workload. */
  snapshot(): ProfileDocument[] {
    return [...this.documents.values()].map((text) => JSON.parse(text) as ProfileDocument);
  }
}

/**
 * The document a relational profile record becomes (Example 2-1): region and industry stay IDs,
 * organizations and schools become free-text names.
 */
export function toDocument(record: ProfileRecord, catalog: Catalog): ProfileDocument {
  return {
    user_id: record.user_id,
    first_name: record.first_name,
    last_name: record.last_name,
    summary: record.summary,
    region_id: record.region_id,
    industry_id: record.industry_id,
    positions: record.positions.map((p) => ({
      job_title: p.job_title,
      organization: nameOf(catalog.organizations, p.org_id),
    })),
    education: record.education.map((e) => ({
      school_name: nameOf(catalog.schools, e.school_id),
      start: e.start,
      end: e.end,
    })),
    contact_info: { ...record.contact_info },
  };
}

/**
 * The profile page from a document: the region's and the industry's names looked up by ID in the
 * lists the application keeps in memory, a join done in application code, as the book describes
 * for a database without joins.
 */
export function renderDocument(doc: ProfileDocument, catalog: Catalog): Profile {
  const { region_id, industry_id, ...rest } = doc;
  return {
    user_id: rest.user_id,
    first_name: rest.first_name,
    last_name: rest.last_name,
    summary: rest.summary,
    region: nameOf(catalog.regions, region_id),
    industry: nameOf(catalog.industries, industry_id),
    positions: rest.positions,
    education: rest.education,
    contact_info: rest.contact_info,
  };
}

const nameOf = <T extends { id: unknown; name: string }>(list: readonly T[], id: unknown) =>
  list.find((x) => x.id === id)?.name ?? "(unknown)";

// ---------------------------------------------------------------------------------------------
// Operations on both models

export type ProfileOp =
  | { op: "renameOrganization"; orgId: number; name: string }
  | { op: "renameRegion"; regionId: string; name: string }
  | { op: "addPosition"; userId: number; orgId: number; jobTitle: string }
  | { op: "removeFirstPosition"; userId: number }
  | { op: "editSummary"; userId: number; summary: string }
  | { op: "moveRegion"; userId: number; regionId: string };

export interface ApplyResult {
  rowsChanged: number;
  documentsWritten: number;
  /** Documents holding a copy that a rename had to rewrite (whether or not it did). */
  copiesFound: number;
}

/**
 * Apply one operation to both models. The relational side changes one place; the document side
 * must find and rewrite every copy of a name it holds as text (an organization's). With
 * `missedFanOut`, such a rename skips the last copy it finds.
 */
export function applyToBoth(
  sql: Sql,
  docs: DocumentStore,
  catalog: Catalog,
  op: ProfileOp,
  options: { missedFanOut?: boolean } = {},
): ApplyResult {
  const written = docs.stats.documentsWritten;
  const changedBefore = sql.stats.rowsChanged;
  let copiesFound = 0;
  const rewrite = (
    matches: ProfileDocument[],
    change: (p: ProfileDocument) => void,
    description: string,
  ) => {
    copiesFound = matches.length;
    const targets = options.missedFanOut ? matches.slice(0, -1) : matches;
    for (const profile of targets) change(profile);
    docs.putAll(targets, description);
  };
  switch (op.op) {
    case "renameOrganization": {
      // Names are unique (the documents find copies by name), so a rename to a taken name is refused.
      const old = catalog.organizations.find((o) => o.id === op.orgId);
      if (old === undefined || catalog.organizations.some((o) => o.name === op.name)) break;
      sql.run("UPDATE organizations SET name = ? WHERE org_id = ?", [op.name, op.orgId]);
      const oldName = old.name;
      old.name = op.name;
      rewrite(
        docs.scan(`positions[].organization = ${JSON.stringify(oldName)}`, (p) =>
          p.positions.some((x) => x.organization === oldName),
        ),
        (p) => {
          for (const x of p.positions) if (x.organization === oldName) x.organization = op.name;
        },
        `organization → ${JSON.stringify(op.name)}`,
      );
      break;
    }
    case "renameRegion": {
      // The documents hold region_id, as Example 2-1 does: nothing in them names the region, so
      // the rename changes the application's list of regions and no document.
      const old = catalog.regions.find((r) => r.id === op.regionId);
      if (old === undefined || catalog.regions.some((r) => r.name === op.name)) break;
      sql.run("UPDATE regions SET name = ? WHERE region_id = ?", [op.name, op.regionId]);
      old.name = op.name;
      break;
    }
    case "addPosition": {
      const org = catalog.organizations.find((o) => o.id === op.orgId);
      const profile = docs.get(op.userId);
      if (org === undefined || profile === undefined) break;
      sql.run("INSERT INTO positions (user_id, org_id, job_title) VALUES (?, ?, ?)", [
        op.userId,
        op.orgId,
        op.jobTitle,
      ]);
      profile.positions.push({ job_title: op.jobTitle, organization: org.name });
      docs.put(profile);
      break;
    }
    case "removeFirstPosition": {
      const profile = docs.get(op.userId);
      if (profile === undefined || profile.positions.length === 0) break;
      sql.run(
        "DELETE FROM positions WHERE position_id = (SELECT MIN(position_id) FROM positions WHERE user_id = ?)",
        [op.userId],
      );
      profile.positions.shift();
      docs.put(profile);
      break;
    }
    case "editSummary": {
      const profile = docs.get(op.userId);
      if (profile === undefined) break;
      sql.run("UPDATE users SET summary = ? WHERE user_id = ?", [op.summary, op.userId]);
      profile.summary = op.summary;
      docs.put(profile);
      break;
    }
    case "moveRegion": {
      const region = catalog.regions.find((r) => r.id === op.regionId);
      const profile = docs.get(op.userId);
      if (region === undefined || profile === undefined) break;
      sql.run("UPDATE users SET region_id = ? WHERE user_id = ?", [op.regionId, op.userId]);
      profile.region_id = region.id;
      docs.put(profile);
      break;
    }
  }
  return {
    rowsChanged: sql.stats.rowsChanged - changedBefore,
    documentsWritten: docs.stats.documentsWritten - written,
    copiesFound,
  };
}

/** Users whose document disagrees with what the normalized tables say, field by field. */
export function disagreements(
  sql: Sql,
  docs: DocumentStore,
  catalog: Catalog,
): { userId: number; fields: string[] }[] {
  return sql.bulk(() => disagreementsQuietly(sql, docs, catalog));
}

function disagreementsQuietly(
  sql: Sql,
  docs: DocumentStore,
  catalog: Catalog,
): { userId: number; fields: string[] }[] {
  const out: { userId: number; fields: string[] }[] = [];
  const tables = renderAllRelational(sql);
  for (const stored of docs.snapshot()) {
    const doc = renderDocument(stored, catalog);
    const truth = tables.get(doc.user_id);
    if (truth === undefined) {
      out.push({ userId: doc.user_id, fields: ["(no such user)"] });
      continue;
    }
    const fields = (Object.keys(truth) as (keyof Profile)[]).filter(
      (f) => JSON.stringify(truth[f]) !== JSON.stringify(doc[f]),
    );
    if (fields.length > 0) out.push({ userId: doc.user_id, fields });
  }
  return out;
}
