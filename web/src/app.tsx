import { Provider } from '@urql/preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { AuthProvider, useAuth } from './auth';
import { Time } from './components/bits';
import { createSessionClient, linkState } from './graphql/client';
import { listen, useLive } from './live';
import { Admin } from './pages/Admin';
import { ChannelPage } from './pages/Channel';
import { Channels } from './pages/Channels';
import { GamePage } from './pages/Game';
import { Login } from './pages/Login';
import { NotFound } from './pages/NotFound';
import { Overview } from './pages/Overview';
import { Rankings } from './pages/Rankings';
import { appUrl, Link, navigate, useLocation } from './router';
import { endSession, lastEnd, useSession } from './session';
import { useStore } from './store';

export function App() {
  const session = useSession();
  const sc = useMemo(() => createSessionClient(session), [session?.token]);
  useEffect(() => {
    const stop = listen(sc.client);
    return () => {
      stop();
      sc.dispose();
    };
  }, [sc]);
  return (
    <Provider value={sc.client}>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </Provider>
  );
}

function route(path: string): ComponentChildren {
  const [first, ...rest] = path.split('/');
  const param = decodeURIComponent(rest.join('/'));
  switch (first) {
    case '':
      return <Overview />;
    case 'rankings':
      return <Rankings />;
    case 'channels':
      return <Channels />;
    case 'channel':
      return param ? <ChannelPage key={param} login={param} /> : <NotFound />;
    case 'game':
      return param ? <GamePage key={param} id={param} /> : <NotFound />;
    case 'admin':
      return <Admin />;
    case 'login':
      return <Login />;
    default:
      return <NotFound />;
  }
}

function Shell() {
  const loc = useLocation();
  const ended = useStore(lastEnd);

  // A session that ended by itself (expired, refused) or a server that wants a sign-in: to the login page.
  useEffect(() => {
    if ((ended === 'expired' || ended === 'refused' || ended === 'required') && loc.path !== 'login') {
      navigate(appUrl('login', { next: loc.href, reason: ended }), { replace: true });
    }
  }, [ended]);

  // After a navigation, focus goes to the new page's heading, so keyboard and screen-reader users start there.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true }));
  }, [loc.path]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        {route(loc.path)}
      </main>
      <footer class="site-footer">
        <p>
          Streamlens · times in your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}); hover a time for
          UTC · <a href="/">GraphQL explorer</a>
        </p>
      </footer>
    </>
  );
}

function Header() {
  const loc = useLocation();
  const { me, session } = useAuth();
  const current = (section: string) => (loc.path.split('/')[0] === section ? 'page' : undefined);
  return (
    <header class="site-header">
      <div class="brand">
        <Link href={appUrl('')} class="brand-link">
          <span class="logo" aria-hidden="true">
            ◉
          </span>{' '}
          Streamlens
        </Link>
      </div>
      <nav aria-label="Main" class="main-nav">
        <ul>
          <li>
            <Link href={appUrl('')} aria-current={current('')}>
              Overview
            </Link>
          </li>
          <li>
            <Link href={appUrl('rankings')} aria-current={current('rankings')}>
              Rankings
            </Link>
          </li>
          {me?.role === 'ADMIN' ? (
            <li>
              <Link href={appUrl('admin')} aria-current={current('admin')}>
                Admin
              </Link>
            </li>
          ) : null}
        </ul>
      </nav>
      <form
        class="search"
        role="search"
        aria-label="Find a channel"
        action={appUrl('channels')}
        onSubmit={(event) => {
          event.preventDefault();
          const input = (event.currentTarget as HTMLFormElement).elements.namedItem('search') as HTMLInputElement;
          const value = input.value.trim();
          if (value) navigate(appUrl('channels', { search: value }));
        }}
      >
        <label for="channel-search" class="visually-hidden">
          Find a channel by login
        </label>
        <input id="channel-search" name="search" type="search" placeholder="Find a channel" autoComplete="off" />
      </form>
      <LiveStatus />
      <div class="account">
        {session ? (
          <>
            <span class="who" title={me ? `permissions: ${me.permissions.join(', ') || 'reading only'}` : undefined}>
              {session.login} <span class="role">{(me?.role ?? session.role).toLowerCase()}</span>
            </span>
            <button
              type="button"
              class="button link-button"
              onClick={() => {
                endSession('signed-out');
                navigate(appUrl(''));
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          <Link href={appUrl('login', loc.path === 'login' ? {} : { next: loc.href })} class="button">
            Sign in
          </Link>
        )}
      </div>
    </header>
  );
}

function LiveStatus() {
  const state = useStore(linkState);
  const { last } = useLive();
  const text = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
  return (
    <p class={`live-status ${state}`} data-testid="live-status" data-state={state}>
      <span class="dot" aria-hidden="true" />
      <span>{text}</span>
      {last ? (
        <span class="live-last">
          {' '}
          · data of <Time at={last.slot} style="time" />
        </span>
      ) : null}
    </p>
  );
}
