import { beforeEach, describe, expect, it, vi } from 'vitest';

const KEY = 'streamlens.session';
const future = () => new Date(Date.now() + 3_600_000).toISOString();

beforeEach(() => {
  sessionStorage.clear();
  vi.resetModules();
});

describe('session', () => {
  it('keeps the token in sessionStorage and sends it as a bearer token', async () => {
    const s = await import('../src/session');
    expect(s.session.get()).toBeNull();
    expect(s.authHeader()).toEqual({});
    s.startSession({ token: 'abc', expiresAt: future(), login: 'admin', role: 'ADMIN' });
    expect(JSON.parse(sessionStorage.getItem(KEY)!).token).toBe('abc');
    expect(s.authHeader()).toEqual({ Authorization: 'Bearer abc' });
  });

  it('comes back after a reload of the tab, unless it has expired', async () => {
    sessionStorage.setItem(KEY, JSON.stringify({ token: 't1', expiresAt: future(), login: 'ana', role: 'ANALYST' }));
    expect((await import('../src/session')).session.get()?.login).toBe('ana');

    vi.resetModules();
    sessionStorage.setItem(KEY, JSON.stringify({ token: 't2', expiresAt: '2020-01-01T00:00:00Z', login: 'ana', role: 'ANALYST' }));
    expect((await import('../src/session')).session.get()).toBeNull();

    vi.resetModules();
    sessionStorage.setItem(KEY, '{not json');
    expect((await import('../src/session')).session.get()).toBeNull();
  });

  it('ends at its expiry, saying why', async () => {
    vi.useFakeTimers();
    try {
      const s = await import('../src/session');
      s.startSession({ token: 'abc', expiresAt: new Date(Date.now() + 5000).toISOString(), login: 'admin', role: 'ADMIN' });
      vi.advanceTimersByTime(5001);
      expect(s.session.get()).toBeNull();
      expect(s.lastEnd.get()).toBe('expired');
      expect(sessionStorage.getItem(KEY)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('signs out', async () => {
    const s = await import('../src/session');
    s.startSession({ token: 'abc', expiresAt: future(), login: 'admin', role: 'ADMIN' });
    s.endSession('signed-out');
    expect(s.session.get()).toBeNull();
    expect(s.lastEnd.get()).toBe('signed-out');
    expect(sessionStorage.getItem(KEY)).toBeNull();
  });
});
