// @vitest-environment node
// Every document the dashboard sends is valid against schema.graphql at the repository root, the schema the
// gateway serves (api/tests/schema_drift.rs keeps that file in step with the code).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate, type DocumentNode, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as documents from '../src/graphql/documents';

const schema = buildSchema(readFileSync(fileURLToPath(new URL('../../schema.graphql', import.meta.url)), 'utf8'));

const sent: [string, string][] = [
  ...Object.entries(documents).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && /^\s*(query|mutation|subscription)\b/.test(entry[1]),
  ),
  ['gameNamesDocument(1)', documents.gameNamesDocument(1)],
  ['gameNamesDocument(MAX)', documents.gameNamesDocument(documents.MAX_GAME_NAMES)],
];

function aliases(doc: DocumentNode): number {
  let n = 0;
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if ((node as { kind?: string }).kind === Kind.FIELD && (node as { alias?: unknown }).alias) n += 1;
    for (const value of Object.values(node as object)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && 'kind' in value) visit(value);
    }
  };
  visit(doc);
  return n;
}

describe('GraphQL documents', () => {
  it('are all found', () => {
    expect(sent.length).toBeGreaterThanOrEqual(25);
  });

  it.each(sent)('%s is valid against schema.graphql', (_name, text) => {
    const doc = parse(text);
    expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
  });

  it.each(['ADMIN_SOURCES', 'ADMIN_SERIES', 'SERIES_RUNS', 'ADMIN_USERS'] as const)(
    '%s asks for `me`, so the gateway answers it fresh after a mutation (never from its response cache)',
    (name) => {
      const doc = parse(documents[name]);
      const operation = doc.definitions[0];
      expect(operation.kind).toBe(Kind.OPERATION_DEFINITION);
      const root = operation.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections : [];
      expect(root.some((s) => s.kind === Kind.FIELD && s.name.value === 'me')).toBe(true);
    },
  );

  it.each(sent)('%s stays within the gateway limits (50 aliases)', (_name, text) => {
    expect(aliases(parse(text))).toBeLessThanOrEqual(50);
  });
});
