/**
 * Normalization on a real engine: a flat orders table with its update, insert and delete
 * anomalies, decomposed into 2NF and 3NF with the functional dependencies stated, each
 * decomposition checked lossless (by the chase, and by joining the parts back in SQLite) and
 * dependency-preserving; then the textbook relation where BCNF differs from 3NF.
 */

import type { ScenarioContext } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import type { Cell, Trace } from "../../shared/trace.js";
import {
  candidateKeys,
  type Dependency,
  isLossless,
  lostDependencies,
  normalForm,
  show,
  violations,
} from "../normal-forms.js";
import {
  ADDRESS_BCNF,
  ADDRESS_COLUMNS,
  ADDRESS_FDS,
  FIRST_ORDER_ID,
  generateOrderLines,
  ONE_TIME_CUSTOMER_ID,
  ORDER_COLUMNS,
  ORDER_FDS,
  type OrderLine,
  SECOND_NORMAL_FORM,
  THIRD_NORMAL_FORM,
} from "../orders.js";
import { REF } from "../refs.js";
import { type Row, Sql } from "../sql.js";

/**
 * Rows a statement acts on, shown as a table so the reader sees the data change: the first eight,
 * which hold the first order's rows (the queries sort by order_id), and a count of the rest.
 */
function showRows(trace: Trace, title: string, rows: readonly Row[]): void {
  const columns = Object.keys(rows[0] ?? {});
  const shown = 8;
  trace.table(
    title,
    columns,
    rows
      .slice(0, shown)
      .map((row) => columns.map((c): Cell => (row[c] === null ? "NULL" : String(row[c])))),
    rows.length > shown ? `… and ${rows.length - shown} more rows` : undefined,
  );
}

/** Create each part as the distinct projection of `source`. */
export function decompose(
  sql: Sql,
  source: string,
  parts: Record<string, readonly string[]>,
): void {
  for (const [name, columns] of Object.entries(parts)) {
    sql.run(`CREATE TABLE ${name} AS SELECT DISTINCT ${columns.join(", ")} FROM ${source}`);
  }
}

/** Join the parts back (NATURAL JOIN, on their shared columns) and compare with `source`. */
export function joinBack(
  sql: Sql,
  source: string,
  parts: readonly string[],
  columns: readonly string[],
): { spurious: number; missing: number } {
  const cols = columns.join(", ");
  const joined = `SELECT ${cols} FROM ${parts.join(" NATURAL JOIN ")}`;
  const spurious = Number(
    sql.value(`SELECT COUNT(*) AS spurious FROM (${joined} EXCEPT SELECT ${cols} FROM ${source})`),
  );
  const missing = Number(
    sql.value(`SELECT COUNT(*) AS missing FROM (SELECT ${cols} FROM ${source} EXCEPT ${joined})`),
  );
  return { spurious, missing };
}

/** A dependency list grouped by left side, for reading: "order_id → order_date, customer_id". */
function grouped(dependencies: readonly Dependency[]): string[] {
  const byLhs = new Map<string, string[]>();
  for (const d of dependencies) {
    const key = d.lhs.join(", ");
    byLhs.set(key, [...(byLhs.get(key) ?? []), ...d.rhs]);
  }
  return [...byLhs].map(([lhs, rhs]) => `${lhs} → ${rhs.join(", ")}`);
}

function describeParts(
  trace: Trace,
  title: string,
  parts: Record<string, readonly string[]>,
  fds: readonly Dependency[],
): void {
  trace.table(
    title,
    ["table", "columns", "key", "normal form"],
    Object.entries(parts).map(([name, columns]) => [
      name,
      columns.join(", "),
      candidateKeys(columns, fds)
        .map((k) => `(${k.join(", ")})`)
        .join(" or "),
      normalForm(columns, fds),
    ]),
  );
}

function checkDecomposition(
  trace: Trace,
  sql: Sql,
  label: string,
  source: string,
  columns: readonly string[],
  parts: Record<string, readonly string[]>,
  fds: readonly Dependency[],
): void {
  const chase = isLossless(columns, Object.values(parts), fds);
  const data = joinBack(sql, source, Object.keys(parts), columns);
  trace.check(
    `the ${label} decomposition is lossless`,
    chase && data.spurious === 0 && data.missing === 0,
    {
      detail: `chase: ${chase ? "lossless" : "lossy"}; joining the parts back in SQLite: ${data.spurious} spurious, ${data.missing} missing rows`,
    },
  );
  const lost = lostDependencies(Object.values(parts), fds);
  trace.check(`the ${label} decomposition preserves every dependency`, lost.length === 0, {
    expected: label !== "BCNF",
    detail:
      lost.length === 0
        ? "each one can be enforced inside one table"
        : `lost: ${lost.map(show).join("; ")}`,
  });
}

