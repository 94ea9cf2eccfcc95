/**
 * Schema-on-read against schema-on-write (DDIA ch. 2, "Schema flexibility in the document
 * model"): the book's example of splitting a full name into first and last name, once as a
 * document-side code path that handles both shapes, once as ALTER TABLE plus UPDATE.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ScenarioContext } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import { REF } from "../refs.js";
import { Sql } from "../sql.js";

const NAMES = [
  "Ada Lovelace",
  "Grace Brewster Hopper",
  "Edsger Dijkstra",
  "Cher",
  "Leslie Lamport",
  "Barbara Liskov",
  "Radia Perlman",
  "Alan Turing",
];

/** A user document of either shape: the old one with `name`, the new one with first and last. */
export interface UserDocument {
  user_id: number;
  name?: string;
  first_name?: string;
  last_name?: string;
}

// The book's code, with the last name added, in TypeScript. It is shown in the trace exactly as
// written here: the text between the region markers is read from this file when the scenario runs.
// #region read path
export function readUser(user: UserDocument): UserDocument {
  if (user.name !== undefined && user.first_name === undefined) {
    // Documents written before the change don't have first_name
    const [first = "", ...rest] = user.name.split(" ");
    return { ...user, first_name: first, last_name: rest.join(" ") };
  }
  return user;
}
// #endregion

/** The read path's source, as the program runs it: the lines between the region markers above. */
export function readPathSource(): string {
  const source = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const region = /\/\/ #region read path\n([\s\S]*?)\/\/ #endregion/.exec(source)?.[1];
  if (region === undefined) throw new Error("the read path's region markers are missing");
  return region.trimEnd();
}

/** The schema-flexibility scenario; its name, summary and flags are in data-modeling/main.ts. */
/** How many users have the one mononym among the names, said as the note needs it. */
function mononyms(names: readonly string[]): string {
  const count = names.filter((name) => !name.includes(" ")).length;
  if (count === 0) return "";
  return count === 1 ? " (one of them a mononym, Cher)" : ` (${count} of them the mononym Cher)`;
}

export async function run(
  { trace, seed }: ScenarioContext,
  { users }: { users: number },
): Promise<void> {
  const random = new Random(seed).fork("users");
  const names = Array.from({ length: users }, (_, i) =>
    i < NAMES.length ? (NAMES[i] as string) : random.pick(NAMES),
  );
  trace.section("Users stored with one name field", REF.schemaFlexibility);
  trace.note(
    `${users === 1 ? "1 user" : `${users} users`}, each with a full name${mononyms(names)}${users > NAMES.length ? `; the first ${NAMES.length} are fixed, the seed picks the names of the rest` : `; the names are fixed, so --seed changes nothing unless --users exceeds ${NAMES.length}`}. The application now wants first and last names separately.`,
  );
  const sql = await Sql.open(trace);
  sql.run("CREATE TABLE users (user_id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  sql.bulk(() =>
    sql.transaction(() => {
      for (const [i, name] of names.entries())
        sql.run("INSERT INTO users VALUES (?, ?)", [i + 1, name]);
    }),
  );
  const documents: UserDocument[] = names.map((name, i) => ({ user_id: i + 1, name }));

  trace.section("Schema-on-write: migrate every row");
  trace.note(
    "The relational database enforces its schema when data is written, so the change is a migration: add the columns, then rewrite every existing row. (SQLite, like PostgreSQL, adds a column without copying the table; MySQL has historically copied it.)",
  );
  sql.run("ALTER TABLE users ADD COLUMN first_name TEXT");
  sql.run("ALTER TABLE users ADD COLUMN last_name TEXT");
  const migrated = sql.run(
    `UPDATE users SET
         first_name = CASE WHEN instr(name, ' ') > 0 THEN substr(name, 1, instr(name, ' ') - 1) ELSE name END,
         last_name  = CASE WHEN instr(name, ' ') > 0 THEN substr(name, instr(name, ' ') + 1) ELSE '' END`,
  );
  sql.run("INSERT INTO users (user_id, name, first_name, last_name) VALUES (?, ?, ?, ?)", [
    users + 1,
    "Margaret Hamilton",
    "Margaret",
    "Hamilton",
  ]);

  trace.section("Schema-on-read: new documents get the new shape, old ones stay");
  trace.note(
    `The document database accepts any shape. New code writes first_name and last_name; documents written earlier keep their name field, and the read path handles both (this is the function the program runs, from ${"data-modeling/scenarios/schema-flexibility.ts"}):\n${readPathSource()
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n")}`,
  );
  documents.push({ user_id: users + 1, first_name: "Margaret", last_name: "Hamilton" });
  trace.query(
    "doc",
    `users.put(${users + 1}, {"first_name": "Margaret", "last_name": "Hamilton"})`,
    "1 document written; no other document touched",
  );

  const rows = sql.all("SELECT user_id, first_name, last_name FROM users ORDER BY user_id");
  const read = documents.map(readUser);
  const isOld = documents.map((d) => d.first_name === undefined);
  const converted = isOld.filter(Boolean).length;
  // A long table says nothing more than a short one: the first eight users (the fixed ones) and
  // the new one stand for the rest, which the check below compares in full.
  const shown =
    rows.length <= 12 ? rows.map((_, i) => i) : [0, 1, 2, 3, 4, 5, 6, 7, rows.length - 1];
  trace.table(
    "Both models, read back",
    ["user_id", "relational first / last", "document first / last", "document shape"],
    shown.map((i) => {
      const row = rows[i] as (typeof rows)[number];
      return [
        Number(row.user_id),
        `${row.first_name} / ${row.last_name}`,
        `${read[i]?.first_name} / ${read[i]?.last_name}`,
        isOld[i] ? "old (split when read)" : "new",
      ];
    }),
    shown.length < rows.length
      ? `… and ${rows.length - shown.length} more rows (users 9 to ${rows.length - 1}): the check below compares every one`
      : undefined,
  );
  trace.table(
    "Where the cost lands",
    ["measure", "schema-on-write (tables)", "schema-on-read (documents)"],
    [
      ["rows or documents rewritten by the change", migrated, 0],
      ["reads that must convert an old shape", 0, `${converted} of ${read.length}`],
      ["who knows the data's structure", "the database", "every reader"],
    ],
    "Schema-on-read is like dynamic type checking, schema-on-write like static type checking, as the book puts it.",
  );
  const agree = rows.every(
    (row, i) => row.first_name === read[i]?.first_name && row.last_name === read[i]?.last_name,
  );
  trace.check(
    "both models give every user the same first and last name",
    agree && rows.length === read.length,
    {
      detail: `${rows.length} users`,
    },
  );
  trace.check(
    "the migration rewrote every existing row; the documents were left as they were",
    migrated === users && converted === users,
    {
      detail: `${migrated} rows updated; ${converted} old-shape documents converted at read time`,
    },
  );
  sql.close();
}
