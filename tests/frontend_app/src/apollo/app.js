// A learner's app on Apollo Client 4, as a frontend team wires it: client awareness, a
// trace header, persisted queries from the build's manifest, batching, relay-style
// pagination of a chat, cache updates from mutation payloads. It writes what it saw to
// window.__result for tests/test_frontend_clients.py.
import { ApolloClient, ApolloLink, InMemoryCache } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import * as ops from "./operations.js";

const [gateway, token] = decodeURIComponent(location.hash.slice(1)).split("|");
const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, "0")).join("");
const seen = { remaining: [] };

async function fetchAndRead(uri, options) {
  const response = await fetch(uri, options);
  seen.remaining.push(response.headers.get("X-RateLimit-Remaining"));
  return response;
}

const client = new ApolloClient({
  cache: new InMemoryCache({
    typePolicies: { Session: { fields: { messages: relayStylePagination() } } },
  }),
  link: ApolloLink.from([
    new PersistedQueryLink(
      generatePersistedQueryIdsFromManifest({
        loadManifest: () => fetch("/apollo-manifest.json").then((r) => r.json()),
      }),
    ),
    new BatchHttpLink({
      uri: gateway,
      batchMax: 10,
      batchInterval: 20,
      fetch: fetchAndRead,
      headers: {
        Authorization: `Bearer ${token}`,
        traceparent: `00-${hex(32)}-${hex(16)}-01`,
      },
    }),
  ]),
  clientAwareness: { name: "tutor-web", version: "1.4.0" },
});

const hintsUsed = (id) =>
  client.readFragment({ id: client.cache.identify({ __typename: "Exercise", id }), fragment: ops.EXERCISE_HINTS })?.hintsUsed;

async function main() {
  const out = {};
  out.me = (await client.query({ query: ops.ME })).data.me;
  // Three queries in one tick: one batched request.
  const [daily, progress, budget] = await Promise.all([
    client.query({ query: ops.DAILY }),
    client.query({ query: ops.PROGRESS }),
    client.query({ query: ops.BUDGET }),
  ]);
  out.dailyTotal = daily.data.dailyPractice.total;
  out.longestStreak = progress.data.progress.bests.longestStreakDays;
  out.tier = budget.data.rateLimit.tier;

  const session = (await client.mutate({ mutation: ops.START, variables: { topic: "Apollo chat" } })).data.startSession;
  out.sessionEdgeMatches = session.edge.node.id === session.id && !!session.edge.cursor;
  const said = [];
  for (let i = 0; i < 5; i++) {
    const content = `message ${i}`;
    await client.mutate({
      mutation: ops.RECORD,
      variables: { input: { sessionId: session.id, role: "USER", content, idempotencyKey: crypto.randomUUID() } },
    });
    said.push(content);
  }
  // The chat view opens at the newest two messages and pages back.
  const chat = await client.query({ query: ops.CHAT, variables: { id: session.id, last: 2 } });
  out.firstPage = chat.data.session.messages.edges.map((e) => e.node.content);
  let info = chat.data.session.messages.pageInfo;
  while (info.hasPreviousPage) {
    // relayStylePagination merges the older page in front of the cached one.
    const more = await client.query({
      query: ops.CHAT,
      variables: { id: session.id, last: 2, before: info.startCursor },
      fetchPolicy: "network-only",
    });
    info = more.data.session.messages.pageInfo;
  }
  const merged = client.readQuery({ query: ops.CHAT, variables: { id: session.id, last: 2 } });
  out.chat = merged.session.messages.edges.map((e) => e.node.content);
  out.said = said;

  // A new message goes into the loaded chat from the mutation's own edge.
  const recorded = (
    await client.mutate({
      mutation: ops.RECORD,
      variables: { input: { sessionId: session.id, role: "USER", content: "the newest", idempotencyKey: crypto.randomUUID() } },
      update(cache, { data }) {
        const edge = data.recordMessage.edge;
        cache.modify({
          id: cache.identify({ __typename: "Session", id: session.id }),
          fields: {
            messages(existing, { toReference }) {
              const node = toReference({ __typename: "Message", id: edge.node.id });
              return { ...existing, edges: [...existing.edges, { __typename: "MessageEdge", cursor: edge.cursor, node }] };
            },
          },
        });
      },
    })
  ).data.recordMessage;
  const afterInsert = client.readQuery({ query: ops.CHAT, variables: { id: session.id, last: 2 } });
  out.chatAfterInsert = afterInsert.session.messages.edges.map((e) => e.node.content);
  out.recordedId = recorded.id;

  // A hint updates the cached exercise.
  const exercise = daily.data.dailyPractice.exercises.find((e) => e.status === "PENDING");
  out.hintsUsed = [hintsUsed(exercise.id)];
  for (let i = 0; i < 2; i++) {
    await client.mutate({ mutation: ops.HINT, variables: { id: exercise.id } });
    out.hintsUsed.push(hintsUsed(exercise.id));
  }
  const answer = (await client.mutate({ mutation: ops.ANSWER, variables: { id: exercise.id, answer: "surely not this" } })).data.submitExercise;
  out.answer = { correct: answer.correct, attempts: answer.exercise.attempts };

  // An execution error reaches the app with its code.
  try {
    await client.mutate({ mutation: ops.MISSING_HINT });
    out.missingHint = "no error";
  } catch (error) {
    out.missingHint = error.errors?.[0]?.extensions?.code ?? String(error);
  }
  const node = (await client.query({ query: ops.REFETCH, variables: { id: session.id }, fetchPolicy: "network-only" })).data.node;
  out.refetched = { typename: node.__typename, totalMessages: node.totalMessages };
  out.remaining = seen.remaining;
  return out;
}

main().then(
  (out) => { window.__result = out; },
  (error) => { window.__result = { failed: String(error && (error.stack || error)) }; },
);
