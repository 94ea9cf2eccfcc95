/** Text and numbers as the SVG and HTML pictures write them: escaped, and without float noise. */

/**
 * `text` safe inside an XML or HTML element or a double- or single-quoted attribute. Characters
 * XML 1.0 forbids (control characters other than tab and newline) are left out: a node name or a
 * message may carry anything, and one stray byte would make the whole file unreadable.
 */
export function escapeXml(text: string): string {
  let out = "";
  for (const ch of text) {
    switch (ch) {
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case "'":
        out += "&#39;";
        break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0xfffe || code === 0xffff) {
          break;
        }
        out += ch;
      }
    }
  }
  return out;
}

/** A coordinate rounded to 0.1 px, written without trailing zeros or a negative zero. */
export function px(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? "0" : String(rounded);
}

/** A simulated time as the text trace writes it: one decimal, then "ms". */
export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** `text` cut to `max` characters, with an ellipsis saying so. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
}
