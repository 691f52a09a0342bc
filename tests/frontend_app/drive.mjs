// Opens each app's page in Debian's Chromium (Playwright) and prints, as JSON, what the
// app reported (window.__result), every request it sent to the gateway and every
// console error. Usage: node drive.mjs <chromium> <site> <gateway> <apollo token> <urql token>
import { chromium } from "playwright-core";

const [executablePath, site, gateway, apolloToken, urqlToken] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const report = {};
try {
  for (const [app, token] of [["apollo", apolloToken], ["urql", urqlToken]]) {
    const page = await browser.newPage();
    const requests = [];
    const problems = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(gateway)) return;
      requests.push({
        method: request.method(),
        url: request.url(),
        headers: request.headers(),
        body: request.postData(),
      });
    });
    page.on("response", (response) => {
      const entry = requests.find((r) => r.url === response.url() && r.status === undefined && r.method === response.request().method());
      if (entry) entry.status = response.status();
    });
    page.on("console", (message) => { if (message.type() === "error") problems.push(message.text()); });
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto(`${site}/${app}.html#${encodeURIComponent(`${gateway}/graphql|${token}`)}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000 });
    report[app] = { result: await page.evaluate(() => window.__result), requests, problems };
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
