import { useMutation } from '@urql/preact';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth';
import { ErrorNotice, PageTitle } from '../components/bits';
import { mapErrors } from '../errors';
import { LOGIN, type LoginData } from '../graphql/documents';
import { appUrl, BASE, Link, navigate, useLocation } from '../router';
import { endSession, startSession } from '../session';

const REASONS: Record<string, string> = {
  expired: 'Your session has expired. Sign in again to go on.',
  refused: 'The server did not accept your session any more. Sign in again.',
  required: 'This server needs you to sign in before reading anything.',
};

/** Where to go after signing in: only a path inside the app (never another site). */
export function safeNext(next: string | null): string {
  if (next && next.startsWith(BASE) && !next.startsWith('//') && !next.startsWith(`${BASE}login`)) return next;
  return appUrl('');
}

export function Login() {
  const loc = useLocation();
  const { session, me } = useAuth();
  const [state, login] = useMutation<LoginData>(LOGIN);
  const [message, setMessage] = useState<string | null>(null);
  const reason = loc.query.get('reason');
  const next = safeNext(loc.query.get('next'));

  if (session) {
    return (
      <>
        <PageTitle title="Signed in">Signed in</PageTitle>
        <p>
          You are signed in as <strong>{session.login}</strong> ({(me?.role ?? session.role).toLowerCase()}).
        </p>
        <p class="actions">
          <Link href={next} class="button primary">
            Go on
          </Link>
          <button type="button" class="button" onClick={() => endSession('signed-out')}>
            Sign out
          </button>
        </p>
      </>
    );
  }

  return (
    <>
      <PageTitle title="Sign in">Sign in</PageTitle>
      <div class="login-page">
        {reason && REASONS[reason] ? (
          <p class="notice info" role="status">
            {REASONS[reason]}
          </p>
        ) : null}
        <p class="muted">Without signing in you can read rankings, channels and games as a viewer. Analysts also see minute data; admins run the system.</p>
        <form
          class="login-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const form = event.currentTarget as HTMLFormElement;
            const data = new FormData(form);
            setMessage(null);
            const result = await login({ login: String(data.get('login') ?? ''), password: String(data.get('password') ?? '') });
            const token = result.data?.login;
            if (token) {
              startSession({ token: token.token, expiresAt: token.expiresAt, login: token.user.login, role: token.user.role });
              navigate(next, { replace: true });
            } else {
              const errors = mapErrors(result.error);
              setMessage(errors[0]?.kind === 'bad-input' || errors[0]?.kind === 'unauthenticated' || !errors.length ? 'Wrong login or password.' : null);
            }
          }}
        >
          <label>
            Login
            <input name="login" autoComplete="username" required autoFocus />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required minLength={1} />
          </label>
          <button type="submit" class="button primary" disabled={state.fetching}>
            {state.fetching ? 'Signing in…' : 'Sign in'}
          </button>
          {message ? (
            <p class="notice error" role="alert">
              {message}
            </p>
          ) : state.error ? (
            <ErrorNotice error={state.error} />
          ) : null}
        </form>
      </div>
    </>
  );
}
