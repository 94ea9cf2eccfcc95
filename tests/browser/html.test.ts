/**
 * The `--html` page in a real browser: headless Chromium (Debian's `chromium` package, which
 * .ci/run installs) opens the page of a replication run from a file:// URL, and the test sees no
 * console error and no request leave the file, a screenshot that is not blank, the details of a
 * message appear in the panel when it is clicked (and when it is reached by keyboard), and the
 * time slider hide later messages.
 *
 * Without Chromium the test is skipped with a message, unless DDIA_REQUIRE_BROWSER=1 (.ci/run
 * sets it), when a missing browser fails it. playwright-core drives Chromium over the DevTools
 * protocol; it downloads no browser of its own, and launch() gives each run a fresh profile.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnMain } from "../shared/fixtures/cli.js";
import { pixelVariety } from "./png.js";

const CHROMIUM = process.env.DDIA_CHROMIUM ?? "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
const required = process.env.DDIA_REQUIRE_BROWSER === "1";
if (!present && !required) {
  console.warn(
    `tests/browser: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set DDIA_CHROMIUM; DDIA_REQUIRE_BROWSER=1 makes this a failure)`,
  );
}

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const VIEWPORT = { width: 1400, height: 900 };
const TIMEOUT_MS = 120_000;

/**
 * Run in the page (as text: this project's TypeScript has no DOM types): the index of the first
 * delivered message whose middle no other element covers, so that a click there lands on it.
 */
const FIND_UNCOVERED_MESSAGE = `[...document.querySelectorAll("svg .msg.delivered")].findIndex((el) => {
  el.scrollIntoView({ block: "center", inline: "center" });
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return hit !== null && el.contains(hit) && box.width > 20;
})`;

describe.skipIf(!present && !required)("the --html page in headless Chromium", () => {
  const folder = mkdtempSync(join(tmpdir(), "ddia-browser-"));
  const file = join(folder, "failover.html");
  let browser: Browser;
  let page: Page;
  /** Console errors, uncaught exceptions, and requests for anything but the file itself. */
  const problems: string[] = [];

  beforeAll(async () => {
    if (!present) throw new Error(`DDIA_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
    // The failover scenario: a partition, a crash, lost messages, two runs.
    const run = spawnMain("replication", ["failover", "--seed", "1", "--html", file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^wrote .*failover\.html: 2 runs, \d+ messages\n$/);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    page.on("request", (request) => {
      if (request.url() !== pathToFileURL(file).href) problems.push(`request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("loads with no console error and no request beyond the file", () => {
    expect(problems).toEqual([]);
  });

  it(
    "shows a picture, not a blank page",
    async () => {
      const shot = pixelVariety(await page.screenshot());
      expect([shot.width, shot.height]).toEqual([VIEWPORT.width, VIEWPORT.height]);
      expect(shot.distinctColours).toBeGreaterThan(50);
      expect(shot.notBackground).toBeGreaterThan(0.05);
      // The same measure on a blank page (the broken variant: a page that drew nothing).
      const blank = await browser.newPage({ viewport: VIEWPORT });
      const empty = pixelVariety(await blank.screenshot());
      await blank.close();
      expect(empty.distinctColours).toBeLessThanOrEqual(2);
      expect(empty.notBackground).toBeLessThan(0.05);
    },
    TIMEOUT_MS,
  );

  it(
    "shows a message's details when it is clicked, and marks its trace lines",
    async () => {
      await expect(page.locator("#details-body").textContent()).resolves.toBe("Nothing selected.");
      const index = await page.evaluate<number>(FIND_UNCOVERED_MESSAGE);
      expect(index).toBeGreaterThanOrEqual(0);
      const message = page.locator("svg .msg.delivered").nth(index);
      const id = await message.getAttribute("data-id");
      await message.click();
      const details = page.locator("#details-body");
      await expect(details.locator("h3").textContent()).resolves.toMatch(
        new RegExp(`^Message #${id}: `),
      );
      const text = (await details.textContent()) ?? "";
      expect(text).toMatch(/from.+to.+type.+sent\d+\.\d msfatedelivered at \d+\.\d ms/s);
      expect(text).toContain('"type":');
      // Its send and deliver lines, at least, are marked in the trace.
      expect(await page.locator(".ev.related").count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator(".ev.related.send").count()).toBe(1);
      expect(await page.locator(".ev.related.deliver").count()).toBe(1);
      expect(problems).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    "opens a message from the keyboard (focus on it, Enter)",
    async () => {
      const message = page.locator("svg .msg.dropped").first();
      const id = await message.getAttribute("data-id");
      await message.focus();
      await page.keyboard.press("Enter");
      await expect(page.locator("#details-body h3").textContent()).resolves.toMatch(
        new RegExp(`^Message #${id}: `),
      );
      expect(await page.locator("#details-body").textContent()).toMatch(/fatedropped at/);
    },
    TIMEOUT_MS,
  );

  it(
    "hides later messages and dims later trace lines when the slider moves back",
    async () => {
      expect(await page.locator("svg .msg.later").count()).toBe(0);
      await page.locator("#time").fill("100");
      await expect(page.locator("#time-value").textContent()).resolves.toBe("100.0 ms");
      const later = await page.locator("svg .msg.later").count();
      const all = await page.locator("svg .msg").count();
      expect(later).toBeGreaterThan(0);
      expect(later).toBeLessThan(all);
      expect(await page.locator(".ev.later").count()).toBeGreaterThan(0);
      const hidden = await page
        .locator("svg .msg.later")
        .first()
        .evaluate((el) => {
          const view = globalThis as unknown as {
            getComputedStyle(element: unknown): { display: string };
          };
          return view.getComputedStyle(el).display;
        });
      expect(hidden).toBe("none");
      expect(problems).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