/** The normalization scenario; its name, summary and flags are in data-modeling/main.ts. */
export async function run(
  { trace, seed }: ScenarioContext,
  { orders }: { orders: number },
): Promise<void> {
  const lines = generateOrderLines(new Random(seed).fork("orders"), orders);
  const sql = await Sql.open(trace);
  const columns = [...ORDER_COLUMNS];

  trace.section("Orders, flat", REF.manyToOne);
  trace.note(
    'A spreadsheet-style record keeps an order with its list of items in one cell, e.g. "keyboard ×2, mouse ×1": not even first normal form, which asks for one atomic value per cell. In 1NF each order line is a row, and every fact about an order, a customer or a product is repeated on each of its lines.',
    { ref: REF.normalForms },
  );
  sql.run(
    `CREATE TABLE order_lines_flat (
         order_id INTEGER NOT NULL, order_date TEXT, customer_id INTEGER, customer_name TEXT, customer_city TEXT,
         product_id INTEGER NOT NULL, product_name TEXT, unit_price INTEGER, quantity INTEGER,
         PRIMARY KEY (order_id, product_id))`,
  );
  sql.bulk(() =>
    sql.transaction(() => {
      for (const line of lines) {
        sql.run(
          `INSERT INTO order_lines_flat VALUES (${columns.map(() => "?").join(", ")})`,
          columns.map((c) => line[c]),
        );
      }
    }),
  );
  trace.table(
    `order_lines_flat: ${lines.length} rows in 1NF`,
    columns,
    lines.slice(0, 8).map((line: OrderLine) => columns.map((c) => line[c])),
    lines.length > 8 ? `… and ${lines.length - 8} more rows` : undefined,
  );
  const keys = candidateKeys(columns, ORDER_FDS);
  trace.note(
    `Functional dependencies, as the business states them:\n${ORDER_FDS.map((d) => `  ${show(d)}`).join("\n")}\nCandidate key: (${keys.map((k) => k.join(", ")).join(") or (")}). Highest normal form: ${normalForm(columns, ORDER_FDS)}.`,
  );
  const flatViolations = violations(columns, ORDER_FDS);
  trace.note(
    `What breaks 2NF (partial dependencies on the key):\n${grouped(
      flatViolations.filter((v) => v.form === "2NF").map((v) => v.dependency),
    )
      .map((l) => `  ${l}`)
      .join("\n")}\nWhat breaks 3NF (transitive dependencies):\n${grouped(
      flatViolations.filter((v) => v.form === "3NF").map((v) => v.dependency),
    )
      .map((l) => `  ${l}`)
      .join("\n")}`,
  );

  // Decompose from the pristine table first; the anomalies below are rolled back afterwards.
  trace.section("Decomposing into 2NF, then 3NF");
  decompose(sql, "order_lines_flat", SECOND_NORMAL_FORM);
  describeParts(
    trace,
    "Second normal form: no partial dependencies",
    SECOND_NORMAL_FORM,
    ORDER_FDS,
  );
  checkDecomposition(trace, sql, "2NF", "order_lines_flat", columns, SECOND_NORMAL_FORM, ORDER_FDS);
  const secondParts = Object.values(SECOND_NORMAL_FORM);
  const transitive = secondParts.flatMap((p) =>
    violations(p, ORDER_FDS).filter((v) => v.form === "3NF"),
  );
  trace.note(
    `orders_2nf still carries a transitive dependency: ${grouped(transitive.map((v) => v.dependency)).join("; ")}.`,
  );
  decompose(sql, "orders_2nf", {
    customers: THIRD_NORMAL_FORM.customers ?? [],
    orders: THIRD_NORMAL_FORM.orders ?? [],
  });
  describeParts(
    trace,
    "Third normal form: no transitive dependencies",
    THIRD_NORMAL_FORM,
    ORDER_FDS,
  );
  checkDecomposition(trace, sql, "3NF", "order_lines_flat", columns, THIRD_NORMAL_FORM, ORDER_FDS);

  trace.section("The anomalies, flat and in 3NF");
  // The first order has two lines at least, and the one-time customer's single product is one
  // the first order does not hold (see generateOrderLines): every anomaly below happens.
  const firstOrder = lines.filter((l) => l.order_id === FIRST_ORDER_ID);
  const victim = firstOrder[0] as OrderLine;
  const onceOnly = lines.find((l) => l.customer_id === ONE_TIME_CUSTOMER_ID) as OrderLine;
  const restatedPrice = Number(onceOnly.unit_price) + 2;
  const rowsOfCustomer =
    "SELECT order_id, product_id, customer_id, customer_name, customer_city FROM order_lines_flat WHERE customer_id = ? ORDER BY order_id, product_id";
  sql.run("SAVEPOINT anomalies");
  trace.note(
    `Update anomaly: customer ${victim.customer_id} (${victim.customer_name}) moves to Leeds, and only one of their ${lines.filter((l) => l.customer_id === victim.customer_id).length} rows is updated.`,
  );
  sql.run(
    "UPDATE order_lines_flat SET customer_city = 'Leeds' WHERE order_id = ? AND product_id = ?",
    [victim.order_id, victim.product_id],
  );
  showRows(
    trace,
    `Customer ${victim.customer_id}'s rows after the update`,
    sql.all(rowsOfCustomer, [victim.customer_id]),
  );
  const twoCities = sql.all(
    `SELECT customer_id, GROUP_CONCAT(DISTINCT customer_city) AS cities FROM order_lines_flat
       GROUP BY customer_id HAVING COUNT(DISTINCT customer_city) > 1`,
  );
  trace.note(
    "Insert anomaly: a new product cannot be recorded until someone orders it (the key needs an order_id).",
  );
  const insertError = sql.runExpectingError(
    "INSERT INTO order_lines_flat (order_id, product_id, product_name, unit_price) VALUES (NULL, 15, 'webcam', 59)",
  );
  trace.note(
    `…and a new line can restate a product's price differently: order ${victim.order_id} adds a ${onceOnly.product_name} at ${restatedPrice}, where the table already says ${onceOnly.unit_price}. Nothing stops it.`,
  );
  sql.run(`INSERT INTO order_lines_flat VALUES (${columns.map(() => "?").join(", ")})`, [
    victim.order_id,
    victim.order_date,
    victim.customer_id,
    victim.customer_name,
    victim.customer_city,
    onceOnly.product_id,
    onceOnly.product_name,
    restatedPrice,
    1,
  ]);
  showRows(
    trace,
    `Product ${onceOnly.product_id}'s rows after the insert`,
    sql.all(
      "SELECT order_id, product_id, product_name, unit_price FROM order_lines_flat WHERE product_id = ? ORDER BY order_id",
      [onceOnly.product_id],
    ),
  );
  const twoPrices = sql.all(
    `SELECT product_id, GROUP_CONCAT(DISTINCT unit_price) AS prices FROM order_lines_flat
       GROUP BY product_id HAVING COUNT(DISTINCT unit_price) > 1`,
  );
  trace.note(
    `Delete anomaly: customer ${onceOnly.customer_id} (${onceOnly.customer_name}) cancels their only order, and with it goes everything we knew about them.`,
  );
  showRows(
    trace,
    `Customer ${onceOnly.customer_id}'s rows before the delete`,
    sql.all(rowsOfCustomer, [onceOnly.customer_id]),
  );
  sql.run("DELETE FROM order_lines_flat WHERE order_id = ?", [onceOnly.order_id]);
  const stillKnown = sql.all(
    "SELECT DISTINCT customer_name, customer_city FROM order_lines_flat WHERE customer_id = ?",
    [onceOnly.customer_id],
  );
  sql.run("ROLLBACK TO anomalies");

  trace.note(
    "The same changes on the 3NF tables: the city and the price are each stored once, and a line refers to its product by ID.",
  );
  sql.run("SAVEPOINT normalized");
  const cityRows = sql.run("UPDATE customers SET customer_city = 'Leeds' WHERE customer_id = ?", [
    victim.customer_id,
  ]);
  const normalizedTwoCities = sql.all(
    `SELECT o.customer_id, COUNT(DISTINCT c.customer_city) AS cities
       FROM orders o JOIN customers c ON c.customer_id = o.customer_id
       GROUP BY o.customer_id HAVING COUNT(DISTINCT c.customer_city) > 1`,
  );
  const productInsert = sql.runExpectingError("INSERT INTO products VALUES (15, 'webcam', 59)");
  sql.run("INSERT INTO order_lines VALUES (?, ?, ?)", [victim.order_id, onceOnly.product_id, 1]);
  const normalizedPrices = Number(
    sql.value(
      "SELECT COUNT(DISTINCT unit_price) AS prices FROM order_lines NATURAL JOIN products WHERE product_id = ?",
      [onceOnly.product_id],
    ),
  );
  sql.run("DELETE FROM order_lines WHERE order_id = ?", [onceOnly.order_id]);
  sql.run("DELETE FROM orders WHERE order_id = ?", [onceOnly.order_id]);
  const normalizedKnown = sql.all(
    "SELECT customer_name, customer_city FROM customers WHERE customer_id = ?",
    [onceOnly.customer_id],
  );
  sql.run("ROLLBACK TO normalized");

  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  trace.table(
    "Anomalies",
    ["change", "flat (1NF)", "3NF"],
    [
      [
        "a customer moves",
        `${plural(twoCities.length, "customer")} now in two cities`,
        `${plural(cityRows, "row")} updated, ${normalizedTwoCities.length} inconsistent`,
      ],
      [
        "a new product",
        insertError === undefined ? "accepted" : "rejected: needs an order",
        productInsert === undefined ? "accepted" : `rejected: ${productInsert}`,
      ],
      [
        "a price restated",
        `${plural(twoPrices.length, "product")} with two prices`,
        `${plural(normalizedPrices, "price")}, stated once in products`,
      ],
      [
        "the only order deleted",
        stillKnown.length === 0 ? "customer forgotten" : "customer kept",
        normalizedKnown.length === 0 ? "customer forgotten" : "customer kept",
      ],
    ],
  );
  trace.check(
    "the flat table lets an UPDATE leave a customer in two cities (update anomaly)",
    twoCities.length > 0,
    { detail: twoCities.map((r) => `customer ${r.customer_id}: ${r.cities}`).join("; ") },
  );
  trace.check(
    "the flat table cannot record a product without an order (insert anomaly)",
    insertError !== undefined,
    { detail: insertError },
  );
  trace.check(
    "the flat table lets a new line state a second price for a product",
    twoPrices.length > 0,
    { detail: twoPrices.map((r) => `product ${r.product_id}: ${r.prices}`).join("; ") },
  );
  trace.check(
    "deleting the flat table's only order of a customer forgets the customer (delete anomaly)",
    stillKnown.length === 0,
    { detail: `customer ${onceOnly.customer_id}: ${stillKnown.length} rows left` },
  );
  trace.check(
    "in 3NF the same changes leave the data consistent",
    normalizedTwoCities.length === 0 &&
      productInsert === undefined &&
      normalizedPrices === 1 &&
      normalizedKnown.length === 1,
  );

  trace.section("Where BCNF differs from 3NF", REF.bcnf);
  trace.note(
    `An address relation (${ADDRESS_COLUMNS.join(", ")}) with\n${ADDRESS_FDS.map((d) => `  ${show(d)}`).join("\n")}\nCandidate keys: ${candidateKeys(
      ADDRESS_COLUMNS,
      ADDRESS_FDS,
    )
      .map((k) => `(${k.join(", ")})`)
      .join(
        " and ",
      )}. Every attribute is part of a key, so it is in ${normalForm(ADDRESS_COLUMNS, ADDRESS_FDS)}; but zip → city has a left side that is not a superkey, so it is not in BCNF.`,
  );
  sql.run("CREATE TABLE addresses (street TEXT, city TEXT, zip TEXT, PRIMARY KEY (street, city))");
  sql.run(
    `INSERT INTO addresses VALUES ('1 Main St', 'Springfield', '01101'), ('2 Oak Ave', 'Springfield', '01102'),
       ('1 Main St', 'Shelbyville', '02201')`,
  );
  decompose(sql, "addresses", ADDRESS_BCNF);
  describeParts(trace, "BCNF decomposition of addresses", ADDRESS_BCNF, ADDRESS_FDS);
  checkDecomposition(trace, sql, "BCNF", "addresses", ADDRESS_COLUMNS, ADDRESS_BCNF, ADDRESS_FDS);
  trace.note(
    "Neither table can enforce street, city → zip on its own. The insert below breaks it and is accepted: the join now gives 1 Main St in Springfield two zip codes.",
  );
  sql.run("INSERT INTO street_zips VALUES ('1 Main St', '01102')");
  const conflicting = sql.all(
    `SELECT street, city, COUNT(*) AS zips FROM street_zips NATURAL JOIN zip_cities
       GROUP BY street, city HAVING COUNT(*) > 1`,
  );
  trace.check(
    "after the BCNF split, a violation of street, city → zip goes unnoticed",
    conflicting.length > 0,
    {
      detail: conflicting.map((r) => `${r.street}, ${r.city}: ${r.zips} zips`).join("; "),
    },
  );
  trace.note(
    "That is the trade: BCNF removes every redundancy a dependency causes, and may cost a dependency that no single table can check; 3NF always keeps them all.",
    {
      level: "summary",
    },
  );
  sql.close();
}
