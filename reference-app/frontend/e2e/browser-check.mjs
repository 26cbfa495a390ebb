#!/usr/bin/env node
/**
 * Drives the built frontend in headless Chromium (Debian's /usr/bin/chromium; puppeteer-core
 * downloads no browser): opens the page, waits for the live notification stream, creates an order
 * and waits until the page shows that order's notification and the order as notified on all four
 * hops. Writes a screenshot and prints a JSON summary; exits 1 with the reason on any failure.
 *
 *   node e2e/browser-check.mjs <url> <screenshot.png> [timeout seconds]
 */
import puppeteer from "puppeteer-core";

const [url, screenshot, timeoutArg] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: browser-check.mjs <url> <screenshot.png> [timeout seconds]");
  process.exit(2);
}
const timeout = Number(timeoutArg || 30) * 1000;
const item = `browser check ${Date.now()}`;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", // CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--no-pings",
    // The page talks to 127.0.0.1 only; every other name fails to resolve, so nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
  ],
});
let failure = null;
const consoleErrors = [];
try {
  const page = await browser.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.setDefaultTimeout(timeout);
  await page.setViewport({ width: 1100, height: 700 });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(() => document.querySelector("[data-testid=stream-state]")?.textContent.trim() === "live");
  await page.type("[data-testid=item]", item);
  await page.$eval("[data-testid=quantity]", (el) => (el.value = ""));
  await page.type("[data-testid=quantity]", "2");
  await page.click("[data-testid=create]");
  const orderId = await page.waitForFunction(
    (name) => {
      const row = [...document.querySelectorAll("li[data-status]")].find((li) => li.textContent.includes(name));
      return row ? row.dataset.testid.replace(/^order-/, "") : null;
    },
    {},
    item,
  ).then((h) => h.jsonValue());
  const notification = await page.waitForFunction(
    (id) => document.querySelector(`[data-testid=notifications] li[data-order="${id}"]`)?.textContent.trim(),
    {},
    orderId,
  ).then((h) => h.jsonValue());
  await page.waitForSelector(`[data-testid="order-${orderId}"][data-status=notified]`);
  const hops = await page.$$eval(`[data-testid="order-${orderId}"] .hop.done`, (els) => els.map((e) => e.textContent.trim()));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ orderId, item, notification, hops, status: "notified", consoleErrors }));
} catch (err) {
  failure = err;
} finally {
  await browser.close();
}
if (failure) {
  console.error(`browser check failed: ${failure.message}`);
  process.exit(1);
}
