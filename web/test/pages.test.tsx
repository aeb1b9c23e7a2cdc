import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelPage, effectiveGranularity } from '../src/pages/Channel';
import { Rankings } from '../src/pages/Rankings';
import { safeNext } from '../src/pages/Login';
import { ADMIN, ANONYMOUS, fakeGateway, renderAt, until } from './support';

// uPlot draws on a canvas, which happy-dom does not have: a stand-in records what the chart was given.
const plots = vi.hoisted(() => [] as { data: unknown[][]; opts: { series: { label?: string }[] } }[]);
vi.mock('uplot', () => ({
  default: class {
    width = 600;
    constructor(opts: { series: { label?: string }[] }, data: unknown[][]) {
      plots.push({ opts, data });
    }
    setSize() {}
    destroy() {}
  },
}));

const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  plots.length = 0;
});

const row = (rank: number, login: string, value: number, rankChange: number | null, previousRank: number | null) => ({
  cursor: `c${rank}`,
  node: {
    rank,
    id: String(1000 + rank),
    value,
    previousRank,
    rankChange,
    channel: { id: String(1000 + rank), login, displayName: login[0].toUpperCase() + login.slice(1), language: 'de', game: { id: '509000', name: 'Just Chatting' } },
    game: null,
  },
});

const ranking = (label: string, kind: string) => ({
  data: {
    rankings: {
      totalCount: 120,
      period: { kind, label, start: '2026-11-26T00:00:00Z', end: '2026-11-27T00:00:00Z' },
      pageInfo: { hasNextPage: true, endCursor: 'c2' },
      edges: [row(1, 'alpha', 10 / 3, 2, 3), row(2, 'beta', 1234.5, null, null)],
    },
  },
});

describe('Rankings page', () => {
  it('shows the rows with links, rank changes and formatted values, and pages on with the cursor', async () => {
    const gw = fakeGateway({
      Me: ANONYMOUS,
      Rankings: ranking('2026-11-26', 'DAY'),
      RankingFilters: { data: { languages: [{ language: 'de', stats: { hoursWatched: 5 } }], games: { edges: [] } } },
    });
    const page = renderAt('/app/rankings', gw.client, <Rankings />);
    cleanups.push(page.unmount);
    await until(() => expect(page.container.querySelector('[data-testid="ranking"]')).not.toBeNull());

    const sent = gw.sent.find((s) => s.operationName === 'Rankings')!;
    expect(sent.variables).toMatchObject({ entity: 'CHANNEL', metric: 'HOURS_WATCHED', period: 'DAY', first: 25 });
    expect(sent.variables.after ?? null).toBeNull();

    const rows = [...page.container.querySelectorAll('[data-testid="ranking"] tbody tr')];
    expect(rows).toHaveLength(2);
    const link = rows[0].querySelector('a[href^="/app/channel/"]')!;
    expect(link.getAttribute('href')).toBe('/app/channel/alpha');
    expect(link.textContent).toBe('Alpha');
    expect(rows[0].textContent?.replace(/\u00a0/g, ' ')).toContain('3 h 20 m');
    expect(rows[1].textContent?.replace(/\u00a0/g, ' ')).toContain('1.2 k h');
    // The arrow is for the eye; screen readers get words.
    expect(rows[0].querySelector('.rank-change.up .visually-hidden')?.textContent).toBe('up 2 places from 3');
    expect(rows[1].querySelector('.rank-change.new')).not.toBeNull();

    const next = page.container.querySelector('a[rel="next"]')!;
    expect(next.getAttribute('href')).toBe('/app/rankings?after=c2');
    expect(page.container.textContent).toContain('1–2 of 120');
    expect(page.container.querySelector('.period-label')?.textContent).toContain('2026-11-26');
  });

  it('sends the period, metric, entity and filters of the address', async () => {
    const gw = fakeGateway({ Me: ANONYMOUS, Rankings: ranking('2026-W48', 'WEEK'), RankingFilters: { data: { languages: [], games: { edges: [] } } } });
    const page = renderAt('/app/rankings?period=week&metric=peak&language=de&game=509000&first=50&after=xyz', gw.client, <Rankings />);
    cleanups.push(page.unmount);
    await until(() => expect(gw.sent.some((s) => s.operationName === 'Rankings')).toBe(true));
    expect(gw.sent.find((s) => s.operationName === 'Rankings')!.variables).toMatchObject({
      entity: 'CHANNEL',
      metric: 'PEAK_VIEWERS',
      period: 'WEEK',
      language: 'de',
      gameId: '509000',
      first: 50,
      after: 'xyz',
    });
    // The current choices are marked for assistive technology.
    await until(() => expect(page.container.querySelector('nav[aria-label="Period"] [aria-current="true"]')?.textContent).toBe('Week'));
  });

  it('says what went wrong when the gateway refuses', async () => {
    const gw = fakeGateway({
      Me: ANONYMOUS,
      Rankings: { data: null, errors: [{ message: '`first` must be between 1 and 100', extensions: { code: 'BAD_USER_INPUT' } }] },
      RankingFilters: { data: { languages: [], games: { edges: [] } } },
    });
    const page = renderAt('/app/rankings', gw.client, <Rankings />);
    cleanups.push(page.unmount);
    await until(() => expect(page.container.querySelector('[role="alert"]')?.textContent).toContain('`first` must be between 1 and 100'));
  });
});

