// Runs graphql-http's GraphQL-over-HTTP server audit against the URL given as the only
// argument and prints the results as one JSON array: [{id, name, status, reason?}].
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
console.log(
  JSON.stringify(
    results.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      reason: r.status === 'ok' ? undefined : r.reason,
    })),
  ),
);
