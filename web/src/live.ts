// Live updates: the app listens to `seriesReady` for as long as it is open; pages showing current numbers read
// them again when a series becomes ready, without a reload.
import type { Client } from '@urql/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  RANKINGS_UPDATED,
  SERIES_READY,
  type PeriodType,
  type RankingsUpdatedData,
  type SeriesReadyData,
} from './graphql/documents';
import { createStore, useStore } from './store';

export interface LiveEvent {
  series: string;
  slot: string;
  finishedAt: string;
  /** When the browser heard it. */
  receivedAt: number;
}

/** The latest `seriesReady` heard, and how many so far. */
export const live = createStore<{ count: number; last: LiveEvent | null }>({ count: 0, last: null });

/**
 * How many `rankingsUpdated` were heard per period kind. Hours are ranked by the pipeline before `seriesReady`;
 * days, weeks and months by roll-up jobs a few seconds after it, and their pages wait for these.
 */
export const rankingsUpdates = createStore<Record<PeriodType, number>>({ HOUR: 0, DAY: 0, WEEK: 0, MONTH: 0 });

/** Listens to seriesReady and rankingsUpdated on `client` until the returned function is called. */
export function listen(client: Client): () => void {
  const subscriptions = [
    client.subscription<SeriesReadyData>(SERIES_READY, {}).subscribe((result) => {
      const event = result.data?.seriesReady;
      if (!event) return;
      const { count } = live.get();
      live.set({ count: count + 1, last: { ...event, receivedAt: Date.now() } });
    }),
    ...(['DAY', 'WEEK', 'MONTH'] as const).map((period) =>
      client.subscription<RankingsUpdatedData>(RANKINGS_UPDATED, { period }).subscribe((result) => {
        if (!result.data?.rankingsUpdated) return;
        const counts = rankingsUpdates.get();
        rankingsUpdates.set({ ...counts, [period]: counts[period] + 1 });
      }),
    ),
  ];
  return () => subscriptions.forEach((s) => s.unsubscribe());
}

/** Calls `refresh` on every rankingsUpdated of `period` heard after the component mounted. */
export function useOnRankingsUpdated(period: PeriodType | null, refresh: () => void) {
  const counts = useStore(rankingsUpdates);
  const count = period ? counts[period] : 0;
  const first = useRef(count);
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (count !== first.current) latest.current();
  }, [count]);
}

export function useLive() {
  return useStore(live);
}

/**
 * Calls `refresh` on every seriesReady heard after the component mounted (not for events heard before).
 */
export function useOnSeriesReady(refresh: () => void) {
  const { count } = useLive();
  const first = useRef(count);
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (count !== first.current) latest.current();
  }, [count]);
}

/** When `data` last changed (the time the page's numbers were read), for an "updated at" line. */
export function useUpdatedAt(data: unknown): Date | null {
  const [at, setAt] = useState<Date | null>(null);
  useEffect(() => {
    if (data) setAt(new Date());
  }, [data]);
  return at;
}
