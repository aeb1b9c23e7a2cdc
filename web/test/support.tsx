// Rendering pages in happy-dom against canned gateway answers: a real urql client whose fetch answers by operation
// name, so the documents, variables and result handling are those of the app.
import { Client, fetchExchange } from '@urql/core';
import { Provider } from '@urql/preact';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import type { ComponentChildren } from 'preact';
import { AuthProvider } from '../src/auth';
import { location } from '../src/router';

export interface Sent {
  operationName: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
}

export type Answer = { data?: unknown; errors?: unknown[] } | ((variables: Record<string, unknown>) => { data?: unknown; errors?: unknown[] });

export function fakeGateway(answers: Record<string, Answer>) {
  const sent: Sent[] = [];
  const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    const params = new URL(String(url)).searchParams;
    const body = init?.body
      ? JSON.parse(String(init.body))
      : { query: params.get('query'), operationName: params.get('operationName'), variables: JSON.parse(params.get('variables') ?? '{}') };
    const operationName = body.operationName ?? /(?:query|mutation)\s+(\w+)/.exec(body.query)?.[1] ?? '';
    sent.push({ operationName, variables: body.variables ?? {}, headers: (init?.headers ?? {}) as Record<string, string> });
    const answer = answers[operationName];
    const payload = typeof answer === 'function' ? answer(body.variables ?? {}) : (answer ?? { data: null, errors: [{ message: `no answer for ${operationName}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    return new Response(JSON.stringify(payload), { status: 200, headers: { 'content-type': 'application/graphql-response+json' } });
  };
  const client = new Client({
    url: 'http://gateway.test/graphql',
    exchanges: [fetchExchange],
    preferGetMethod: false,
    fetch: fetch as typeof globalThis.fetch,
  });
  return { client, sent };
}

/** Opens `url` (an app path such as /app/rankings?period=week) and renders `children` with the client. */
export function renderAt(url: string, client: Client, children: ComponentChildren) {
  window.history.replaceState(null, '', url);
  location.set({
    path: window.location.pathname.replace(/^\/app\/?/, '').replace(/\/$/, ''),
    query: new URLSearchParams(window.location.search),
    href: window.location.pathname + window.location.search,
  });
  const container = document.createElement('div');
  document.body.appendChild(container);
  act(() => {
    render(
      <Provider value={client}>
        <AuthProvider>{children}</AuthProvider>
      </Provider>,
      container,
    );
  });
  return {
    container,
    unmount: () => {
      render(null, container);
      container.remove();
    },
  };
}

/** Waits until `check` stops throwing (the fake gateway answers asynchronously). */
export async function until(check: () => void, timeoutMs = 2000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
      await act(async () => {
        await new Promise((r) => setTimeout(r, 10));
      });
    }
  }
}

export const ANONYMOUS = { data: { me: null } };
export const ADMIN = {
  data: {
    me: { login: 'admin', role: 'ADMIN', permissions: ['minute-data:read', 'runs:read', 'series:rerun', 'sources:pull', 'users:manage'], credential: 'token' },
  },
};
