// A learner's chat page watching a session live: the `graphql-ws` npm client over
// WebSocket and the `graphql-sse` one over Server-Sent Events (distinct connections mode),
// both on gateway replica A, while the tutor's reply is recorded on replica B. What
// arrives is in window.__live for tests/test_live_browser.py.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";

const { ws, http, token, session } = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const SUBSCRIPTION = `subscription Live($s: ID!, $after: ID) {
  sessionEvents(sessionId: $s, after: $after) {
    id type
    message { id role content }
    session { id totalMessages }
  }
}`;
const live = (window.__live = { ws: [], sse: [], problems: [], wsConnected: false });
const problem = (where) => (error) =>
  live.problems.push(`${where}: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
const onNext = (where) => ({ data, errors }) => {
  if (errors) problem(where)(errors);
  else live[where].push(data.sessionEvents);
};

const wsClient = createWsClient({
  url: ws,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => { live.wsConnected = true; } },
});
wsClient.subscribe(
  { query: SUBSCRIPTION, variables: { s: session } },
  { next: onNext("ws"), error: problem("ws"), complete: () => {} },
);

if (http) {
  const sseClient = createSseClient({
    url: http,
    headers: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  sseClient.subscribe(
    { query: SUBSCRIPTION, variables: { s: session } },
    { next: onNext("sse"), error: problem("sse"), complete: () => {} },
  );
}
