/**
 * Denormalization measured: a read-heavy product page from normalized tables and from a
 * materialized copy, the reads it saves against the writes it adds, and the broken variant whose
 * fan-out misses one copy, caught by a consistency check that names the rows.
 */

import type { ScenarioContext } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import {
  type Counters,
  checkPages,
  emptyCounters,
  loadCatalog,
  maintainPages,
  rebuildPages,
  viewDenormalized,
  viewNormalized,
  type Write,
  writeNormalized,
} from "../product-pages.js";
import { REF } from "../refs.js";
import { Sql } from "../sql.js";

interface Options {
  products: number;
  reads: number;
  writes: number;
  missedFanOut: boolean;
}

/**
 * The verdict on denormalizing, from the measured rows alone: rows read saved against rows written
 * added, a row read and a row written counted alike (a write usually costs more, which only
 * strengthens a "not worth it").
 */
export function verdict(readsSaved: number, writesAdded: number): string {
  if (readsSaved === 0 && writesAdded === 0) return "No workload ran: there is nothing to weigh.";
  if (readsSaved > writesAdded)
    return `The copy saved ${readsSaved - writesAdded} more rows than it cost: worth it for this workload.`;
  if (readsSaved < writesAdded)
    return `The copy cost ${writesAdded - readsSaved} more rows than it saved: not worth it for this workload.`;
  return "The copy saved exactly as many rows as it cost: no gain for this workload.";
}

/** The denormalization scenario; its name, summary and flags are in data-modeling/main.ts. */
export async function run(
  { trace, seed }: ScenarioContext,
  { products, reads, writes, missedFanOut }: Options,
): Promise<void> {
  const random = new Random(seed).fork("workload");
  const sellers = Math.max(1, Math.floor(products / 5));
  const sql = await Sql.open(trace);
  trace.section("A product page: reads against writes", REF.fanOut);
  trace.note(
    `${products} products from ${sellers} sellers, ${products * 10} reviews. Normalized, a page view joins the product, its seller and all its reviews. Denormalized, a product_pages table keeps the seller's name, the review count and the star total ready in one row, the way Twitter keeps each user's home timeline ready rather than assembling it at every read.`,
  );
  loadCatalog(sql, random, products, sellers, products * 10);
  if (missedFanOut) {
    trace.note(
      "BROKEN VARIANT (--missed-fan-out): a seller rename forgets the seller's last product page.",
      { level: "summary" },
    );
  }

  // The demonstration below is counted apart: the workload's totals are the workload's alone.
  const shown = { normalized: emptyCounters(), denormalized: emptyCounters() };
  const workload = { normalized: emptyCounters(), denormalized: emptyCounters() };
  trace.note("One page view each way:");
  viewNormalized(sql, 1, shown.normalized);
  viewDenormalized(sql, 1, shown.denormalized);
  trace.note(
    "One review written each way: the denormalized copy needs a second statement, in the same transaction.",
    {
      ref: REF.multiObject,
    },
  );
  const apply = (write: Write, counters: typeof workload) =>
    sql.transaction(() => {
      writeNormalized(sql, write, counters.normalized);
      // The denormalized design writes the normalized tables too, then its copy.
      counters.denormalized.statements++;
      counters.denormalized.rowsWritten++;
      maintainPages(sql, write, counters.denormalized, missedFanOut);
    });
  apply({ kind: "review", productId: 1, stars: 5 }, shown);
  trace.note("And a seller rename: one row in sellers, and a copy on every page of that seller:");
  apply({ kind: "rename", sellerId: 1, name: "Seller 1 Ltd" }, shown);

  let renames = 1;
  sql.bulk(() => {
    const total = reads + writes;
    let writesLeft = writes;
    for (let i = 0; i < total; i++) {
      const isWrite = writesLeft > 0 && random.chance(writesLeft / (total - i));
      if (isWrite) {
        writesLeft--;
        if (random.chance(0.1)) {
          renames++;
          const sellerId = random.int(1, sellers);
          apply(
            { kind: "rename", sellerId, name: `Seller ${sellerId} (renamed ${renames})` },
            workload,
          );
        } else {
          apply(
            { kind: "review", productId: random.int(1, products), stars: random.int(1, 5) },
            workload,
          );
        }
      } else {
        const productId = random.int(1, products);
        viewNormalized(sql, productId, workload.normalized);
        viewDenormalized(sql, productId, workload.denormalized);
      }
    }
  });
  trace.note(
    `The workload: ${reads} page views and ${writes} writes${writes > 0 ? " (about one in ten a seller rename)" : ""}, run against both (--verbose shows every statement).`,
  );
  const { normalized, denormalized } = workload;
  const perView = (c: Counters) =>
    c.pageViews === 0 ? undefined : (c.rowsRead / c.pageViews).toFixed(1);
  const readsSaved = normalized.rowsRead - denormalized.rowsRead;
  const writesAdded = denormalized.rowsWritten - normalized.rowsWritten;
  trace.table(
    "What denormalizing costs and saves",
    ["measure", "normalized", "denormalized"],
    [
      ["rows read per page view", perView(normalized) ?? "-", perView(denormalized) ?? "-"],
      ["rows read, whole workload", normalized.rowsRead, denormalized.rowsRead],
      ["rows written, whole workload", normalized.rowsWritten, denormalized.rowsWritten],
      ["statements, whole workload", normalized.statements, denormalized.statements],
    ],
    `Rows read saved: ${readsSaved}; rows written added: ${writesAdded}. ${verdict(readsSaved, writesAdded)}`,
  );
  if (normalized.pageViews === 0) {
    trace.notExercised(
      "the denormalized copy reads fewer rows per page view",
      "the workload has no page views (--reads 0)",
    );
  } else {
    trace.check(
      "the denormalized copy reads fewer rows per page view",
      denormalized.rowsRead < normalized.rowsRead,
      { detail: `${perView(normalized)} → ${perView(denormalized)}` },
    );
  }

  trace.section("Does the copy still agree with the source of truth?");
  const disagreements = checkPages(sql);
  trace.check("every product page agrees with the normalized tables", disagreements.length === 0, {
    expected: !missedFanOut,
    detail:
      disagreements.length === 0
        ? `${products} pages checked`
        : `${disagreements.length} field(s) disagree: ${disagreements
            .slice(0, 4)
            .map(
              (d) =>
                `product ${d.productId} ${d.field} is ${JSON.stringify(d.copy)}, should be ${JSON.stringify(d.truth)}`,
            )
            .join("; ")}${disagreements.length > 4 ? "; ..." : ""}`,
  });
  if (disagreements.length > 0) {
    trace.note("Derived data can always be rebuilt from the source of truth:", {
      level: "summary",
    });
    rebuildPages(sql);
    trace.check(
      "after a rebuild from the normalized tables, every page agrees again",
      checkPages(sql).length === 0,
    );
  }
  sql.close();
}
