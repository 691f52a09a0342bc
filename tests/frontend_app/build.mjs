// Builds both apps into build/: the bundles (esbuild), their pages and their persisted-
// query manifests (Apollo's generator; urql-manifest.mjs), as a frontend build step would.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

mkdirSync("build", { recursive: true });
for (const app of ["apollo", "urql"]) {
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
execFileSync("node", ["node_modules/.bin/generate-persisted-query-manifest"], { stdio: "inherit" });
execFileSync("node", ["urql-manifest.mjs", "build/urql-manifest.json"], { stdio: "inherit" });
