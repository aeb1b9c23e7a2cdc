import { useQuery, type UseQueryArgs } from '@urql/preact';
import { useCallback, useMemo } from 'preact/hooks';
import type { AnyVariables } from '@urql/core';
import { useOnRankingsUpdated, useOnSeriesReady, useUpdatedAt } from './live';
import { gameNamesDocument, MAX_GAME_NAMES, type GameNamesData, type GameRef, type PeriodType } from './graphql/documents';

/**
 * A query whose answer moves with the data: read again (from the network) whenever a series becomes ready, and,
 * with `rankings`, whenever that period kind's rankings are recomputed.
 * Returns the result, a refresh function and when the data was last read.
 */
export function useLiveQuery<Data, Variables extends AnyVariables = AnyVariables>(
  args: UseQueryArgs<Variables, Data>,
  options: { rankings?: PeriodType } = {},
) {
  const [result, reexecute] = useQuery<Data, Variables>(args);
  const refresh = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useOnSeriesReady(refresh);
  useOnRankingsUpdated(options.rankings && options.rankings !== 'HOUR' ? options.rankings : null, refresh);
  const updatedAt = useUpdatedAt(result.data);
  return { result, refresh, updatedAt };
}

/** The names of games named by id (a broadcast's games, a history entry's), read in one request. */
export function useGameNames(ids: (string | null | undefined)[]): Map<string, string> {
  const unique = useMemo(
    () => [...new Set(ids.filter((id): id is string => !!id && /^[0-9A-Za-z_-]+$/.test(id)))].sort().slice(0, MAX_GAME_NAMES),
    [ids.join(',')],
  );
  const variables = useMemo(() => Object.fromEntries(unique.map((id, i) => [`g${i}`, id])), [unique]);
  const [result] = useQuery<GameNamesData>({
    query: gameNamesDocument(unique.length),
    variables,
    pause: unique.length === 0,
  });
  return useMemo(() => {
    const names = new Map<string, string>();
    for (const game of Object.values(result.data ?? {}) as (GameRef | null)[]) {
      if (game?.name) names.set(game.id, game.name);
    }
    return names;
  }, [result.data]);
}

/** Instants in each of the last `count` periods of `stepMs` (the current one first), ISO, fixed within the period. */
export function periodInstants(count: number, stepMs: number, now = Date.now()): string[] {
  const start = Math.floor(now / stepMs) * stepMs;
  return Array.from({ length: count }, (_, i) => new Date(start - i * stepMs).toISOString());
}
