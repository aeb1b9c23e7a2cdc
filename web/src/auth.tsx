// Who is using the dashboard: the session (if any) and `me` (role and permissions) as the gateway tells it.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useMemo } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { ME, type MeData } from './graphql/documents';
import { useSession, type Session } from './session';

export interface Auth {
  session: Session | null;
  me: MeData['me'];
  /** Whether `me` has been read. */
  ready: boolean;
  can(permission: string): boolean;
}

const AuthContext = createContext<Auth>({ session: null, me: null, ready: false, can: () => false });

export function AuthProvider({ children }: { children: ComponentChildren }) {
  const session = useSession();
  const [result] = useQuery<MeData>({ query: ME, requestPolicy: 'network-only' });
  const me = result.data?.me ?? null;
  const value = useMemo<Auth>(
    () => ({
      session,
      me,
      ready: !result.fetching || !!result.data,
      can: (permission) => !!me?.permissions.includes(permission),
    }),
    [session, me, result.fetching, result.data],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  return useContext(AuthContext);
}
