/**
 * EDN, the extensible data notation of Clojure, as its specification defines it
 * (github.com/edn-format/edn): Jepsen, Knossos and Elle write their histories in it.
 *
 * Every element of the specification is read: nil, booleans, strings with their escapes, characters,
 * symbols, keywords (with namespaces), integers (with N), floating-point numbers (with M), lists,
 * vectors, maps, sets, tagged elements (#inst and #uuid understood, any other tag kept with its
 * element), comments, and the discard sequence #_. Values are compared by content, as the
 * specification's "equality" section asks:
 *
 * - integers and floating-point numbers are never equal to each other (1 is not 1.0), and an exact
 *   decimal (1.5M) is equal to neither; -0 is 0; decimals are equal by value whatever their scale
 *   (1.50M is 1.5M, 1e2M is 100M), as Clojure compares BigDecimals; ##NaN equals ##NaN (Clojure's
 *   = says not), so that a register that holds it can be read back;
 * - a list and a vector with equal elements are equal (both are sequences);
 * - sets and maps are equal whatever the order their elements were written in;
 * - #inst elements are equal when they name the same instant, #uuid elements when their canonical
 *   (lower-case) forms are.
 *
 * How the elements look in TypeScript: nil is null; booleans and strings are themselves; an integer
 * is a number when it is a safe integer and a bigint beyond; a floating-point number is a number
 * when it has a fractional part, and an `EdnFloat` when its value is whole (so that 1.0 stays
 * apart from 1); lists and vectors are arrays; the rest are the classes below. `ednString` prints
 * any value in one canonical form (maps and sets sorted), so two values are equal exactly when
 * their canonical forms are: the linearizability checker keys its cache of model states on it.
 */

export type Edn =
  | null
  | boolean
  | number
  | bigint
  | string
  | EdnFloat
  | EdnDecimal
  | Keyword
  | EdnSymbol
  | EdnChar
  | Tagged
  | EdnMap
  | EdnSet
  | Edn[];

/** A keyword such as `:read` or `:jepsen/nemesis`. Interned: equal keywords are the same object. */
export class Keyword {
  private static readonly interned = new Map<string, Keyword>();
  private constructor(readonly name: string) {}
  static of(name: string): Keyword {
    let keyword = Keyword.interned.get(name);
    if (keyword === undefined) {
      keyword = new Keyword(name);
      Keyword.interned.set(name, keyword);
    }
    return keyword;
  }
}

/** A symbol such as `foo` or `my-namespace/foo`. Interned like keywords. */
export class EdnSymbol {
  private static readonly interned = new Map<string, EdnSymbol>();
  private constructor(readonly name: string) {}
  static of(name: string): EdnSymbol {
    let symbol = EdnSymbol.interned.get(name);
    if (symbol === undefined) {
      symbol = new EdnSymbol(name);
      EdnSymbol.interned.set(name, symbol);
    }
    return symbol;
  }
}

/** A character: `\c`, `\newline`, `\u00e9`. Not a string: `\a` and `"a"` are not equal. */
export class EdnChar {
  constructor(readonly char: string) {}
}

/** A floating-point number whose value is whole (1.0, 2e3): a plain number would pass for an integer. */
export class EdnFloat {
  constructor(readonly value: number) {}
}

/** An exact decimal, written with the suffix M (`1.50M`), kept as its digits with trailing zeros dropped. */
export class EdnDecimal {
  constructor(readonly digits: string) {}
}

/** A tagged element, `#tag element`. #inst and #uuid are stored in canonical form. */
export class Tagged {
  constructor(
    readonly tag: string,
    readonly value: Edn,
  ) {}
}

/** A map. Keys may be any element; each appears once. */
export class EdnMap {
  constructor(readonly entries: readonly (readonly [Edn, Edn])[]) {}

  /** The value at `key` (compared by content), or undefined when the key is absent. */
  get(key: Edn): Edn | undefined {
    // Keywords are interned, and a keyword equals nothing but itself: the common case is quick.
    if (key instanceof Keyword) return this.entries.find(([k]) => k === key)?.[1];
    const wanted = ednString(key);
    for (const [k, v] of this.entries) if (k === key || ednString(k) === wanted) return v;
    return undefined;
  }
}

/** A set. Each element appears once. */
export class EdnSet {
  constructor(readonly items: readonly Edn[]) {}
}

export class EdnError extends Error {
  override name = "EdnError";
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
  }
}

/** The line each map read by `readEdnAll` starts on, so that a history's errors can name it. */
const mapLines = new WeakMap<EdnMap, number>();

