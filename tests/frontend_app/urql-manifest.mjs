// The urql app's allow-list, {sha256: document}: each operation as persistedExchange
// hashes it (after cacheExchange's formatDocument adds __typename, printed by urql's
// stringifyDocument), so PERSISTED_QUERIES_ONLY=true accepts exactly what the app sends.
// Usage: node urql-manifest.mjs build/urql-manifest.json
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { formatDocument, stringifyDocument } from "@urql/core";
import * as ops from "./src/urql/operations.js";

const manifest = {};
for (const document of Object.values(ops)) {
  const body = stringifyDocument(formatDocument(document));
  manifest[createHash("sha256").update(body).digest("hex")] = body;
}
writeFileSync(process.argv[2], JSON.stringify(manifest, null, 2));
