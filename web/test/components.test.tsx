import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Chart, timeTicks } from '../src/components/Chart';
import { ErrorNotice, Pager, RankChange, Time } from '../src/components/bits';
import { periodInstants } from '../src/hooks';
import { hourlySeries } from '../src/pages/Overview';
import { previousPage, rememberPage } from '../src/params';
import { appUrl, Link, location, withQuery } from '../src/router';

vi.mock('uplot', () => ({
  default: class {
    width = 600;
    setSize() {}
    destroy() {}
  },
}));

let container: HTMLElement;
function mount(node: preact.ComponentChildren) {
  container = document.createElement('div');
  document.body.appendChild(container);
  act(() => render(node, container));
  return container;
}
afterEach(() => {
  act(() => render(null, container));
  container.remove();
});

describe('Time', () => {
  it('writes the instant in the viewer zone with the UTC instant on hover', () => {
    const el = mount(<Time at="2026-11-26T11:27:00Z" />).querySelector('time')!;
    expect(el.getAttribute('dateTime')).toBe('2026-11-26T11:27:00Z');
    expect(el.getAttribute('title')).toBe('2026-11-26 11:27:00 UTC');
    expect(el.textContent).toMatch(/26 Nov 2026, \d\d:27/);
  });

  it('writes a dash for a missing instant', () => {
    expect(mount(<Time at={null} />).textContent).toBe('–');
  });
});

describe('RankChange', () => {
  it('shows an arrow and tells screen readers in words', () => {
    const el = mount(<RankChange change={-4} previousRank={2} />);
    expect(el.querySelector('.rank-change.down')).not.toBeNull();
    expect(el.querySelector('[aria-hidden="true"]')?.textContent).toBe('▼4');
    expect(el.querySelector('.visually-hidden')?.textContent).toBe('down 4 places from 2');
  });
});

describe('Pager', () => {
  it('links to the next page and shows unavailable ones as text, not dead links', () => {
    const el = mount(<Pager hasNext nextHref="/app/rankings?after=abc" prevHref={null} firstHref={null} summary="1–25 of 80" />);
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.textContent)).toEqual(['Next ›']);
    expect(links[0].getAttribute('href')).toBe('/app/rankings?after=abc');
    expect(el.textContent).toContain('1–25 of 80');
  });
});

describe('Link', () => {
  it('follows a plain click without a page load, and leaves modified clicks to the browser', () => {
    window.history.replaceState(null, '', '/app/');
    const el = mount(<Link href="/app/rankings?period=week">Rankings</Link>).querySelector('a')!;
    const plain = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    act(() => {
      el.dispatchEvent(plain);
    });
    expect(plain.defaultPrevented).toBe(true);
    expect(window.location.pathname + window.location.search).toBe('/app/rankings?period=week');
    expect(location.get().path).toBe('rankings');
    expect(location.get().query.get('period')).toBe('week');

    const newTab = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, ctrlKey: true });
    el.dispatchEvent(newTab);
    expect(newTab.defaultPrevented).toBe(false);
  });
});

describe('ErrorNotice', () => {
  it('says the server cannot be reached and offers a retry', () => {
    const retry = vi.fn();
    const el = mount(<ErrorNotice error={{ networkError: new TypeError('Failed to fetch') }} retry={retry} />);
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('could not be reached');
    act(() => el.querySelector('button')!.click());
    expect(retry).toHaveBeenCalledOnce();
  });

  it('renders nothing without an error', () => {
    expect(mount(<ErrorNotice error={null} />).innerHTML).toBe('');
  });
});

describe('Chart', () => {
  it('describes the data for screen readers and has it as a table', () => {
    const x = [Date.parse('2026-11-26T10:00:00Z') / 1000, Date.parse('2026-11-26T11:00:00Z') / 1000];
    const el = mount(
      <Chart x={x} series={[{ label: 'Viewers', values: [1200, 3400], color: '--chart-1' }]} label="Viewers of alpha" step="hour" />,
    );
    const figure = el.querySelector('[role="img"]')!;
    expect(figure.getAttribute('aria-label')?.replace(/\u00a0/g, ' ')).toBe(
      'Viewers of alpha. 2 points. Viewers: latest 3.4 k, highest 3.4 k, lowest 1.2 k.',
    );
    const rows = [...el.querySelectorAll('.chart-table tbody tr')].map((r) => r.textContent?.replace(/\u00a0/g, ' '));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('3.4 k');
  });

  it('labels the time axis on a 24-hour clock, with the date where it changes', () => {
    const t = (iso: string) => Date.parse(iso) / 1000;
    expect(timeTicks([t('2026-11-26T22:00:00Z'), t('2026-11-26T23:00:00Z'), t('2026-11-27T00:00:00Z')], 'UTC')).toEqual([
      '22:00\n26 Nov',
      '23:00',
      '00:00\n27 Nov',
    ]);
    expect(timeTicks([t('2026-11-26T00:00:00Z'), t('2026-11-27T00:00:00Z')], 'UTC')).toEqual(['26 Nov', '27 Nov']);
  });
});

describe('addresses', () => {
  it('builds app URLs, leaving empty parameters out', () => {
    expect(appUrl('')).toBe('/app/');
    expect(appUrl('rankings', { period: 'week', language: '', game: null })).toBe('/app/rankings?period=week');
    expect(appUrl('channel/a b')).toBe('/app/channel/a b');
  });

  it('changes some parameters of the current page', () => {
    const loc = { path: 'rankings', query: new URLSearchParams('period=day&after=abc&language=de'), href: '' };
    expect(withQuery(loc, { period: 'week', after: null })).toBe('/app/rankings?period=week&language=de');
  });
});

describe('going back a page of a Relay list', () => {
  it('remembers the cursor each page started after, the first time it is seen', () => {
    rememberPage('p1-end', null); // page 1 on screen
    rememberPage('p1-end', 'p1-end'); // page 1 still on screen while page 2 loads: ignored
    rememberPage('p2-end', 'p1-end'); // page 2
    expect(previousPage('p2-end')).toBe('p1-end');
    expect(previousPage('p1-end')).toBe('');
    expect(previousPage(null)).toBeUndefined();
    expect(previousPage('never-seen')).toBeUndefined();
  });
});

describe('chart data helpers', () => {
  it('gives one instant in each of the last periods, the current one first', () => {
    const now = Date.parse('2026-11-26T11:27:00Z');
    expect(periodInstants(3, 3_600_000, now)).toEqual(['2026-11-26T11:00:00.000Z', '2026-11-26T10:00:00.000Z', '2026-11-26T09:00:00.000Z']);
  });

  it('orders aliased hourly stats and leaves hours without data out', () => {
    const series = hourlySeries({
      h0: { period: { start: '2026-11-26T11:00:00Z' }, averageViewers: 20, averageChannels: 2 },
      h1: null,
      h2: { period: { start: '2026-11-26T09:00:00Z' }, averageViewers: 10, averageChannels: 1 },
    });
    expect(series.x).toEqual([Date.parse('2026-11-26T09:00:00Z') / 1000, Date.parse('2026-11-26T11:00:00Z') / 1000]);
    expect(series.viewers).toEqual([10, 20]);
    expect(series.channels).toEqual([1, 2]);
  });
});
