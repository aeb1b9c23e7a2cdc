// A small router on the History API: the app lives under /app/ (Vite's `base`), the binary answers index.html for
// any path under it, and every navigation is a real link (so it can be opened in a new tab, bookmarked, shared).
import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { createStore, useStore } from './store';

export const BASE = import.meta.env.BASE_URL.replace(/\/?$/, '/');

export interface Location {
  /** The path inside the app, without the base or a leading slash: "", "rankings", "channel/foo". */
  path: string;
  query: URLSearchParams;
  /** The full path with its query, for `next=` links. */
  href: string;
}

function read(): Location {
  const { pathname, search } = window.location;
  const inside = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\//, '');
  return { path: inside.replace(/\/$/, ''), query: new URLSearchParams(search), href: pathname + search };
}

export const location = createStore<Location>(read());

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => location.set(read()));
}

/** The URL of an app path: `appUrl('rankings', {period: 'DAY'})` → "/app/rankings?period=DAY". */
export function appUrl(path: string, params?: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const query = search.toString();
  return `${BASE}${path.replace(/^\//, '')}${query ? `?${query}` : ''}`;
}

export function navigate(href: string, options: { replace?: boolean } = {}) {
  const current = window.location.pathname + window.location.search;
  if (href === current) return;
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  location.set(read());
  if (!options.replace) window.scrollTo(0, 0);
}

export function useLocation(): Location {
  return useStore(location);
}

/** Changes some query parameters of the current page (empty values are removed). */
export function withQuery(loc: Location, changes: Record<string, string | number | null | undefined>): string {
  const params: Record<string, string> = Object.fromEntries(loc.query.entries());
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') delete params[key];
    else params[key] = String(value);
  }
  return appUrl(loc.path, params);
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** A link inside the app: a real `<a href>`, followed without a page load on a plain click. */
export function Link({ href, onClick, ...rest }: AnchorProps) {
  return (
    <a
      href={href}
      onClick={(event) => {
        onClick?.(event);
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey ||
          event.altKey ||
          (rest.target && rest.target !== '_self')
        )
          return;
        event.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}
