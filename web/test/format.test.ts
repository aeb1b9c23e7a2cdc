import { describe, expect, it } from 'vitest';
import {
  describeRankChange,
  formatAgo,
  formatCompact,
  formatHours,
  formatInteger,
  formatMs,
  formatPercent,
  formatTime,
  formatUtc,
  languageName,
} from '../src/format';

// The formatters put a no-break space between a number and its unit, so "1.2 M" never wraps; the cases below are
// written with plain spaces and compared with the no-break spaces read as spaces.
const plain = (text: string) => text.replace(/\u00a0/g, ' ');

describe('formatCompact', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [2.5, '2.5'],
    [950, '950'],
    [999, '999'],
    [1000, '1 k'],
    [1234, '1.2 k'],
    [12_345, '12.3 k'],
    [123_456, '123 k'],
    [999_949, '1 M'],
    [999.6, '1 k'],
    [99_960, '100 k'],
    [1_200_000, '1.2 M'],
    [1_250_000, '1.3 M'],
    [3_400_000_000, '3.4 B'],
    [-1500, '-1.5 k'],
  ])('%d → %s', (value, text) => {
    expect(plain(formatCompact(value))).toBe(text);
  });

  it('keeps a number and its unit together with a no-break space', () => {
    expect(formatCompact(1_200_000)).toBe('1.2\u00a0M');
    expect(formatHours(10 / 3)).toBe('3\u00a0h 20\u00a0m');
  });

  it('rounds up to the next unit instead of writing 1,000 k', () => {
    expect(plain(formatCompact(999_960))).toBe('1 M');
  });

  it('says – for missing values', () => {
    expect(plain(formatCompact(null))).toBe('–');
    expect(plain(formatCompact(undefined))).toBe('–');
    expect(plain(formatCompact(Number.NaN))).toBe('–');
  });
});

describe('formatInteger', () => {
  it('groups thousands and rounds', () => {
    expect(formatInteger(1_234_567.6)).toBe('1,234,568');
    expect(formatInteger(null)).toBe('–');
  });
});

describe('formatHours', () => {
  it.each([
    [0, '0 m'],
    [0.5, '30 m'],
    [1, '1 h'],
    [10 / 3, '3 h 20 m'],
    [2.999, '3 h'],
    [94.7666, '94 h 46 m'],
    [999.5, '999 h 30 m'],
    [1234, '1.2 k h'],
    [2_500_000, '2.5 M h'],
  ])('%d h → %s', (hours, text) => {
    expect(plain(formatHours(hours))).toBe(text);
  });

  it('says – for missing values', () => {
    expect(plain(formatHours(null))).toBe('–');
  });
});

describe('formatPercent', () => {
  it.each([
    [0, '0%'],
    [0.0005, '<0.1%'],
    [0.033333, '3.3%'],
    [0.5, '50%'],
    [1, '100%'],
  ])('%d → %s', (ratio, text) => {
    expect(formatPercent(ratio)).toBe(text);
  });
});

describe('times', () => {
  const at = '2026-11-26T11:27:05Z';

  it('writes the UTC instant for tooltips', () => {
    expect(formatUtc(at)).toBe('2026-11-26 11:27:05 UTC');
    expect(formatUtc('not a time')).toBe('');
  });

  it('writes instants in the given zone, 24-hour clock', () => {
    expect(formatTime(at, 'time', { timeZone: 'UTC' })).toBe('11:27');
    expect(formatTime(at, 'time', { timeZone: 'Europe/Berlin' })).toBe('12:27');
    expect(formatTime(at, 'time', { timeZone: 'America/New_York', seconds: true })).toBe('06:27:05');
    expect(formatTime(at, 'datetime', { timeZone: 'Asia/Tokyo' })).toBe('26 Nov 2026, 20:27');
    expect(formatTime(at, 'date', { timeZone: 'Pacific/Kiritimati' })).toBe('27 Nov 2026');
  });

  it('says how long ago', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(plain(formatAgo('2026-11-26T11:59:40Z', now))).toBe('just now');
    expect(plain(formatAgo('2026-11-26T11:55:00Z', now))).toBe('5 min ago');
    expect(plain(formatAgo('2026-11-26T09:00:00Z', now))).toBe('3 h ago');
    expect(plain(formatAgo('2026-11-23T12:00:00Z', now))).toBe('3 days ago');
  });
});

describe('formatMs', () => {
  it('picks a unit', () => {
    expect(plain(formatMs(5))).toBe('5 ms');
    expect(plain(formatMs(1234))).toBe('1.2 s');
    expect(plain(formatMs(125_000))).toBe('2 min 5 s');
    expect(plain(formatMs(null))).toBe('–');
  });
});

describe('describeRankChange', () => {
  it('reads gains, losses, no change and new entries', () => {
    expect(describeRankChange(3, 7)).toMatchObject({ direction: 'up', symbol: '▲', text: '3', label: 'up 3 places from 7' });
    expect(describeRankChange(-1, 2)).toMatchObject({ direction: 'down', symbol: '▼', text: '1', label: 'down 1 place from 2' });
    expect(describeRankChange(0, 4)).toMatchObject({ direction: 'same', label: 'same place as before' });
    expect(describeRankChange(null, null)).toMatchObject({ direction: 'new', text: 'new' });
  });
});

describe('languageName', () => {
  it('names ISO 639-1 codes', () => {
    expect(languageName('de')).toBe('German');
    expect(languageName('other')).toBe('Other');
    expect(languageName(null)).toBe('unknown');
  });
});
