// The GraphQL client: queries and mutations over HTTP POST to /graphql, subscriptions over a websocket on the same
// path (graphql-transport-ws). One client per session: signing in or out makes a new one, so no answer computed for
// one caller is ever shown to another, and the websocket reconnects with the new credentials.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { mapErrors, needsLogin } from '../errors';
import { authHeader, endSession, type Session } from '../session';
import { createStore } from '../store';

export type LinkState = 'connecting' | 'live' | 'offline';
/** The state of the websocket the live updates come through. */
export const linkState = createStore<LinkState>('connecting');

function websocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

export interface SessionClient {
  client: Client;
  dispose(): void;
}

export function createSessionClient(current: Session | null): SessionClient {
  const headers = authHeader(current);
  let ws: WsClient | null = null;
  const websocket = () => {
    ws ??= createWsClient({
      url: websocketUrl(),
      // Browsers cannot set headers on a websocket: the credential goes in connection_init (docs/AUTH.md).
      connectionParams: () => headers,
      lazy: true,
      keepAlive: 20_000,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 15_000)));
      },
      on: {
        connecting: () => linkState.set('connecting'),
        connected: () => linkState.set('live'),
        closed: (event) => {
          linkState.set('offline');
          // 4401/4403: the server refused the credential in connection_init.
          const code = (event as CloseEvent | undefined)?.code;
          if (current && (code === 4401 || code === 4403)) endSession('refused');
        },
      },
    });
    return ws;
  };

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers }),
    exchanges: [
      mapExchange({
        onError(error, operation) {
          // A refused login is the login form's business, not the end of a session.
          if (operation.kind === 'mutation') return;
          // A refused or expired token: the session is over (the router sends the person to the login page).
          if (!needsLogin(mapErrors(error))) return;
          // Without a session: this server does not let anonymous callers read (STREAMLENS_ANONYMOUS is off).
          endSession(current ? 'refused' : 'required');
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = websocket().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    dispose() {
      ws?.dispose();
      ws = null;
    },
  };
}
