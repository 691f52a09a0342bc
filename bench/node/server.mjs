// The Node peer of `make bench`: graphql-js + graphql-jit over the gateway's rows
// (bench/peers.py dump_rows), HS256 verified per request. Answers `mid` and W4.
// The rows are in the database's shape (lowercase enum values, stored field names, Date
// timestamps): the resolvers convert them and copy each row read, as over a driver.
//   node server.mjs <port> <rows.json> <jwt secret>
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { buildSchema, parse } from "graphql";
import { compileQuery, isCompiledQuery } from "graphql-jit";

const [port, rowsPath, secret] = process.argv.slice(2);
const rows = JSON.parse(readFileSync(rowsPath, "utf8"));
for (const page of Object.values(rows.messages)) for (const m of page) m.timestamp = new Date(m.timestamp);

// Python's datetime.isoformat() of a UTC datetime, as the gateway's DateTime sends it.
function isoformat(d) {
  const s = d.toISOString().slice(0, 19);
  const ms = d.getUTCMilliseconds();
  return ms ? `${s}.${String(ms).padStart(3, "0")}000+00:00` : `${s}+00:00`;
}
const fresh = (list, first) => list.slice(0, first).map((r) => ({ ...r }));

const schema = buildSchema(`
  type LanguageError { category: String! subcategory: String! excerpt: String correction: String }
  type Message { id: ID! role: String! content: String! timestamp: String! errors: [LanguageError!]! }
  type MessageEdge { node: Message! }
  type MessageConnection { edges: [MessageEdge!]! }
  type Session { id: ID! topic: String totalMessages: Int! messages(first: Int = 20): MessageConnection! }
  type SessionEdge { node: Session! }
  type SessionConnection { edges: [SessionEdge!]! }
  type User { id: ID! name: String! subscriptionTier: String! sessions(first: Int = 20): SessionConnection! }
  type Query { me: User }
`);

const resolvers = {
  Query: {
    me: (_root, _args, ctx) => {
      const user = rows.users[ctx.sub];
      return user ? { id: ctx.sub, ...user } : null;
    },
  },
  User: {
    subscriptionTier: (user) => user.subscription_tier.toUpperCase(),
    sessions: (user, { first }) => ({
      edges: fresh(rows.sessions[user.id] || [], first).map((node) => ({ node })),
    }),
  },
  Session: {
    id: (session) => session._id,
    totalMessages: (session) => session.total_messages ?? 0,
    messages: (session, { first }) => ({
      edges: fresh(rows.messages[session._id] || [], first).map((node) => ({ node })),
    }),
  },
  Message: {
    id: (m) => m._id,
    role: (m) => m.role.toUpperCase(),
    timestamp: (m) => isoformat(m.timestamp),
    errors: (m) => m.errors || [],
  },
};
for (const [typeName, fields] of Object.entries(resolvers)) {
  const type = schema.getType(typeName);
  for (const [name, resolve] of Object.entries(fields)) type.getFields()[name].resolve = resolve;
}

const key = Buffer.from(secret);
function verify(token) {
  const [h, p, s] = token.split(".");
  const expected = createHmac("sha256", key).update(`${h}.${p}`).digest();
  const given = Buffer.from(s || "", "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("bad signature");
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  if (header.alg !== "HS256") throw new Error("bad alg");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) throw new Error("expired");
  return claims;
}

const compiled = new Map();
function plan(query) {
  let c = compiled.get(query);
  if (!c) {
    c = compileQuery(schema, parse(query));
    if (!isCompiledQuery(c)) throw new Error(JSON.stringify(c));
    if (compiled.size < 1000) compiled.set(query, c);
  }
  return c;
}

createServer((req, res) => {
  if (req.url === "/bench/stats") {
    const u = process.cpuUsage();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ cpu_s: (u.user + u.system) / 1e6, peak_rss_mb: process.memoryUsage().rss / 2 ** 20 }));
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    res.setHeader("content-type", "application/json");
    let claims;
    try {
      claims = verify((req.headers.authorization || "").replace(/^Bearer /, ""));
    } catch (e) {
      res.statusCode = 401;
      res.end(JSON.stringify({ errors: [{ message: String(e.message) }] }));
      return;
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      const result = await plan(body.query).query(undefined, { sub: claims.sub }, body.variables || {});
      res.end(JSON.stringify(result));
    } catch (e) {
      res.statusCode = 400;
      res.end(JSON.stringify({ errors: [{ message: String(e.message) }] }));
    }
  });
}).listen(Number(port), "127.0.0.1");
