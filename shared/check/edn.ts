/**
 * Just enough EDN (extensible data notation, Clojure's data format) to read Jepsen histories: one
 * map per line, such as `{:process 0, :type :invoke, :f :write, :value 3}`. Maps, vectors, lists,
 * keywords, strings, integers, floats, nil, true and false. Keywords become strings without their
 * colon; commas are whitespace.
 */

export type Edn = null | boolean | number | string | Edn[] | { [key: string]: Edn };

export class EdnError extends Error {
  override name = "EdnError";
}

export function parseEdn(text: string): Edn {
  let i = 0;
  const skip = () => {
    while (i < text.length) {
      const c = text[i] as string;
      if (c === ";") {
        while (i < text.length && text[i] !== "\n") i++;
      } else if (c === "," || /\s/.test(c)) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new EdnError(`${what} at column ${i + 1}`);
  };
  const value = (): Edn => {
    skip();
    const c = text[i];
    if (c === undefined) return fail("unexpected end of input");
    if (c === "{") {
      i++;
      const map: { [key: string]: Edn } = {};
      for (;;) {
        skip();
        if (text[i] === "}") {
          i++;
          return map;
        }
        const key = value();
        if (typeof key !== "string") fail("a map key must be a keyword or a string");
        map[key as string] = value();
      }
    }
    if (c === "[" || c === "(") {
      const close = c === "[" ? "]" : ")";
      i++;
      const list: Edn[] = [];
      for (;;) {
        skip();
        if (text[i] === close) {
          i++;
          return list;
        }
        if (i >= text.length) fail(`missing ${close}`);
        list.push(value());
      }
    }
    if (c === '"') {
      i++;
      let out = "";
      while (text[i] !== '"') {
        if (i >= text.length) fail("unterminated string");
        if (text[i] === "\\") {
          i++;
          const e = text[i];
          out += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
        } else out += text[i];
        i++;
      }
      i++;
      return out;
    }
    const token = /^[^\s,{}[\]()";]+/.exec(text.slice(i))?.[0];
    if (token === undefined) return fail(`unexpected ${JSON.stringify(c)}`);
    i += token.length;
    if (token.startsWith(":")) return token.slice(1);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    if (/^[-+]?\d+N?$/.test(token)) return Number(token.replace(/N$/, ""));
    if (/^[-+]?\d*\.\d+([eE][-+]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ""));
    return fail(`unknown token ${JSON.stringify(token)}`);
  };
  const result = value();
  skip();
  if (i < text.length) fail("trailing characters");
  return result;
}