const channel = {
  data: {
    channel: {
      id: '42', login: 'alpha', displayName: 'Alpha', language: 'de', title: 'hello', startedAt: '2026-11-26T10:00:00Z',
      lastSeenAt: '2026-11-26T11:00:00Z', game: { id: '509000', name: 'Just Chatting' },
      hour: null, day: null, week: null, month: null,
    },
  },
};
const empty = (field: string) => ({ data: { channel: { id: '42', [field]: { pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } } } });
const points = (granularity: string) => ({
  data: {
    channel: {
      id: '42',
      viewers: [
        { at: '2026-11-26T10:00:00Z', viewers: granularity === 'MINUTE' ? 100 : 150 },
        { at: '2026-11-26T11:00:00Z', viewers: 200 },
      ],
    },
  },
});

describe('Channel page', () => {
  it('shows a viewer the hourly curve when minute data is asked for, and says which permission minute data needs', async () => {
    const gw = fakeGateway({
      Me: ANONYMOUS,
      Channel: channel,
      ChannelViewers: (v) => points(String(v.granularity)),
      ChannelBroadcasts: empty('broadcasts'),
      ChannelHistory: empty('history'),
    });
    const page = renderAt('/app/channel/alpha?g=minute', gw.client, <ChannelPage login="alpha" />);
    cleanups.push(page.unmount);
    await until(() => expect(plots.length).toBeGreaterThan(0));
    const asked = gw.sent.filter((s) => s.operationName === 'ChannelViewers').map((s) => s.variables.granularity);
    expect(asked).toEqual(['HOUR']);
    expect(page.container.querySelector('[data-testid="forbidden"]')?.textContent).toContain('minute-data:read');
    // The chart got the points, in seconds.
    expect(plots[plots.length - 1].data).toEqual([[Date.parse('2026-11-26T10:00:00Z') / 1000, Date.parse('2026-11-26T11:00:00Z') / 1000], [150, 200]]);
    expect(page.container.textContent).toContain('No broadcast recorded yet.');
    expect(page.container.textContent).toContain('Not live this hour');
  });

  it('asks an admin for minute data first', async () => {
    const gw = fakeGateway({ Me: ADMIN, Channel: channel, ChannelViewers: (v) => points(String(v.granularity)), ChannelBroadcasts: empty('broadcasts'), ChannelHistory: empty('history') });
    const page = renderAt('/app/channel/alpha', gw.client, <ChannelPage login="alpha" />);
    cleanups.push(page.unmount);
    await until(() => expect(gw.sent.some((s) => s.operationName === 'ChannelViewers' && s.variables.granularity === 'MINUTE')).toBe(true));
    const sent = gw.sent.find((s) => s.operationName === 'ChannelViewers')!.variables;
    expect(Date.parse(String(sent.to)) - Date.parse(String(sent.from))).toBe(6 * 3_600_000);
    expect(page.container.querySelector('[data-testid="forbidden"]')).toBeNull();
  });

  it('keeps the rest of the page when the gateway refuses the curve, and says why', async () => {
    // The role says minute data, the gateway says no (a permission withdrawn since `me` was read).
    const gw = fakeGateway({
      Me: ADMIN,
      Channel: channel,
      ChannelViewers: {
        data: { channel: { id: '42' } },
        errors: [{ message: 'this needs the permission minute-data:read, which admin does not have', path: ['channel', 'viewers'], extensions: { code: 'FORBIDDEN' } }],
      },
      ChannelBroadcasts: empty('broadcasts'),
      ChannelHistory: empty('history'),
    });
    const page = renderAt('/app/channel/alpha', gw.client, <ChannelPage login="alpha" />);
    cleanups.push(page.unmount);
    await until(() => expect(page.container.querySelector('[data-testid="forbidden"]')?.textContent).toContain('Not shown.'));
    expect(page.container.querySelector('h1')?.textContent).toBe('Alpha');
    expect(page.container.textContent).toContain('“hello”');
  });

  it('says when there is no such channel', async () => {
    const gw = fakeGateway({ Me: ANONYMOUS, Channel: { data: { channel: null } } });
    const page = renderAt('/app/channel/nobody', gw.client, <ChannelPage login="nobody" />);
    cleanups.push(page.unmount);
    await until(() => expect(page.container.querySelector('h1')?.textContent).toBe('No channel “nobody”'));
  });
});

describe('page rules', () => {
  it('picks the granularity the role may see', () => {
    expect(effectiveGranularity(null, true)).toEqual({ granularity: 'MINUTE', downgraded: false });
    expect(effectiveGranularity(null, false)).toEqual({ granularity: 'HOUR', downgraded: false });
    expect(effectiveGranularity('minute', false)).toEqual({ granularity: 'HOUR', downgraded: true });
    expect(effectiveGranularity('day', false)).toEqual({ granularity: 'DAY', downgraded: false });
    expect(effectiveGranularity('nonsense', true)).toEqual({ granularity: 'HOUR', downgraded: false });
  });

  it('only goes back inside the app after signing in', () => {
    expect(safeNext('/app/rankings?period=week')).toBe('/app/rankings?period=week');
    expect(safeNext('https://evil.example/')).toBe('/app/');
    expect(safeNext('//evil.example/app/')).toBe('/app/');
    expect(safeNext('/app/login?next=/app/')).toBe('/app/');
    expect(safeNext(null)).toBe('/app/');
  });
});
