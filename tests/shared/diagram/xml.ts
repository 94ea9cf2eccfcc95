/**
 * A small XML reader for the picture tests: it checks well-formedness (one root, every tag
 * closed in order, quoted and unique attributes, `&` only as a known entity or a character
 * reference, no `<` in text or attribute values) and returns the element tree, with entities
 * decoded, so tests can count elements and read their text. It throws on the first error, with
 * the offset. Enough XML for what our renderers write (no DTD, no CDATA, no namespaces checked).
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function parseXml(text: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(
      `not well-formed XML at offset ${at}: ${why} (near ${JSON.stringify(text.slice(at, at + 40))})`,
    );
  };
  const decode = (raw: string, where: number): string =>
    raw.replace(/&([^;]*);?/g, (whole, body: string) => {
      if (!whole.endsWith(";")) {
        at = where;
        fail("an & that starts no entity");
      }
      if (body in ENTITIES) return ENTITIES[body] as string;
      const m = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
      if (m === null) {
        at = where;
        return fail(`unknown entity &${body};`);
      }
      return String.fromCodePoint(m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]));
    });
  const skipMisc = () => {
    for (;;) {
      while (at < text.length && /\s/.test(text[at] as string)) at++;
      if (text.startsWith("<?", at)) {
        const end = text.indexOf("?>", at);
        if (end < 0) fail("unterminated processing instruction");
        at = end + 2;
      } else if (text.startsWith("<!--", at)) {
        const end = text.indexOf("-->", at);
        if (end < 0) fail("unterminated comment");
        at = end + 3;
      } else return;
    }
  };
  const name = (): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(text);
    if (m === null) return fail("a name was expected");
    at += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (text[at] !== "<") fail("an element was expected");
    at++;
    const el: XmlElement = { name: name(), attributes: {}, children: [] };
    for (;;) {
      const before = at;
      while (at < text.length && /\s/.test(text[at] as string)) at++;
      if (text.startsWith("/>", at)) {
        at += 2;
        return el;
      }
      if (text[at] === ">") {
        at++;
        break;
      }
      if (at === before) fail("whitespace was expected before an attribute");
      const attribute = name();
      if (attribute in el.attributes) fail(`attribute ${attribute} given twice`);
      if (text[at] !== "=") fail("= was expected after an attribute name");
      at++;
      const quote = text[at];
      if (quote !== '"' && quote !== "'") return fail("an attribute value must be quoted");
      const end = text.indexOf(quote, at + 1);
      if (end < 0) fail("unterminated attribute value");
      const raw = text.slice(at + 1, end);
      if (raw.includes("<")) fail("< inside an attribute value");
      el.attributes[attribute] = decode(raw, at);
      at = end + 1;
    }
    for (;;) {
      if (at >= text.length) fail(`<${el.name}> is never closed`);
      if (text.startsWith("</", at)) {
        at += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        while (/\s/.test(text[at] ?? "")) at++;
        if (text[at] !== ">") fail("> was expected");
        at++;
        return el;
      }
      if (text.startsWith("<!--", at)) {
        const end = text.indexOf("-->", at);
        if (end < 0) fail("unterminated comment");
        at = end + 3;
      } else if (text[at] === "<") {
        el.children.push(element());
      } else {
        const end = text.indexOf("<", at);
        const stop = end < 0 ? text.length : end;
        const raw = text.slice(at, stop);
        if (raw.includes("]]>")) fail("]]> in text");
        el.children.push(decode(raw, at));
        at = stop;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (at !== text.length) fail("content after the root element");
  return root;
}

/** Every element of the tree, depth first, in document order. */
export function elements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (const child of root.children) if (typeof child !== "string") out.push(...elements(child));
  return out;
}

/** Elements whose class attribute lists every one of `classes`. */
export function byClass(root: XmlElement, ...classes: string[]): XmlElement[] {
  return elements(root).filter((el) => {
    const list = (el.attributes.class ?? "").split(/\s+/);
    return classes.every((c) => list.includes(c));
  });
}

/** The decoded text inside an element. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
}

/** The text of an element's `<title>` child (its hover text). */
export function titleOf(el: XmlElement): string | undefined {
  const title = el.children.find(
    (c): c is XmlElement => typeof c !== "string" && c.name === "title",
  );
  return title === undefined ? undefined : textOf(title);
}
