/**
 * Concurrent writes to one key: the book's shopping cart (figure 5-13), where a server with version
 * numbers keeps concurrent values as siblings and clients merge them, then the same with version
 * vectors across two replicas (DDIA ch. 5, "Detecting Concurrent Writes").
 */

import type { Scenario } from "../../shared/cli.js";
import { VectorReplica, VersionedKey } from "../../shared/versions.js";
import { REF } from "../refs.js";

const show = (values: string[][]) => values.map((v) => `[${v.join(", ")}]`).join(" ");
const union = (values: string[][]) => [...new Set(values.flat())];

export const concurrentWrites: Scenario<Record<string, never>> = {
  name: "concurrent-writes",
  summary:
    "two clients fill one shopping cart at once: siblings, merges, and version vectors keep every item",
  options: [],
  run: ({ trace }) => {
    trace.section(
      "Figure 5-13: two clients, one cart, version numbers on one server",
      REF.concurrent,
    );
    trace.note(
      "The server increments a version number on every write. A read returns every value not yet overwritten and the version; a write carries the version it was based on, and overwrites only values up to that version. Each client merges (takes the union of) the siblings it read before writing.",
      { ref: REF.concurrent },
    );
    const cart = new VersionedKey<string[]>();
    const c1 = cart.write(["milk"], 0);
    trace.note(`client 1 writes [milk] (version 0) → version ${c1.version}: ${show(c1.values)}`);
    const c2 = cart.write(["eggs"], 0);
    trace.note(
      `client 2, not having seen milk, writes [eggs] (version 0) → version ${c2.version}: ${show(c2.values)} (concurrent: both kept)`,
    );
    const c3 = cart.write(["milk", "flour"], c1.version);
    trace.note(
      `client 1 writes [milk, flour] based on version ${c1.version} → version ${c3.version}: ${show(c3.values)}`,
    );
    const c4 = cart.write([...union(c2.values), "ham"], c2.version);
    trace.note(
      `client 2 merges what it read and adds ham, based on version ${c2.version} → version ${c4.version}: ${show(c4.values)}`,
    );
    const c5 = cart.write([...union(c3.values), "bacon"], c3.version);
    trace.note(
      `client 1 merges what it read and adds bacon, based on version ${c3.version} → version ${c5.version}: ${show(c5.values)}`,
    );
    const merged = union(cart.read().values).sort();
    trace.note(`A final read merges the siblings: [${merged.join(", ")}].`, { level: "summary" });
    trace.check(
      "no item added to the cart is lost",
      ["bacon", "eggs", "flour", "ham", "milk"].every((i) => merged.includes(i)),
      {
        ref: REF.concurrent,
        detail: merged.join(", "),
      },
    );
    trace.check(
      "the server keeps exactly the two concurrent siblings of figure 5-13",
      cart.read().values.length === 2,
      {
        detail: show(cart.read().values),
      },
    );

    trace.section("Version vectors: two replicas accept writes independently", REF.versionVectors);
    const a = new VectorReplica<string[]>("A");
    const b = new VectorReplica<string[]>("B");
    a.write(["milk"], {});
    b.mergeFrom(a);
    const fromA = a.read();
    const fromB = b.read();
    a.write([...union(fromA.values), "flour"], fromA.context);
    b.write([...union(fromB.values), "eggs"], fromB.context);
    trace.note(
      `After [milk] reached both replicas, one client adds flour on A and another adds eggs on B at the same time: A holds ${show(a.read().values)} with ${JSON.stringify(a.siblings.map((s) => s.clock))}, B holds ${show(b.read().values)} with ${JSON.stringify(b.siblings.map((s) => s.clock))}.`,
    );
    a.mergeFrom(b);
    b.mergeFrom(a);
    trace.note(
      `Anti-entropy exchanges them. Neither vector dominates the other, so both replicas keep both siblings: ${show(a.read().values)}.`,
      {
        ref: REF.versionVectors,
      },
    );
    const next = a.read();
    a.write(union(next.values).sort(), next.context);
    b.mergeFrom(a);
    trace.note(
      `A client reads both, merges them into ${show(a.read().values)}, and writes with the merged context; that vector dominates both, and after the next exchange each replica holds one value.`,
    );
    trace.check(
      "version vectors keep concurrent writes as siblings instead of dropping one",
      a.siblings.length === 1 && b.siblings.length === 1 && union(b.read().values).length === 3,
      {
        detail: `A: ${show(a.read().values)}; B: ${show(b.read().values)}`,
        ref: REF.versionVectors,
      },
    );
  },
};
