// Runs graphql-http's server audit against CAUSA_AUDIT_URL, signed in with CAUSA_AUDIT_TOKEN,
// and prints the results (id, name, status, reason) as one JSON array.
import { auditServer } from 'graphql-http';

const url = process.env.CAUSA_AUDIT_URL;
const token = process.env.CAUSA_AUDIT_TOKEN;

async function signedFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: signedFetch });
const summary = results.map(({ id, name, status, reason }) => ({ id, name, status, reason }));
process.stdout.write(JSON.stringify(summary));
