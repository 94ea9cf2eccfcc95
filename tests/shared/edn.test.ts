/**
 * The EDN reader against the specification (github.com/edn-format/edn, README.md): every example
 * the specification gives, each rule it states, and its equality section.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EdnChar,
  EdnDecimal,
  EdnError,
  EdnFloat,
  EdnMap,
  EdnSet,
  EdnSymbol,
  ednEquals,
  ednString,
  Keyword,
  parseEdn,
  readEdnAll,
  Tagged,
} from "../../shared/check/edn.js";
import { ednValue } from "./fixtures/edn-values.js";

const kw = Keyword.of;
const sym = EdnSymbol.of;
const same = (a: string, b: string) => ednEquals(parseEdn(a), parseEdn(b));

describe("the specification's examples", () => {
  it("reads nil, booleans, strings and their escapes", () => {
    expect(parseEdn("nil")).toBeNull();
    expect([parseEdn("true"), parseEdn("false")]).toEqual([true, false]);
    // "Standard C/Java escape characters \t, \r, \n, \\ and \" are supported"; \uXXXX as Clojure.
    expect(parseEdn(String.raw`"a\tb\rc\nd\\e\"f\u00e9"`)).toBe('a\tb\rc\nd\\e"fé');
    // "May span multiple lines."
    expect(parseEdn('"two\nlines"')).toBe("two\nlines");
    expect(() => parseEdn(String.raw`"\q"`)).toThrow(/unknown escape \\q/);
    expect(() => parseEdn(String.raw`"\u00g1"`)).toThrow(/four hexadecimal digits/);
    expect(() => parseEdn('"open')).toThrow(/unterminated string/);
  });

  it("reads characters: \\c, \\newline, \\return, \\space, \\tab and \\uNNNN", () => {
    expect(parseEdn(String.raw`[\c \newline \return \space \tab \u03bb \( \"]`)).toEqual([
      new EdnChar("c"),
      new EdnChar("\n"),
      new EdnChar("\r"),
      new EdnChar(" "),
      new EdnChar("\t"),
      new EdnChar("λ"),
      new EdnChar("("),
      new EdnChar('"'),
    ]);
    // "Backslash cannot be followed by whitespace."
    expect(() => parseEdn("\\ ")).toThrow(/backslash must be followed/);
    expect(() => parseEdn(String.raw`\nope`)).toThrow(/unknown character/);
  });

  it("reads symbols and keywords, with prefixes, and refuses the illegal ones", () => {
    expect(parseEdn("[a b 42]")).toEqual([sym("a"), sym("b"), 42]);
    expect(parseEdn("my-namespace/foo")).toBe(sym("my-namespace/foo"));
    expect(parseEdn("/")).toBe(sym("/"));
    expect(parseEdn(".*+!-_?$%&=<>")).toBe(sym(".*+!-_?$%&=<>"));
    expect(parseEdn("a:b#c'")).toBe(sym("a:b#c'"));
    expect(parseEdn("-")).toBe(sym("-"));
    expect(parseEdn(":fred")).toBe(kw("fred"));
    expect(parseEdn(":my/fred")).toBe(kw("my/fred"));
    // Keywords are interned: "all instances of the same keyword yield the identical object".
    expect(parseEdn(":x")).toBe(parseEdn(":x"));
    for (const bad of ["-1a", ".5x", "a/b/c", "a/", "/a", ":/", ":/anything", "::fred", ":1a"])
      expect(() => parseEdn(bad), bad).toThrow(EdnError);
  });

  it("reads integers: no leading zeros, -0 is 0, N for arbitrary precision", () => {
    expect(parseEdn("[0 -1 +7 42N -0]")).toEqual([0, -1, 7, 42, 0]);
    expect(Object.is(parseEdn("-0"), 0)).toBe(true);
    // 64-bit precision is expected: beyond 2^53 an integer is a bigint, exactly.
    expect(parseEdn("9223372036854775807")).toBe(9223372036854775807n);
    expect(parseEdn("-123456789012345678901234567890N")).toBe(-123456789012345678901234567890n);
    expect(() => parseEdn("012")).toThrow(/bad number/);
  });

  it("reads floating-point numbers, M for exact precision", () => {
    expect(parseEdn("3.14")).toBe(3.14);
    expect(parseEdn("-1.5e-3")).toBe(-0.0015);
    expect(parseEdn("1.0")).toEqual(new EdnFloat(1));
    expect(parseEdn("2E3")).toEqual(new EdnFloat(2000));
    expect(parseEdn("1.50M")).toEqual(new EdnDecimal("1.5"));
    expect(parseEdn("7M")).toEqual(new EdnDecimal("7"));
    expect(() => parseEdn("1.")).toThrow(/bad number/);
    expect(() => parseEdn("1.5.2")).toThrow(/bad number/);
  });

  it("reads lists, vectors, maps and sets, commas being whitespace", () => {
    expect(parseEdn("(a b 42)")).toEqual([sym("a"), sym("b"), 42]);
    const map = parseEdn('{:a 1, "foo" :bar, [1 2 3] four}') as EdnMap;
    expect(map).toBeInstanceOf(EdnMap);
    expect(map.get(kw("a"))).toBe(1);
    expect(map.get("foo")).toBe(kw("bar"));
    expect(map.get([1, 2, 3])).toBe(sym("four"));
    expect(map.get(kw("missing"))).toBeUndefined();
    const set = parseEdn("#{a b [1 2 3]}") as EdnSet;
    expect(set).toBeInstanceOf(EdnSet);
    expect(set.items).toEqual([sym("a"), sym("b"), [1, 2, 3]]);
    // "The delimiters { } ( ) [ ] need not be separated from adjacent elements by whitespace."
    expect(parseEdn("[[1][2](3){:a[4]}]")).toEqual([[1], [2], [3], expect.any(EdnMap)]);
    // "Each key should appear at most once"; a set's elements are unique.
    expect(() => parseEdn("{:a 1 :a 2}")).toThrow(/repeats the key :a/);
    expect(() => parseEdn("#{1 2 1}")).toThrow(/repeats 1/);
    expect(() => parseEdn("{:a}")).toThrow(/a value for every key/);
  });

  it("reads tagged elements: #inst and #uuid understood, any other tag kept with its element", () => {
    expect(parseEdn('#myapp/Person {:first "Fred" :last "Mertz"}')).toEqual(
      new Tagged("myapp/Person", expect.any(EdnMap)),
    );
    expect(parseEdn('#inst "1985-04-12T23:20:50.52Z"')).toEqual(
      new Tagged("inst", "1985-04-12T23:20:50.52Z"),
    );
    expect(parseEdn('#uuid "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"')).toEqual(
      new Tagged("uuid", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
    );
    expect(() => parseEdn('#inst "yesterday"')).toThrow(/not an RFC 3339 timestamp/);
    expect(() => parseEdn('#uuid "nope"')).toThrow(/canonical UUID/);
    // "It is an error to have a tag without a corresponding tagged element."
    expect(() => parseEdn("[#foo/bar]")).toThrow(/must be followed by an element/);
  });

  it("skips comments and discards #_ elements", () => {
    expect(parseEdn("[a b #_foo 42]")).toEqual([sym("a"), sym("b"), 42]);
    expect(parseEdn("[1 #_ #_ 2 3 4]")).toEqual([1, 4]);
    expect(parseEdn("[1 #_{:a [2]} 3]")).toEqual([1, 3]);
    expect(parseEdn("; a comment\n[1 ; another\n 2]")).toEqual([1, 2]);
    // "It is an error to have a discard sequence without a following element."
    expect(() => parseEdn("[1 #_]")).toThrow(/#_ must be followed/);
  });

  it("reads a stream of top-level elements, each with its line", () => {
    expect(readEdnAll("{:a 1}\n\n; note\n[2\n 3] :k")).toEqual([
      { value: expect.any(EdnMap), line: 1 },
      { value: [2, 3], line: 4 },
      { value: kw("k"), line: 5 },
    ]);
    expect(() => parseEdn("1 2")).toThrow(/more than one element/);
  });

  it("names the line and column of what is wrong, and where an unclosed collection began", () => {
    const error = (text: string) => {
      try {
        readEdnAll(text);
      } catch (e) {
        return e instanceof EdnError ? [e.reason, e.line, e.column] : e;
      }
      return "accepted";
    };
    expect(error("{:a 1}\n{:b [1 2}")).toEqual(["unexpected }", 2, 9]);
    expect(error("[1\n2\n")).toEqual(["this [ is never closed by ]", 1, 1]);
    // An unterminated string is named where it opened, however many lines it swallowed.
    expect(error('{:value "abc\ndef')).toEqual(["unterminated string", 1, 9]);
  });

  it("refuses collections nested deeper than 500 levels, instead of overflowing the stack", () => {
    const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(() => parseEdn(nested(500))).not.toThrow();
    expect(() => parseEdn(nested(3000))).toThrow(/nested deeper than 500 levels/);
  });

  it("reads characters back to back, as Clojure's reader ends a token at a backslash", () => {
    expect(parseEdn(String.raw`[\a\b\\]`)).toEqual([
      new EdnChar("a"),
      new EdnChar("b"),
      new EdnChar("\\"),
    ]);
  });

  it("refuses an #inst whose fields are out of range, as clojure.instant does", () => {
    expect(() => parseEdn('#inst "2020-02-30T00:00:00Z"')).toThrow(/not an RFC 3339/);
    expect(() => parseEdn('#inst "2020-01-01T00:00:60Z"')).toThrow(/not an RFC 3339/);
    expect(parseEdn('#inst "2020-02-29T23:59:59Z"')).toEqual(
      new Tagged("inst", "2020-02-29T23:59:59Z"),
    );
  });
});

describe("equality, as the specification's equality section defines it", () => {
  it("integers and floats are never equal; exact decimals are their own kind", () => {
    expect(same("1", "1")).toBe(true);
    expect(same("1", "1N")).toBe(true);
    expect(same("1", "1.0")).toBe(false);
    expect(same("1.0", "1.0")).toBe(true);
    expect(same("1.5", "1.5M")).toBe(false);
    expect(same("1.5M", "1.50M")).toBe(true);
    // Decimals compare by value whatever their scale or exponent, as Clojure's = on BigDecimals.
    expect(same("1e2M", "100M")).toBe(true);
    expect(same("12.5e-3M", "0.0125M")).toBe(true);
    // ##NaN equals ##NaN here (Clojure's = says not), so that a register holding it can be read.
    expect(same("##NaN", "##NaN")).toBe(true);
    expect(same("-0", "0")).toBe(true);
  });

  it("nil, booleans, strings, characters, symbols and keywords by type and representation", () => {
    expect(same("nil", "false")).toBe(false);
    expect(same('"a"', ":a")).toBe(false);
    expect(same('"a"', "a")).toBe(false);
    expect(same('"a"', String.raw`\a`)).toBe(false);
    expect(same(":a", "a")).toBe(false);
    expect(same(":a/b", ":a/b")).toBe(true);
  });

  it("sequences by their elements, lists and vectors alike; sets and maps whatever their order", () => {
    expect(same("[1 2]", "(1 2)")).toBe(true);
    expect(same("[1 2]", "[2 1]")).toBe(false);
    expect(same("[1 [2 {:a 3}]]", "(1 (2 {:a 3}))")).toBe(true);
    expect(same("#{1 2 3}", "#{3 1 2}")).toBe(true);
    expect(same("#{1 2}", "#{1 2 3}")).toBe(false);
    expect(same("{:a 1 :b [2]}", "{:b [2], :a 1}")).toBe(true);
    expect(same("{:a 1}", "{:a 1.0}")).toBe(false);
  });

  it("#inst by the instant it names, #uuid by its canonical form, other tags by tag and element", () => {
    expect(same('#inst "1985-04-12T23:20:50.52Z"', '#inst "1985-04-12T19:20:50.520-04:00"')).toBe(
      true,
    );
    expect(same('#inst "1985-04-12T23:20:50.52Z"', '#inst "1985-04-12T23:20:50.53Z"')).toBe(false);
    expect(
      same(
        '#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"',
        '#uuid "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"',
      ),
    ).toBe(true);
    expect(same("#a/b 1", "#a/b 1")).toBe(true);
    expect(same("#a/b 1", "#a/c 1")).toBe(false);
  });
});

describe("printing", () => {
  it("reads back what it prints as an equal value, with the same text", () => {
    fc.assert(
      fc.property(ednValue, (value) => {
        const text = ednString(value);
        const reread = parseEdn(text);
        expect(ednEquals(reread, value)).toBe(true);
        expect(ednString(reread)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("prints JavaScript values from a simulation: whole numbers as integers, arrays as vectors", () => {
    expect(ednString(["client-1-v3", 7, 0.5, null, undefined, true])).toBe(
      '["client-1-v3" 7 0.5 nil nil true]',
    );
    expect(ednString(2 ** 60)).toBe("1152921504606846976N");
    expect(ednString('tab\tquote"\u0001')).toBe(String.raw`"tab\tquote\"\u0001"`);
  });
});
