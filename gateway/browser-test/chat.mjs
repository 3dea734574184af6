// Two tabs of the gateway's web console chat with each other in headless chromium.
// Usage: node chat.mjs GATEWAY_URL [SCREENSHOT.png]
import puppeteer from "puppeteer-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [url, screenshot] = process.argv.slice(2);
if (!url) {
  console.error("usage: node chat.mjs GATEWAY_URL [SCREENSHOT.png]");
  process.exit(2);
}
const STEP = 30_000;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "flv-chromium-"));
const browser = await puppeteer.launch({
  protocolTimeout: STEP,
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--user-data-dir=${profile}`,
  ],
});
let failed = 0;
try {
  const open = async (query) => {
    const page = await browser.newPage();
    await page.setViewport({ width: 900, height: 520 });
    page.on("pageerror", (e) => { console.error("page error:", e.message); failed++; });
    await page.goto(`${url}/${query}`, { waitUntil: "load", timeout: STEP });
    return page;
  };
  const said = (page, text) =>
    page.waitForFunction(
      (t) => [...document.querySelectorAll("#log .rec .val")].some((e) => e.textContent === t),
      { timeout: STEP, polling: 100 }, text);
  const say = async (page, text) => {
    console.log(`  ${await page.$eval("#key", (e) => e.value)} says: ${text}`);
    await page.bringToFront();
    await page.type("#value", text);
    await page.click("#send");
  };

  // Alice creates the topic from the console, which selects it and starts the live tail.
  const alice = await open("?name=alice");
  await alice.type("#new-topic", "chat");
  await alice.click("#create");
  await alice.waitForSelector('body[data-live="chat"]', { timeout: STEP });
  console.log("  alice created topic chat and tails it");
  // Bob opens the same topic in another tab.
  const bob = await open("?topic=chat&name=bob");
  await bob.waitForSelector('body[data-live="chat"]', { timeout: STEP });
  await bob.waitForSelector('#topics li[data-topic="chat"]', { timeout: STEP });
  console.log("  bob tails chat in a second tab");

  await say(alice, "hi bob, this is alice");
  await said(bob, "hi bob, this is alice");
  await said(alice, "hi bob, this is alice");
  await say(bob, "hello alice! bob here");
  await said(alice, "hello alice! bob here");
  await say(alice, "streaming over the flv gateway");
  await said(bob, "streaming over the flv gateway");
  await said(alice, "streaming over the flv gateway");
  await said(bob, "hello alice! bob here");

  // Both tabs show the same three messages, with keys and offsets 0..2.
  const log = (page) => page.$$eval("#log .rec", (rows) =>
    rows.map((r) => `${r.dataset.offset} ${r.querySelector(".key")?.textContent ?? ""} ${r.querySelector(".val").textContent}`));
  const a = await log(alice);
  const b = await log(bob);
  const want = [
    "0 alice: hi bob, this is alice",
    "1 bob: hello alice! bob here",
    "2 alice: streaming over the flv gateway",
  ];
  for (const [name, got] of [["alice", a], ["bob", b]]) {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      console.error(`${name}'s tab shows ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      failed++;
    }
  }
  if (screenshot) {
    await alice.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);
  }
} catch (e) {
  console.error("browser chat failed:", e.message);
  failed++;
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`browser chat: ${failed === 0 ? 1 : 0} passed, ${failed === 0 ? 0 : 1} failed`);
process.exit(failed === 0 ? 0 : 1);