/** The line (1-based) on which a map read from text starts, if it was read from text. */
export function lineOf(map: EdnMap): number | undefined {
  return mapLines.get(map);
}

/** A top-level element and the line it starts on (1-based). */
export interface ReadElement {
  value: Edn;
  line: number;
}

const CHAR_NAMES: Record<string, string> = {
  newline: "\n",
  return: "\r",
  space: " ",
  tab: "\t",
  formfeed: "\f",
  backspace: "\b",
};
const STRING_ESCAPES: Record<string, string> = {
  t: "\t",
  r: "\r",
  n: "\n",
  "\\": "\\",
  '"': '"',
  b: "\b",
  f: "\f",
};

/** A token: everything up to whitespace, a comma, a delimiter or the start of a string or comment. */
const TOKEN = /[^\s,{}[\]()";\\]+/y;
const INTEGER = /^([-+]?)(0|[1-9][0-9]*)(N?)$/;
const FLOAT = /^[-+]?(?:0|[1-9][0-9]*)(?:M|(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?M?)$/;
/** Symbol characters; the finer first-character rules are checked in `symbolProblem`. */
const SYMBOL = /^[\p{L}\p{N}.*+!\-_?$%&=<>:#'/]+$/u;
const INST =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([-+])(\d{2}):(\d{2}))?)?)?)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Read every top-level element of `text`, with the line each starts on. */
export function readEdnAll(text: string): ReadElement[] {
  return new Reader(text).all();
}

/** Read exactly one element; anything but whitespace and comments after it is an error. */
export function parseEdn(text: string): Edn {
  const elements = readEdnAll(text);
  if (elements.length === 0) throw new EdnError("no element", 1, 1);
  if (elements.length > 1) {
    const second = elements[1] as ReadElement;
    throw new EdnError("more than one element", second.line, 1);
  }
  return (elements[0] as ReadElement).value;
}

