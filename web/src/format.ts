// Number, duration and time formatting shared by every page. Numbers use English conventions everywhere (the
// dashboard's text is English); times are shown in the viewer's time zone, with the UTC instant in a tooltip.

const NBSP = '\u00a0';

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function trimmed(value: number, digits: number): string {
  // 1.0 → "1", 1.25 → "1.3" (half away from zero), never "-0".
  const fixed = value.toFixed(digits);
  const out = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return out === '-0' ? '0' : out;
}

const UNITS: [number, string][] = [
  [1e3, 'k'],
  [1e6, 'M'],
  [1e9, 'B'],
  [1e12, 'T'],
];

/** A count in a few characters: 950, 1.2 k, 12.3 k, 123 k, 1.2 M. `null`/`undefined` → "–". */
export function formatCompact(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  if (Math.round(abs) < 1000) {
    if (abs < 10 && abs !== Math.round(abs)) return trimmed(value, 1);
    return grouped.format(Math.round(value));
  }
  // The largest unit the value reaches once rounded, so 999,960 reads "1 M", not "1,000 k".
  for (let i = UNITS.length - 1; i >= 0; i -= 1) {
    const [size, unit] = UNITS[i];
    const scaled = value / size;
    const digits = Math.abs(scaled) < 100 ? 1 : 0;
    if (Math.abs(Number(scaled.toFixed(digits))) >= 1 || i === 0) {
      const text = trimmed(scaled, digits);
      if (Math.abs(Number(text)) >= 1000 && i < UNITS.length - 1) {
        return `${trimmed(value / UNITS[i + 1][0], 1)}${NBSP}${UNITS[i + 1][1]}`;
      }
      return `${text}${NBSP}${unit}`;
    }
  }
  return grouped.format(Math.round(value));
}

/** A count in full, grouped: 1,234,567. */
export function formatInteger(value: number | null | undefined): string {
  if (value == null || Number.isNaN(value)) return '–';
  return grouped.format(Math.round(value));
}

/**
 * A number of hours as a duration: "3 h 20 m", "45 m", "0 m"; from 1,000 hours on, compact: "1.2 k h".
 */
export function formatHours(hours: number | null | undefined): string {
  if (hours == null || Number.isNaN(hours)) return '–';
  const sign = hours < 0 ? '-' : '';
  const abs = Math.abs(hours);
  if (abs >= 1000) return `${sign}${formatCompact(abs)}${NBSP}h`;
  let h = Math.floor(abs);
  let m = Math.round((abs - h) * 60);
  if (m === 60) {
    h += 1;
    m = 0;
  }
  if (h === 0) return `${sign}${m}${NBSP}m`;
  if (m === 0) return `${sign}${h}${NBSP}h`;
  return `${sign}${h}${NBSP}h ${m}${NBSP}m`;
}

/** A ratio from 0 to 1 as a percentage: "3.3%", "100%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio == null || Number.isNaN(ratio)) return '–';
  const pct = ratio * 100;
  if (pct > 0 && pct < 0.1) return '<0.1%';
  return `${trimmed(pct, pct < 10 ? 1 : 0)}%`;
}

/** The rank change of a ranking row, for the arrow and its text alternative. */
export function describeRankChange(change: number | null | undefined, previousRank: number | null | undefined) {
  if (change == null || previousRank == null) {
    return { direction: 'new' as const, symbol: '★', text: 'new', label: 'new in this ranking' };
  }
  if (change > 0) {
    return {
      direction: 'up' as const,
      symbol: '▲',
      text: String(change),
      label: `up ${change} ${change === 1 ? 'place' : 'places'} from ${previousRank}`,
    };
  }
  if (change < 0) {
    const n = -change;
    return {
      direction: 'down' as const,
      symbol: '▼',
      text: String(n),
      label: `down ${n} ${n === 1 ? 'place' : 'places'} from ${previousRank}`,
    };
  }
  return { direction: 'same' as const, symbol: '=', text: '', label: 'same place as before' };
}

/** An instant in UTC for tooltips: "2026-11-26 11:27:00 UTC". */
export function formatUtc(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export type TimeStyle = 'time' | 'datetime' | 'date' | 'hour' | 'month';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(style: TimeStyle, timeZone: string | undefined, seconds: boolean): Intl.DateTimeFormat {
  const key = `${style}|${timeZone ?? ''}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    const base: Intl.DateTimeFormatOptions = { timeZone, hourCycle: 'h23' };
    const opts: Intl.DateTimeFormatOptions =
      style === 'time'
        ? { ...base, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }
        : style === 'date'
          ? { ...base, year: 'numeric', month: 'short', day: 'numeric' }
          : style === 'month'
            ? { ...base, year: 'numeric', month: 'long' }
            : style === 'hour'
              ? { ...base, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
              : {
                  ...base,
                  year: 'numeric',
                  month: 'short',
                  day: 'numeric',
                  hour: '2-digit',
                  minute: '2-digit',
                  ...(seconds ? { second: '2-digit' } : {}),
                };
    f = new Intl.DateTimeFormat('en-GB', opts);
    formatters.set(key, f);
  }
  return f;
}

/**
 * An instant in the viewer's time zone (or `timeZone`): "13:02", "26 Nov 2026, 13:02", "26 Nov 2026".
 */
export function formatTime(
  iso: string | Date,
  style: TimeStyle = 'datetime',
  options: { timeZone?: string; seconds?: boolean } = {},
): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '–';
  return formatter(style, options.timeZone, options.seconds ?? false).format(date);
}

/** How long ago, roughly: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatAgo(iso: string | Date, now: Date = new Date()): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}${NBSP}min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}${NBSP}h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** Milliseconds as a short duration: "850 ms", "1.2 s", "2 min 5 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)}${NBSP}ms`;
  if (ms < 60_000) return `${trimmed(ms / 1000, 1)}${NBSP}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}${NBSP}min ${seconds}${NBSP}s`;
}

/** A language code as a name, when the browser knows it: "de" → "German". */
export function languageName(code: string | null | undefined): string {
  if (!code) return 'unknown';
  if (code === 'other') return 'Other';
  try {
    const names = new Intl.DisplayNames(['en'], { type: 'language' });
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}
