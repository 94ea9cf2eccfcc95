/**
 * A read-heavy product page, normalized and denormalized (DDIA ch. 1, "Describing Load": Twitter
 * precomputes home timelines because reads far outnumber writes; ch. 2 on normalization).
 *
 * Normalized: sellers, products and reviews; a page view joins them and aggregates the reviews.
 * Denormalized: a product_pages table holding the seller's name and the review count and star
 * total, ready to read in one row; every write must also keep it up to date, inside the same
 * transaction (DDIA ch. 7, "Single-Object and Multi-Object Operations").
 * `missedFanOut` is the broken variant: a seller rename updates every copy but the last.
 */

import type { Random } from "../shared/random.js";
import type { Sql } from "./sql.js";

export const PRODUCT_SCHEMA = [
  "CREATE TABLE sellers (seller_id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
  "CREATE TABLE products (product_id INTEGER PRIMARY KEY, name TEXT NOT NULL, seller_id INTEGER NOT NULL REFERENCES sellers)",
  "CREATE TABLE reviews (review_id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products, stars INTEGER NOT NULL)",
  "CREATE INDEX reviews_by_product ON reviews (product_id)",
  "CREATE INDEX products_by_seller ON products (seller_id)",
  `CREATE TABLE product_pages (
     product_id   INTEGER PRIMARY KEY REFERENCES products,
     name         TEXT NOT NULL,
     seller_name  TEXT NOT NULL,
     review_count INTEGER NOT NULL,
     star_total   INTEGER NOT NULL)`,
];

export interface PageView {
  name: string;
  seller: string;
  reviews: number;
  stars: number;
}

export interface Counters {
  pageViews: number;
  rowsRead: number;
  rowsWritten: number;
  statements: number;
}

export const emptyCounters = (): Counters => ({
  pageViews: 0,
  rowsRead: 0,
  rowsWritten: 0,
  statements: 0,
});

export function loadCatalog(
  sql: Sql,
  random: Random,
  products: number,
  sellers: number,
  reviews: number,
): void {
  for (const statement of PRODUCT_SCHEMA) sql.run(statement);
  sql.bulk(() =>
    sql.transaction(() => {
      for (let s = 1; s <= sellers; s++)
        sql.run("INSERT INTO sellers VALUES (?, ?)", [s, `Seller ${s}`]);
      for (let p = 1; p <= products; p++) {
        sql.run("INSERT INTO products VALUES (?, ?, ?)", [
          p,
          `Product ${p}`,
          random.int(1, sellers),
        ]);
      }
      for (let r = 1; r <= reviews; r++) {
        sql.run("INSERT INTO reviews (product_id, stars) VALUES (?, ?)", [
          random.int(1, products),
          random.int(1, 5),
        ]);
      }
      rebuildPages(sql);
    }),
  );
}

/** Materialize product_pages from the normalized tables (the initial build, or a repair). */
export function rebuildPages(sql: Sql): void {
  sql.run("DELETE FROM product_pages");
  sql.run(
    `INSERT INTO product_pages
     SELECT p.product_id, p.name, s.name, COUNT(r.review_id), COALESCE(SUM(r.stars), 0)
     FROM products p JOIN sellers s ON s.seller_id = p.seller_id
     LEFT JOIN reviews r ON r.product_id = p.product_id
     GROUP BY p.product_id`,
  );
}

/** A page view from the normalized tables: one product, its seller, and all its reviews are read. */
export function viewNormalized(
  sql: Sql,
  productId: number,
  counters: Counters,
): PageView | undefined {
  const row = sql.all(
    `SELECT p.name, s.name AS seller, COUNT(r.review_id) AS reviews, COALESCE(SUM(r.stars), 0) AS stars
     FROM products p
     JOIN sellers s ON s.seller_id = p.seller_id
     LEFT JOIN reviews r ON r.product_id = p.product_id
     WHERE p.product_id = ?
     GROUP BY p.product_id`,
    [productId],
  )[0];
  counters.pageViews++;
  counters.statements++;
  if (row === undefined) return undefined;
  // The rows the join must visit: the product, its seller, and every one of its reviews.
  counters.rowsRead += 2 + Number(row.reviews);
  return {
    name: String(row.name),
    seller: String(row.seller),
    reviews: Number(row.reviews),
    stars: Number(row.stars),
  };
}

