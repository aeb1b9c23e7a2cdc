// The query parameters of the pages, as people read them in the address bar, and the enums they stand for.
import type { Granularity, PeriodType, RankedEntity, RankingMetric } from './graphql/documents';

export const PERIODS: { value: string; label: string; type: PeriodType }[] = [
  { value: 'hour', label: 'Hour', type: 'HOUR' },
  { value: 'day', label: 'Day', type: 'DAY' },
  { value: 'week', label: 'Week', type: 'WEEK' },
  { value: 'month', label: 'Month', type: 'MONTH' },
];

export const METRICS: { value: string; label: string; type: RankingMetric }[] = [
  { value: 'hours', label: 'Hours watched', type: 'HOURS_WATCHED' },
  { value: 'average', label: 'Average viewers', type: 'AVERAGE_VIEWERS' },
  { value: 'peak', label: 'Peak viewers', type: 'PEAK_VIEWERS' },
];

export const ENTITIES: { value: string; label: string; type: RankedEntity }[] = [
  { value: 'channels', label: 'Channels', type: 'CHANNEL' },
  { value: 'games', label: 'Games', type: 'GAME' },
];

export const GRANULARITIES: { value: string; label: string; type: Granularity }[] = [
  { value: 'minute', label: 'Minute', type: 'MINUTE' },
  { value: 'hour', label: 'Hour', type: 'HOUR' },
  { value: 'day', label: 'Day', type: 'DAY' },
];

/** The ranges a viewer curve offers per granularity (the gateway's limits: 2, 31 and 366 days). */
export const RANGES: Record<Granularity, { value: string; label: string; ms: number }[]> = {
  MINUTE: [
    { value: '1h', label: '1 hour', ms: 3_600_000 },
    { value: '6h', label: '6 hours', ms: 6 * 3_600_000 },
    { value: '24h', label: '24 hours', ms: 24 * 3_600_000 },
    { value: '48h', label: '48 hours', ms: 48 * 3_600_000 },
  ],
  HOUR: [
    { value: '24h', label: '24 hours', ms: 24 * 3_600_000 },
    { value: '7d', label: '7 days', ms: 7 * 86_400_000 },
    { value: '31d', label: '31 days', ms: 31 * 86_400_000 },
  ],
  DAY: [
    { value: '30d', label: '30 days', ms: 30 * 86_400_000 },
    { value: '90d', label: '90 days', ms: 90 * 86_400_000 },
    { value: '366d', label: '366 days', ms: 366 * 86_400_000 },
  ],
};
export const DEFAULT_RANGE: Record<Granularity, string> = { MINUTE: '6h', HOUR: '7d', DAY: '90d' };

export function pick<T extends { value: string }>(options: T[], value: string | null, fallback: string): T {
  return options.find((o) => o.value === value) ?? options.find((o) => o.value === fallback) ?? options[0];
}

/** Rank pages people asked for, by the cursor after which they start: how "Previous" finds its way back. */
const previousCursors = new Map<string, string>();

export function rememberPage(next: string, current: string | null) {
  // The first sighting counts: while the next page loads, the page before is still on screen with its cursor.
  if (!previousCursors.has(next)) previousCursors.set(next, current ?? '');
}

/** The `after` of the page before the one starting after `after`: '' for the first page, undefined when unknown. */
export function previousPage(after: string | null): string | undefined {
  if (!after) return undefined;
  return previousCursors.get(after);
}

/** Whether an ISO instant parses. */
export function validInstant(value: string | null): value is string {
  return !!value && !Number.isNaN(Date.parse(value));
}

/** The word for one of a period kind: "hour", "day", "week", "month". */
export function periodWord(type: PeriodType): string {
  return type.toLowerCase();
}
