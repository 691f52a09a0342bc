// Builds the apps into build/: the bundles (esbuild), their pages and the persisted-query
// manifests of the Apollo and urql apps (Apollo's generator; urql-manifest.mjs), as a
// frontend build step would. `live` is the chat page of tests/test_live_browser.py.
// Usage: node build.mjs [app ...] (default: every app and both manifests).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

mkdirSync("build", { recursive: true });
const apps = process.argv.length > 2 ? process.argv.slice(2) : ["apollo", "urql", "live"];
for (const app of apps) {
  await build({
    entryPoints: [`src/${app}/app.js`],
    bundle: true,
    format: "esm",
    minify: true,
    outfile: `build/${app}.js`,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  writeFileSync(
    `build/${app}.html`,
    `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${app}</title></head>` +
      `<body><script type="module" src="/${app}.js"></script></body></html>`,
  );
}
if (apps.includes("apollo")) {
  execFileSync("node", ["node_modules/.bin/generate-persisted-query-manifest"], { stdio: "inherit" });
}
if (apps.includes("urql")) {
  execFileSync("node", ["urql-manifest.mjs", "build/urql-manifest.json"], { stdio: "inherit" });
}
