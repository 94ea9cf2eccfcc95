/**
 * Denormalization measured: a read-heavy product page from normalized tables and from a
 * materialized copy, the reads it saves against the writes it adds, and the broken variant whose
 * fan-out misses one copy, caught by a consistency check that names the rows.
 */

import { flag, integer, option, type Scenario } from "../../shared/cli.js";
import { Random } from "../../shared/random.js";
import {
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

export const denormalization: Scenario<Options> = {
  name: "denormalization",
  summary:
    "a read-heavy product page, normalized and materialized: reads saved, writes added, and a missed fan-out",
  options: [
    option("--products <count>", "products in the catalog", integer(1, 10_000), 50),
    // Twenty page views per write by default, as read-heavy as the point needs: each page view is
    // two queries, and a few thousand of them made the scenario slow to start.
    option("--reads <count>", "page views in the workload", integer(0, 100_000), 500),
    option(
      "--writes <count>",
      "writes in the workload (nine reviews for every seller rename)",
      integer(0, 100_000),
      25,
    ),
    flag(
      "--missed-fan-out",
      "broken variant: a seller rename forgets to update one copy of the seller's name",
    ),
  ],
  run: async ({ trace, seed }, { products, reads, writes, missedFanOut }) => {
    const random = new Random(seed).fork("workload");
    const sellers = Math.max(1, Math.floor(products / 5));
    const sql = await Sql.open(trace);
    trace.section("A product page, read far more often than it is written", REF.fanOut);
    trace.note(
      `${products} products from ${sellers} sellers, ${products * 10} reviews. Normalized, a page view joins the product, its seller and all its reviews. Denormalized, a product_pages table keeps the seller's name, the review count and the star total ready in one row, the way Twitter keeps each user's home timeline ready rather than assembling it at every read.`,
      { ref: REF.fanOut },
    );
    loadCatalog(sql, random, products, sellers, products * 10);
    if (missedFanOut) {
      trace.note(
        "BROKEN VARIANT (--missed-fan-out): a seller rename forgets the seller's last product page.",
        { level: "summary" },
      );
    }

    trace.note("One page view each way:");
    const normalized = emptyCounters();
    const denormalized = emptyCounters();
    viewNormalized(sql, 1, normalized);
    viewDenormalized(sql, 1, denormalized);
    trace.note(
      "One review written each way: the denormalized copy needs a second statement, in the same transaction.",
      {
        ref: REF.multiObject,
      },
    );
    const apply = (write: Write) =>
      sql.transaction(() => {
        writeNormalized(sql, write, normalized);
        denormalized.statements++;
        denormalized.rowsWritten++;
        maintainPages(sql, write, denormalized, missedFanOut);
      });
    apply({ kind: "review", productId: 1, stars: 5 });
    trace.note("And a seller rename: one row in sellers, and a copy on every page of that seller:");
    apply({ kind: "rename", sellerId: 1, name: "Seller 1 Ltd" });

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
            apply({ kind: "rename", sellerId, name: `Seller ${sellerId} (renamed ${renames})` });
          } else {
            apply({ kind: "review", productId: random.int(1, products), stars: random.int(1, 5) });
          }
        } else {
          const productId = random.int(1, products);
          viewNormalized(sql, productId, normalized);
          viewDenormalized(sql, productId, denormalized);
        }
      }
    });
    trace.note(
      `The workload: ${reads} page views and ${writes} writes (about one in ten a seller rename), run against both (--verbose shows every statement).`,
    );
    const perView = (c: typeof normalized) => (c.pageViews === 0 ? 0 : c.rowsRead / c.pageViews);
    trace.table(
      "What denormalizing costs and saves",
      ["measure", "normalized", "denormalized"],
      [
        [
          "rows read per page view",
          perView(normalized).toFixed(1),
          perView(denormalized).toFixed(1),
        ],
        ["rows read, whole workload", normalized.rowsRead, denormalized.rowsRead],
        ["rows written, whole workload", normalized.rowsWritten, denormalized.rowsWritten],
        ["statements, whole workload", normalized.statements, denormalized.statements],
      ],
      `Reads saved: ${normalized.rowsRead - denormalized.rowsRead} rows; writes added: ${denormalized.rowsWritten - normalized.rowsWritten} rows. Worth it when reads dominate, as here.`,
    );
    trace.check(
      "the denormalized copy reads fewer rows per page view",
      perView(denormalized) < perView(normalized),
      {
        detail: `${perView(normalized).toFixed(1)} → ${perView(denormalized).toFixed(1)}`,
      },
    );

    trace.section("Does the copy still agree with the source of truth?", REF.multiObject);
    const disagreements = checkPages(sql);
    trace.check(
      "every product page agrees with the normalized tables",
      disagreements.length === 0,
      {
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
      },
    );
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
  },
};
