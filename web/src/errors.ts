// What an API error means to the person using the dashboard. Every error of the gateway carries
// `extensions.code` (docs/API.md); these map them to a kind the pages act on and a sentence they show.

export type ErrorKind =
  | 'unauthenticated'
  | 'forbidden'
  | 'bad-input'
  | 'not-found'
  | 'rate-limited'
  | 'timeout'
  | 'too-large'
  | 'invalid-query'
  | 'network'
  | 'internal';

export interface AppError {
  kind: ErrorKind;
  /** The gateway's `extensions.code`, or `NETWORK_ERROR` when no answer came. */
  code: string;
  /** What to tell the person. */
  message: string;
  /** For `forbidden`: the permission that is missing. */
  permission?: string;
  /** The response path of the field the error is about (`channel.viewers`). */
  path?: string;
}

/** The shape of a GraphQL error as sent (and as urql's `GraphQLError` has it). */
export interface RawGraphQLError {
  message: string;
  path?: ReadonlyArray<string | number> | null;
  extensions?: Record<string, unknown> | null;
}

/** A CombinedError from urql, or anything shaped like it. */
export interface RawCombinedError {
  graphQLErrors?: ReadonlyArray<RawGraphQLError>;
  networkError?: Error | null;
  response?: { status?: number } | null;
}

/** The permission a guarded field or mutation needs (docs/AUTH.md), by its name. */
export const FIELD_PERMISSIONS: Record<string, string> = {
  viewers: 'minute-data:read',
  runs: 'runs:read',
  deadJobs: 'runs:read',
  rerunSeries: 'series:rerun',
  requeueDeadJobs: 'series:rerun',
  pullNow: 'sources:pull',
  backfill: 'sources:pull',
  users: 'users:manage',
  groups: 'users:manage',
  createUser: 'users:manage',
  updateUser: 'users:manage',
  putGroup: 'users:manage',
  setGroupMember: 'users:manage',
  createApiKey: 'users:manage',
};

/** Who has a permission by role, to tell people what to ask for. */
export function rolesWith(permission: string): string {
  return permission === 'minute-data:read' ? 'analysts and admins' : 'admins';
}

const KIND_BY_CODE: Record<string, ErrorKind> = {
  UNAUTHENTICATED: 'unauthenticated',
  FORBIDDEN: 'forbidden',
  BAD_USER_INPUT: 'bad-input',
  NOT_FOUND: 'not-found',
  RATE_LIMITED: 'rate-limited',
  TIMEOUT: 'timeout',
  PAYLOAD_TOO_LARGE: 'too-large',
  GRAPHQL_PARSE_FAILED: 'invalid-query',
  GRAPHQL_VALIDATION_FAILED: 'invalid-query',
  QUERY_TOO_DEEP: 'invalid-query',
  QUERY_TOO_COMPLEX: 'invalid-query',
  TOO_MANY_ALIASES: 'invalid-query',
  TOO_MANY_DIRECTIVES: 'invalid-query',
  TOO_MANY_OPERATIONS: 'invalid-query',
  BATCH_TOO_LARGE: 'invalid-query',
  INTERNAL_SERVER_ERROR: 'internal',
};

/** Maps one GraphQL error of a response. */
export function mapGraphQLError(error: RawGraphQLError): AppError {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
  const kind = KIND_BY_CODE[code] ?? 'internal';
  const path = error.path?.filter((p) => typeof p === 'string').join('.') || undefined;
  switch (kind) {
    case 'unauthenticated':
      return {
        kind,
        code,
        path,
        message: /expired/i.test(error.message)
          ? 'Your session has expired. Sign in again.'
          : 'You need to sign in again: your credentials were not accepted.',
      };
    case 'forbidden': {
      const named = /permission ([a-z]+(?:-[a-z]+)*:[a-z]+)/.exec(error.message)?.[1];
      const field = error.path
        ?.filter((p): p is string => typeof p === 'string')
        .reverse()
        .find((p) => p in FIELD_PERMISSIONS);
      const permission = named ?? (field ? FIELD_PERMISSIONS[field] : undefined);
      return {
        kind,
        code,
        path,
        permission,
        message: permission
          ? `This needs the permission ${permission}, which only ${rolesWith(permission)} have.`
          : 'Your role may not see this.',
      };
    }
    case 'rate-limited':
      return { kind, code, path, message: 'Too many requests from you in the last minute. Wait a moment and retry.' };
    case 'timeout':
      return { kind, code, path, message: 'The server took too long to answer. Retry, or ask for less.' };
    case 'internal':
      return { kind, code, path, message: 'The server failed to answer this (the details are in its log).' };
    case 'invalid-query':
      return { kind, code, path, message: `The server refused the query: ${error.message}` };
    default:
      // BAD_USER_INPUT, NOT_FOUND, PAYLOAD_TOO_LARGE: the server's words are meant for people.
      return { kind, code, path, message: capitalize(error.message) };
  }
}

function capitalize(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Maps every error of a combined error (GraphQL errors, or the network error when nothing came back). */
export function mapErrors(error: RawCombinedError | null | undefined): AppError[] {
  if (!error) return [];
  const graphql = error.graphQLErrors ?? [];
  if (graphql.length > 0) return graphql.map(mapGraphQLError);
  if (error.networkError || error.response) {
    const status = error.response?.status;
    if (status === 401) return [mapGraphQLError({ message: '', extensions: { code: 'UNAUTHENTICATED' } })];
    if (status === 429) return [mapGraphQLError({ message: '', extensions: { code: 'RATE_LIMITED' } })];
    if (status === 408) return [mapGraphQLError({ message: '', extensions: { code: 'TIMEOUT' } })];
    return [
      {
        kind: 'network',
        code: 'NETWORK_ERROR',
        message: status
          ? `The server answered with HTTP ${status}.`
          : 'The server could not be reached. Check that Streamlens is running, then retry.',
      },
    ];
  }
  return [];
}

const SEVERITY: ErrorKind[] = [
  'unauthenticated',
  'network',
  'internal',
  'timeout',
  'rate-limited',
  'invalid-query',
  'too-large',
  'bad-input',
  'not-found',
  'forbidden',
];

/** The error a page should lead with: the most severe, so a dead server is not reported as a missing permission. */
export function primaryError(errors: AppError[]): AppError | null {
  if (errors.length === 0) return null;
  return [...errors].sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind))[0];
}

/** The forbidden errors at a field (by its alias or name, anywhere in the path). */
export function forbiddenAt(errors: AppError[], field: string): AppError | undefined {
  return errors.find((e) => e.kind === 'forbidden' && e.path?.split('.').includes(field));
}

/** Whether an error should send the person to the login page. */
export function needsLogin(errors: AppError[]): boolean {
  return errors.some((e) => e.kind === 'unauthenticated');
}
