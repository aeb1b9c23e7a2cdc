import { describe, expect, it } from 'vitest';
import { forbiddenAt, mapErrors, mapGraphQLError, needsLogin, primaryError } from '../src/errors';

// Errors as the gateway sends them (docs/API.md, docs/AUTH.md).
const forbiddenMinutes = {
  message: 'this needs the permission minute-data:read, which an anonymous caller does not have',
  path: ['channel', 'viewers'],
  extensions: { code: 'FORBIDDEN' },
};

describe('mapGraphQLError', () => {
  it('reads the missing permission from a FORBIDDEN error', () => {
    const e = mapGraphQLError(forbiddenMinutes);
    expect(e).toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN', permission: 'minute-data:read', path: 'channel.viewers' });
    expect(e.message).toBe('This needs the permission minute-data:read, which only analysts and admins have.');
  });

  it('falls back on the guarded field when the message does not name the permission', () => {
    const e = mapGraphQLError({ message: 'forbidden', path: ['seriesList', 'edges', 0, 'node', 'runs'], extensions: { code: 'FORBIDDEN' } });
    expect(e.permission).toBe('runs:read');
    expect(e.path).toBe('seriesList.edges.node.runs');
    expect(e.message).toContain('only admins');
  });

  it('tells expired sessions from refused credentials', () => {
    expect(mapGraphQLError({ message: 'the token has expired', extensions: { code: 'UNAUTHENTICATED' } }).message).toMatch(/expired/);
    expect(mapGraphQLError({ message: 'the token is not a JWT', extensions: { code: 'UNAUTHENTICATED' } })).toMatchObject({
      kind: 'unauthenticated',
      message: 'You need to sign in again: your credentials were not accepted.',
    });
  });

  it('passes the words of input errors on, and hides internal ones', () => {
    expect(mapGraphQLError({ message: '`first` must be between 1 and 100', extensions: { code: 'BAD_USER_INPUT' } })).toMatchObject({
      kind: 'bad-input',
      message: '`first` must be between 1 and 100',
    });
    expect(mapGraphQLError({ message: 'no such source', extensions: { code: 'NOT_FOUND' } }).message).toBe('No such source');
    expect(mapGraphQLError({ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }).message).not.toContain('boom');
    // An error without a code is treated as internal.
    expect(mapGraphQLError({ message: 'x' }).kind).toBe('internal');
  });

  it.each([
    ['RATE_LIMITED', 'rate-limited'],
    ['TIMEOUT', 'timeout'],
    ['QUERY_TOO_COMPLEX', 'invalid-query'],
    ['TOO_MANY_ALIASES', 'invalid-query'],
    ['GRAPHQL_VALIDATION_FAILED', 'invalid-query'],
    ['PAYLOAD_TOO_LARGE', 'too-large'],
  ])('%s is %s', (code, kind) => {
    expect(mapGraphQLError({ message: 'm', extensions: { code } }).kind).toBe(kind);
  });
});

describe('mapErrors', () => {
  it('maps every GraphQL error of a response', () => {
    const errors = mapErrors({ graphQLErrors: [forbiddenMinutes, { message: 'x', extensions: { code: 'TIMEOUT' } }] });
    expect(errors.map((e) => e.kind)).toEqual(['forbidden', 'timeout']);
  });

  it('maps HTTP statuses when no GraphQL error came back', () => {
    expect(mapErrors({ networkError: new Error('Unauthorized'), response: { status: 401 } })[0].kind).toBe('unauthenticated');
    expect(mapErrors({ networkError: new Error('Too Many Requests'), response: { status: 429 } })[0].kind).toBe('rate-limited');
    expect(mapErrors({ networkError: new Error('Bad Gateway'), response: { status: 502 } })[0]).toMatchObject({
      kind: 'network',
      message: 'The server answered with HTTP 502.',
    });
    expect(mapErrors({ networkError: new TypeError('Failed to fetch') })[0]).toMatchObject({ kind: 'network', code: 'NETWORK_ERROR' });
  });

  it('is empty without an error', () => {
    expect(mapErrors(undefined)).toEqual([]);
    expect(mapErrors({ graphQLErrors: [] })).toEqual([]);
  });
});

describe('what a page does with errors', () => {
  const errors = mapErrors({
    graphQLErrors: [forbiddenMinutes, { message: 'down', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
  });

  it('leads with the most severe', () => {
    expect(primaryError(errors)?.kind).toBe('internal');
    expect(primaryError([])).toBeNull();
  });

  it('finds a forbidden field by name', () => {
    expect(forbiddenAt(errors, 'viewers')?.permission).toBe('minute-data:read');
    expect(forbiddenAt(errors, 'broadcasts')).toBeUndefined();
  });

  it('knows when to sign in again', () => {
    expect(needsLogin(errors)).toBe(false);
    expect(needsLogin(mapErrors({ graphQLErrors: [{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }] }))).toBe(true);
  });
});