/** A page view from the denormalized copy: one row. */
export function viewDenormalized(
  sql: Sql,
  productId: number,
  counters: Counters,
): PageView | undefined {
  const row = sql.all(
    "SELECT name, seller_name, review_count, star_total FROM product_pages WHERE product_id = ?",
    [productId],
  )[0];
  counters.pageViews++;
  counters.statements++;
  if (row === undefined) return undefined;
  counters.rowsRead += 1;
  return {
    name: String(row.name),
    seller: String(row.seller_name),
    reviews: Number(row.review_count),
    stars: Number(row.star_total),
  };
}

export type Write =
  | { kind: "review"; productId: number; stars: number }
  | { kind: "rename"; sellerId: number; name: string };

/** Apply a write to the normalized tables only; the counters record what it cost. */
export function writeNormalized(sql: Sql, write: Write, counters: Counters): void {
  counters.statements++;
  counters.rowsWritten +=
    write.kind === "review"
      ? sql.run("INSERT INTO reviews (product_id, stars) VALUES (?, ?)", [
          write.productId,
          write.stars,
        ])
      : sql.run("UPDATE sellers SET name = ? WHERE seller_id = ?", [write.name, write.sellerId]);
}

/**
 * The extra work the denormalized copy needs for the same write, in the same transaction as the
 * write itself. With `missedFanOut`, a rename forgets the seller's last product page.
 */
export function maintainPages(
  sql: Sql,
  write: Write,
  counters: Counters,
  missedFanOut: boolean,
): void {
  counters.statements++;
  if (write.kind === "review") {
    counters.rowsWritten += sql.run(
      "UPDATE product_pages SET review_count = review_count + 1, star_total = star_total + ? WHERE product_id = ?",
      [write.stars, write.productId],
    );
    return;
  }
  counters.rowsWritten += sql.run(
    missedFanOut
      ? `UPDATE product_pages SET seller_name = ? WHERE product_id IN
           (SELECT product_id FROM products WHERE seller_id = ? AND product_id <
             (SELECT MAX(product_id) FROM products WHERE seller_id = ?))`
      : "UPDATE product_pages SET seller_name = ? WHERE product_id IN (SELECT product_id FROM products WHERE seller_id = ?)",
    missedFanOut ? [write.name, write.sellerId, write.sellerId] : [write.name, write.sellerId],
  );
}

export interface Disagreement {
  productId: number;
  field: string;
  copy: string;
  truth: string;
}

/** Every product page whose copy differs from what the normalized tables say, field by field. */
export function checkPages(sql: Sql): Disagreement[] {
  const rows = sql.all(
    `SELECT pp.product_id, pp.seller_name, s.name AS true_seller,
            pp.review_count, COUNT(r.review_id) AS true_count,
            pp.star_total, COALESCE(SUM(r.stars), 0) AS true_stars
     FROM product_pages pp
     JOIN products p ON p.product_id = pp.product_id
     JOIN sellers s ON s.seller_id = p.seller_id
     LEFT JOIN reviews r ON r.product_id = pp.product_id
     GROUP BY pp.product_id
     HAVING pp.seller_name <> s.name OR pp.review_count <> COUNT(r.review_id) OR pp.star_total <> COALESCE(SUM(r.stars), 0)
     ORDER BY pp.product_id`,
  );
  const out: Disagreement[] = [];
  for (const row of rows) {
    const id = Number(row.product_id);
    if (row.seller_name !== row.true_seller)
      out.push({
        productId: id,
        field: "seller_name",
        copy: String(row.seller_name),
        truth: String(row.true_seller),
      });
    if (row.review_count !== row.true_count)
      out.push({
        productId: id,
        field: "review_count",
        copy: String(row.review_count),
        truth: String(row.true_count),
      });
    if (row.star_total !== row.true_stars)
      out.push({
        productId: id,
        field: "star_total",
        copy: String(row.star_total),
        truth: String(row.true_stars),
      });
  }
  return out;
}
