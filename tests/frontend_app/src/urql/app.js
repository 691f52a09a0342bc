// A learner's app on urql: persisted queries enforced (hashes only, GET for queries), a
// trace header, a chat paged backward. Writes what it saw to window.__result.
import { Client, cacheExchange, fetchExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import * as ops from "./operations.js";

const [gateway, token] = decodeURIComponent(location.hash.slice(1)).split("|");
const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, "0")).join("");

const client = new Client({
  url: gateway,
  // cacheExchange adds __typename before persistedExchange hashes the document: the
  // manifest (urql-manifest.mjs) hashes it the same way.
  exchanges: [
    cacheExchange,
    persistedExchange({ enforcePersistedQueries: true, enableForMutation: true }),
    fetchExchange,
  ],
  fetchOptions: { headers: { Authorization: `Bearer ${token}`, traceparent: `00-${hex(32)}-${hex(16)}-01` } },
  requestPolicy: "network-only",
});

async function run(kind, document, variables) {
  const result = await client[kind](document, variables).toPromise();
  if (result.error) throw new Error(`${kind}: ${result.error.message}`);
  return result.data;
}

async function main() {
  const out = {};
  const me = await run("query", ops.ME);
  out.tier = me.me.subscriptionTier;
  out.budgetTier = me.rateLimit.tier;
  const session = (await run("mutation", ops.START, { topic: "urql chat" })).startSession;
  for (let i = 0; i < 3; i++) {
    await run("mutation", ops.RECORD, {
      input: { sessionId: session.id, role: "USER", content: `u${i}`, idempotencyKey: crypto.randomUUID() },
    });
  }
  const pages = [];
  let before = null;
  for (;;) {
    const page = (await run("query", ops.CHAT, { id: session.id, last: 2, before })).session.messages;
    pages.push(page.edges.map((e) => e.node.content));
    if (!page.pageInfo.hasPreviousPage) break;
    before = page.pageInfo.startCursor;
  }
  out.pages = pages;
  out.longestStreak = (await run("query", ops.PROGRESS)).progress.bests.longestStreakDays;
  return out;
}

main().then(
  (out) => { window.__result = out; },
  (error) => { window.__result = { failed: String(error && (error.stack || error)) }; },
);
