import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VectorReplica, VersionedKey } from "../../shared/versions.js";

describe("version numbers on one server (figure 5-13)", () => {
  it("ends with the figure's two siblings, and their union holds every item", () => {
    const cart = new VersionedKey<string[]>();
    const c1 = cart.write(["milk"], 0);
    const c2 = cart.write(["eggs"], 0);
    const c3 = cart.write(["milk", "flour"], c1.version);
    cart.write(["eggs", "milk", "ham"], c2.version);
    cart.write(["milk", "flour", "eggs", "bacon"], c3.version);
    expect(cart.read()).toEqual({
      version: 5,
      values: [
        ["eggs", "milk", "ham"],
        ["milk", "flour", "eggs", "bacon"],
      ],
    });
  });

  it("never loses an item when clients merge what they read, whatever the interleaving", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 20 }),
        (clientOrder) => {
          const cart = new VersionedKey<string[]>();
          // Each client knows only what its own last write returned.
          const seen = [0, 0, 0].map(() => ({ version: 0, values: [] as string[][] }));
          clientOrder.forEach((client, i) => {
            const mine = [...new Set([...(seen[client]?.values.flat() ?? []), `item${i}`])];
            seen[client] = cart.write(mine, seen[client]?.version ?? 0);
          });
          expect(new Set(cart.read().values.flat())).toEqual(
            new Set(clientOrder.map((_, i) => `item${i}`)),
          );
        },
      ),
    );
  });

  it("the broken variant, a server that keeps only the last write, loses items in the figure's interleaving", () => {
    let lastWriteWins: string[] = [];
    const write = (cart: string[]) => {
      lastWriteWins = cart;
      return cart;
    };
    const c1 = write(["milk"]);
    write(["eggs"]); // client 2 never saw milk
    const c3 = write([...c1, "flour"]); // client 1 only knows its own milk
    write(["eggs", "ham"]); // client 2 only knows its own eggs
    write([...c3, "bacon"]);
    expect(lastWriteWins).toEqual(["milk", "flour", "bacon"]);
    expect(["eggs", "ham"].some((item) => lastWriteWins.includes(item))).toBe(false);
  });
});

describe("version vectors across replicas", () => {
  it("keep concurrent values as siblings and drop dominated ones", () => {
    const a = new VectorReplica<string>("A");
    const b = new VectorReplica<string>("B");
    a.write("x", {});
    b.write("y", {});
    a.mergeFrom(b);
    expect(a.read().values.sort()).toEqual(["x", "y"]);
    const context = a.read().context;
    a.write("xy", context);
    b.mergeFrom(a);
    expect(b.read().values).toEqual(["xy"]);
    b.mergeFrom(b);
    expect(b.read().values).toEqual(["xy"]);
  });
});