class Reader {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  all(): ReadElement[] {
    const out: ReadElement[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.text.length) return out;
      const line = this.line;
      const value = this.element();
      if (value !== DISCARDED) out.push({ value, line });
    }
  }

  private fail(message: string, at = this.i): never {
    throw new EdnError(message, this.line, at - this.lineStart + 1);
  }

  /** Whitespace, commas and comments. */
  private skip(): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === 59 /* ; */) {
        while (this.i < text.length && text.charCodeAt(this.i) !== 10) this.i++;
      } else if (c === 44 /* , */ || c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
        this.i++;
      } else if (c > 127 && /\s/.test(text[this.i] as string)) this.i++;
      else return;
    }
  }

  /** One element, or DISCARDED for a `#_` and the element it discards. */
  /**
   * One element, or DISCARDED for a `#_` and the element it discards. The reader recurses into
   * collections; past MAX_DEPTH levels the input is refused, rather than overflowing the stack.
   */
  private element(): Edn | typeof DISCARDED {
    if (++this.depth > MAX_DEPTH) {
      return this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    }
    try {
      return this.elementAt();
    } finally {
      this.depth--;
    }
  }

  private elementAt(): Edn | typeof DISCARDED {
    const text = this.text;
    const c = text[this.i];
    switch (c) {
      case undefined:
        return this.fail("unexpected end of input");
      case "(":
      case "[":
        return this.sequence(c === "(" ? ")" : "]");
      case "{":
        return this.map();
      case ")":
      case "]":
      case "}":
        return this.fail(`unexpected ${c}`);
      case '"':
        return this.string();
      case "\\":
        return this.char();
      case "#":
        return this.dispatch();
      default:
        return this.token();
    }
  }

  /** Elements up to `close`, skipping discarded ones. */
  private elementsUntil(close: string, opened: { line: number; column: number }): Edn[] {
    this.i++;
    const items: Edn[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.text.length) {
        // Name where the unclosed collection began: in a history, that is the broken line.
        throw new EdnError(
          `this ${OPENERS[close]} is never closed by ${close}`,
          opened.line,
          opened.column,
        );
      }
      if (this.text[this.i] === close) {
        this.i++;
        return items;
      }
      const value = this.element();
      if (value !== DISCARDED) items.push(value);
    }
  }

  private here(): { line: number; column: number } {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private sequence(close: string): Edn[] {
    return this.elementsUntil(close, this.here());
  }

  private map(): EdnMap {
    const opened = this.here();
    const items = this.elementsUntil("}", opened);
    if (items.length % 2 !== 0) {
      throw new EdnError("a map needs a value for every key", opened.line, opened.column);
    }
    const entries: [Edn, Edn][] = [];
    const seen = new Set<string>();
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k] as Edn;
      const shown = ednString(key);
      if (seen.has(shown))
        throw new EdnError(`the map repeats the key ${shown}`, opened.line, opened.column);
      seen.add(shown);
      entries.push([key, items[k + 1] as Edn]);
    }
    const map = new EdnMap(entries);
    mapLines.set(map, opened.line);
    return map;
  }

  private dispatch(): Edn | typeof DISCARDED {
    const next = this.text[this.i + 1];
    if (next === "{") {
      const opened = this.here();
      this.i++;
      const items = this.elementsUntil("}", opened);
      const seen = new Set<string>();
      for (const item of items) {
        const shown = ednString(item);
        if (seen.has(shown))
          throw new EdnError(`the set repeats ${shown}`, opened.line, opened.column);
        seen.add(shown);
      }
      return new EdnSet(items);
    }
    if (next === "_") {
      const start = this.i;
      this.i += 2;
      this.nextElement("#_ must be followed by an element to discard", start);
      return DISCARDED;
    }
    if (next === "#") {
      // Clojure's symbolic values ##Inf, ##-Inf and ##NaN, which Jepsen may write for timings.
      const start = this.i;
      this.i += 2;
      const name = this.rawToken();
      if (name === "Inf") return new EdnFloat(Number.POSITIVE_INFINITY);
      if (name === "-Inf") return new EdnFloat(Number.NEGATIVE_INFINITY);
      if (name === "NaN") return new EdnFloat(Number.NaN);
      return this.fail(`unknown symbolic value ##${name}`, start);
    }
    if (next !== undefined && /[A-Za-z]/.test(next)) {
      const start = this.i;
      this.i++;
      const tag = this.rawToken();
      const problem = symbolProblem(tag);
      if (problem !== undefined) this.fail(`bad tag #${tag}: ${problem}`, start);
      const value = this.nextElement(`#${tag} must be followed by an element`, start);
      return this.tagged(tag, value, start);
    }
    return this.fail(`unknown dispatch #${next ?? ""}`);
  }

  /**
   * The next element, for a tag or a discard: discards on the way are read and skipped, so that
   * `#_ #_ a b` discards both a and b, as Clojure's reader does.
   */
  private nextElement(problem: string, at: number): Edn {
    for (;;) {
      this.skip();
      if (this.i >= this.text.length || /[)\]}]/.test(this.text[this.i] as string))
        return this.fail(problem, at);
      const value = this.element();
      if (value !== DISCARDED) return value;
    }
  }

  private tagged(tag: string, value: Edn, at: number): Tagged {
    if (tag === "inst") {
      if (typeof value !== "string") return this.fail("#inst takes an RFC 3339 string", at);
      const instant = canonicalInstant(value);
      if (instant === undefined)
        return this.fail(`#inst ${JSON.stringify(value)} is not an RFC 3339 timestamp`, at);
      return new Tagged(tag, instant);
    }
    if (tag === "uuid") {
      if (typeof value !== "string" || !UUID.test(value))
        return this.fail("#uuid takes a canonical UUID string", at);
      return new Tagged(tag, value.toLowerCase());
    }
    return new Tagged(tag, value);
  }

  private string(): string {
    const text = this.text;
    const opened = this.here();
    this.i++;
    let out = "";
    let from = this.i;
    for (;;) {
      const c = text[this.i];
      if (c === undefined) throw new EdnError("unterminated string", opened.line, opened.column);
      if (c === '"') break;
      if (c === "\n") {
        this.line++;
        this.lineStart = this.i + 1;
      }
      if (c !== "\\") {
        this.i++;
        continue;
      }
      out += text.slice(from, this.i);
      const e = text[this.i + 1];
      if (e === "u") {
        const hex = text.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("\\u takes four hexadecimal digits");
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 6;
      } else {
        const escaped = e === undefined ? undefined : STRING_ESCAPES[e];
        if (escaped === undefined) this.fail(`unknown escape \\${e ?? ""} in a string`);
        out += escaped;
        this.i += 2;
      }
      from = this.i;
    }
    out += text.slice(from, this.i);
    this.i++;
    return out;
  }

  private char(): EdnChar {
    const start = this.i;
    this.i++;
    const first = this.text[this.i];
    if (first === undefined || /\s/.test(first))
      return this.fail("a backslash must be followed by a character", start);
    // The character itself may be a delimiter (\( or \"); names and \uNNNN run on as a token.
    TOKEN.lastIndex = this.i;
    const token = TOKEN.exec(this.text)?.[0] ?? first;
    if (token.length > 1) {
      const named = CHAR_NAMES[token];
      if (named !== undefined) {
        this.i += token.length;
        return new EdnChar(named);
      }
      if (/^u[0-9a-fA-F]{4}$/.test(token)) {
        this.i += token.length;
        return new EdnChar(String.fromCharCode(Number.parseInt(token.slice(1), 16)));
      }
      return this.fail(`unknown character \\${token}`, start);
    }
    this.i += 1;
    return new EdnChar(first);
  }

  private rawToken(): string {
    TOKEN.lastIndex = this.i;
    const token = TOKEN.exec(this.text)?.[0] ?? "";
    this.i += token.length;
    return token;
  }

  private token(): Edn {
    const start = this.i;
    const token = this.rawToken();
    if (token === "") return this.fail(`unexpected ${JSON.stringify(this.text[this.i])}`);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    const first = token[0] as string;
    const second = token[1];
    const numeric =
      (first >= "0" && first <= "9") ||
      ((first === "-" || first === "+") && second !== undefined && second >= "0" && second <= "9");
    if (numeric) {
      const integer = INTEGER.exec(token);
      if (integer !== null) {
        const [, sign, digits] = integer as unknown as [string, string, string];
        const n = Number(digits);
        if (Number.isSafeInteger(n)) return sign === "-" && n !== 0 ? -n : n;
        const big = BigInt(digits);
        return sign === "-" ? -big : big;
      }
      if (FLOAT.test(token)) {
        if (token.endsWith("M")) return decimal(token.slice(0, -1));
        return float(Number(token));
      }
      return this.fail(`bad number ${token}`, start);
    }
    if (first === ":") {
      const name = token.slice(1);
      if (name.startsWith(":"))
        return this.fail(`a keyword cannot begin with :: (${token})`, start);
      const problem = name === "/" ? "it is not a legal keyword" : symbolProblem(name);
      if (problem !== undefined) return this.fail(`bad keyword ${token}: ${problem}`, start);
      return Keyword.of(name);
    }
    const problem = symbolProblem(token);
    if (problem !== undefined) return this.fail(`bad symbol ${token}: ${problem}`, start);
    return EdnSymbol.of(token);
  }
}

