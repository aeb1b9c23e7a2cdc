// The signed-in session: the token from `login`, kept in sessionStorage so it lasts as long as the browser tab
// and no longer. Without one the dashboard reads as an anonymous viewer (when the server allows it).
import { createStore, useStore } from './store';

export type Role = 'VIEWER' | 'ANALYST' | 'ADMIN';

export interface Session {
  token: string;
  expiresAt: string;
  login: string;
  role: Role;
}

const KEY = 'streamlens.session';

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

function valid(session: Session | null, now = Date.now()): session is Session {
  return !!session && typeof session.token === 'string' && new Date(session.expiresAt).getTime() > now;
}

function load(): Session | null {
  try {
    const raw = storage()?.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Session) : null;
    return valid(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export const session = createStore<Session | null>(load());

/** Why the last session ended, for the login page to say. */
export type EndReason = 'expired' | 'refused' | 'signed-out' | 'required';
export const lastEnd = createStore<EndReason | null>(null);

let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function scheduleExpiry(current: Session | null) {
  clearTimeout(expiryTimer);
  if (!current) return;
  const ms = new Date(current.expiresAt).getTime() - Date.now();
  // setTimeout holds at most ~24.8 days; tokens live hours.
  expiryTimer = setTimeout(() => endSession('expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
}
scheduleExpiry(session.get());

export function startSession(next: Session) {
  storage()?.setItem(KEY, JSON.stringify(next));
  lastEnd.set(null);
  session.set(next);
  scheduleExpiry(next);
}

export function endSession(reason: EndReason) {
  storage()?.removeItem(KEY);
  lastEnd.set(reason);
  session.set(null);
  scheduleExpiry(null);
}

export function authHeader(current: Session | null = session.get()): Record<string, string> {
  return current ? { Authorization: `Bearer ${current.token}` } : {};
}

export function useSession(): Session | null {
  return useStore(session);
}
