// GraphQL over HTTP conformance: the GraphQL Foundation's audits of the specification (graphql-http's
// `serverAudits`: media types, request parameters, status codes, `data` on request errors) against the gateway's
// /graphql. Every audit must pass, the MUSTs and also the SHOULDs and MAYs the gateway implements (all of them).
import { auditServer } from 'graphql-http';

/** Runs the audits against `api` (the gateway's base URL); throws listing every audit that did not pass. */
export async function auditGraphQLOverHttp(api) {
  const results = await auditServer({ url: `${api}/graphql` });
  const failed = [];
  for (const result of results) {
    if (result.status !== 'ok') {
      const body = await result.response.text().catch(() => '');
      failed.push(`${result.id} ${result.name}: ${result.reason} (status ${result.response.status}; ${body.slice(0, 200)})`);
    }
  }
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${results.length} GraphQL-over-HTTP audits failed:\n  ${failed.join('\n  ')}`);
  }
  return results.length;
}

// `node e2e/http-audit.mjs URL`: audits a running gateway.
if (import.meta.url === `file://${process.argv[1]}`) {
  const api = process.argv[2] ?? 'http://127.0.0.1:8080';
  auditGraphQLOverHttp(api).then(
    (n) => console.log(`all ${n} GraphQL-over-HTTP audits passed against ${api}/graphql`),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