const DISCARDED: unique symbol = Symbol("discarded");
/** How deeply collections may nest: far beyond any history, far below the stack's limit. */
const MAX_DEPTH = 500;
const OPENERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** Why `name` is not a legal symbol (or keyword without its colon), or undefined if it is. */
function symbolProblem(name: string): string | undefined {
  if (!SYMBOL.test(name)) return "it has characters a symbol may not contain";
  if (name === "/") return undefined;
  const parts = name.split("/");
  if (parts.length > 2) return "/ may appear once only";
  for (const part of parts) {
    if (part === "") return "the prefix and the name around / must not be empty";
    const first = part[0] as string;
    if (/[0-9:#']/.test(first)) return `it may not begin with ${first}`;
    if ((first === "-" || first === "+" || first === ".") && /[0-9]/.test(part[1] ?? ""))
      return `after ${first} at its start, a digit is not allowed`;
  }
  return undefined;
}

/** A float as the representation above: a plain number unless its value is whole. */
function float(value: number): number | EdnFloat {
  return Number.isInteger(value) || !Number.isFinite(value) ? new EdnFloat(value) : value;
}

/** Canonical digits of an exact decimal: no plus sign, no trailing fractional zeros, -0 as 0. */
function decimal(text: string): EdnDecimal {
  // Equal decimals compare equal whatever their scale (1.50M is 1.5M, 1e2M is 100M), as Clojure's
  // = compares BigDecimals: the digits are written out plainly, without exponent or extra zeros.
  const negative = text.startsWith("-");
  const [mantissa = "", exponent = "0"] = text.replace(/^[-+]/, "").split(/[eE]/);
  const [whole = "", fraction = ""] = mantissa.split(".");
  let all = whole + fraction;
  let point = whole.length + Number(exponent);
  if (point < 0) {
    all = "0".repeat(-point) + all;
    point = 0;
  }
  if (point > all.length) all += "0".repeat(point - all.length);
  const integer = all.slice(0, point).replace(/^0+/, "") || "0";
  const rest = all.slice(point).replace(/0+$/, "");
  const digits = rest === "" ? integer : `${integer}.${rest}`;
  return new EdnDecimal(negative && digits !== "0" ? `-${digits}` : digits);
}

/**
 * An RFC 3339 timestamp as the instant it names, in UTC with the fraction kept to the digit
 * (`1985-04-12T19:20:50.52-04:00` and `1985-04-12T23:20:50.520Z` are the same instant), or
 * undefined when `text` is not one. Clojure's reader also takes the shorter forms (a year, a date).
 */
function canonicalInstant(text: string): string | undefined {
  const m = INST.exec(text);
  if (m === null) return undefined;
  const [, year, month = "01", day = "01", hour = "00", minute = "00", second = "00"] = m;
  const fraction = (m[7] ?? "").replace(/0+$/, "");
  const sign = m[9] === "-" ? -1 : 1;
  const offsetMinutes = m[9] === undefined ? 0 : sign * (Number(m[10]) * 60 + Number(m[11]));
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute) - offsetMinutes,
    Number(second),
  );
  // Each field in its range, as clojure.instant checks: no 30 February, no 60th second.
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const inRange = (v: string | undefined, lo: number, hi: number) =>
    v === undefined || (Number(v) >= lo && Number(v) <= hi);
  if (
    Number.isNaN(ms) ||
    !inRange(month, 1, 12) ||
    !inRange(day, 1, daysInMonth) ||
    !inRange(hour, 0, 23) ||
    !inRange(minute, 0, 59) ||
    !inRange(second, 0, 59) ||
    !inRange(m[10], 0, 23) ||
    !inRange(m[11], 0, 59)
  )
    return undefined;
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}${fraction === "" ? "" : `.${fraction}`}Z`;
}

const STRING_OUT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\b": "\\b",
  "\f": "\\f",
};
const CHAR_OUT: Record<string, string> = Object.fromEntries(
  Object.entries(CHAR_NAMES).map(([name, c]) => [c, name]),
);

function quote(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => STRING_OUT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function numberText(n: number): string {
  if (Number.isInteger(n)) {
    if (n === 0) return "0";
    // Beyond 2^53 String() writes an exponent, which would read back as a float.
    return Number.isSafeInteger(n) ? String(n) : `${BigInt(n)}N`;
  }
  if (Number.isNaN(n)) return "##NaN";
  return String(n);
}

/**
 * The canonical EDN text of a value: what a reader reads back as an equal value, and the same text
 * for any two equal values. JavaScript values from a simulation print too: a whole number is an
 * integer, other numbers floats, arrays vectors, undefined nil.
 */
export function ednString(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return numberText(value);
    case "boolean":
      return String(value);
    case "bigint":
      return `${value}N`;
  }
  if (Array.isArray(value)) return `[${value.map(ednString).join(" ")}]`;
  if (value instanceof Keyword) return `:${value.name}`;
  if (value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnChar) {
    const named = CHAR_OUT[value.char];
    if (named !== undefined) return `\\${named}`;
    const code = value.char.charCodeAt(0);
    return code < 32 || code === 127 || /\s/.test(value.char)
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\${value.char}`;
  }
  if (value instanceof EdnFloat) {
    if (value.value === Number.POSITIVE_INFINITY) return "##Inf";
    if (value.value === Number.NEGATIVE_INFINITY) return "##-Inf";
    if (Number.isNaN(value.value)) return "##NaN";
    const text = String(value.value); // -0 prints as "0"
    return /[.e]/.test(text) ? text : `${text}.0`;
  }
  if (value instanceof EdnDecimal) return `${value.digits}M`;
  if (value instanceof Tagged) return `#${value.tag} ${ednString(value.value)}`;
  if (value instanceof EdnMap) {
    const entries = value.entries.map(([k, v]) => `${ednString(k)} ${ednString(v)}`);
    return `{${entries.sort().join(", ")}}`;
  }
  if (value instanceof EdnSet) return `#{${value.items.map(ednString).sort().join(" ")}}`;
  throw new TypeError(`not an EDN value: ${String(value)}`);
}

/** Equality by content, as the EDN specification defines it (see the file's header). */
export function ednEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (a == null || b == null) return a == null && b == null;
  if (typeof a === "bigint" || typeof b === "bigint") return ednString(a) === ednString(b);
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => ednEquals(x, b[i]));
  if (a instanceof EdnFloat && b instanceof EdnFloat)
    return a.value === b.value || (Number.isNaN(a.value) && Number.isNaN(b.value));
  return ednString(a) === ednString(b);
}
