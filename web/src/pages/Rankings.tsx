import { useQuery } from '@urql/preact';
import { useMemo } from 'preact/hooks';
import {
  Choice,
  Empty,
  ErrorNotice,
  Loading,
  Num,
  PageTitle,
  Pager,
  RankChange,
  Time,
  UpdatedAt,
} from '../components/bits';
import { formatHours, formatInteger, languageName } from '../format';
import {
  RANKING_FILTERS,
  RANKINGS,
  type RankingFiltersData,
  type RankingsData,
} from '../graphql/documents';
import { useLiveQuery } from '../hooks';
import { ENTITIES, METRICS, PERIODS, periodWord, pick, previousPage, rememberPage, validInstant } from '../params';
import { appUrl, Link, navigate, useLocation, withQuery } from '../router';

export const PAGE_SIZES = [25, 50, 100];

export function Rankings() {
  const loc = useLocation();
  const q = loc.query;
  const entity = pick(ENTITIES, q.get('entity'), 'channels');
  const metric = pick(METRICS, q.get('metric'), 'hours');
  const period = pick(PERIODS, q.get('period'), 'day');
  const at = validInstant(q.get('at')) ? q.get('at') : null;
  const language = q.get('language') || null;
  const gameId = entity.type === 'CHANNEL' ? q.get('game') || null : null;
  const sizeParam = Number(q.get('first'));
  const first = PAGE_SIZES.includes(sizeParam) ? sizeParam : 25;
  const after = q.get('after') || null;

  const variables = useMemo(
    () => ({ entity: entity.type, metric: metric.type, period: period.type, at, language, gameId, first, after }),
    [entity.type, metric.type, period.type, at, language, gameId, first, after],
  );
  const { result, updatedAt, refresh } = useLiveQuery<RankingsData>({ query: RANKINGS, variables }, { rankings: period.type });
  const [filters] = useQuery<RankingFiltersData>({
    query: RANKING_FILTERS,
    variables: useMemo(() => ({ period: period.type, at }), [period.type, at]),
  });

  const ranking = result.data?.rankings;
  // A page change resets the cursor: filters and periods start again at the first page.
  const change = (changes: Record<string, string | null>) => withQuery(loc, { after: null, ...changes });

  if (ranking?.pageInfo.endCursor) rememberPage(ranking.pageInfo.endCursor, after);
  const prev = previousPage(after);

  const start = ranking?.period.start;
  const end = ranking?.period.end;
  const previousAt = start ? new Date(Date.parse(start) - 1000).toISOString() : null;
  const nextAt = end && Date.parse(end) <= Date.now() ? end : null;
  const title = `${entity.label} by ${metric.label.toLowerCase()}`;

  return (
    <>
      <PageTitle title={`Rankings: ${title}`} sub={<UpdatedAt at={updatedAt} fetching={result.fetching && !!result.data} />}>
        Rankings
      </PageTitle>

      <div class="controls">
        <Choice label="Rank" options={ENTITIES} current={entity.value} href={(v) => change({ entity: v, game: v === 'games' ? null : q.get('game') })} />
        <Choice label="By" options={METRICS} current={metric.value} href={(v) => change({ metric: v })} />
        <Choice label="Period" options={PERIODS} current={period.value} href={(v) => change({ period: v })} />
      </div>

      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Language
          <select
            name="language"
            value={language ?? ''}
            onChange={(e) => navigate(change({ language: (e.currentTarget as HTMLSelectElement).value || null, game: null }))}
          >
            <option value="">All languages</option>
            {language && !filters.data?.languages.some((l) => l.language === language) ? (
              <option value={language}>{languageName(language)}</option>
            ) : null}
            {filters.data?.languages.map((l) => (
              <option key={l.language} value={l.language}>
                {languageName(l.language)} ({l.language})
              </option>
            ))}
          </select>
        </label>
        <label>
          Game
          <select
            name="game"
            value={gameId ?? ''}
            disabled={entity.type !== 'CHANNEL'}
            title={entity.type !== 'CHANNEL' ? 'Games are not filtered by game' : undefined}
            onChange={(e) => navigate(change({ game: (e.currentTarget as HTMLSelectElement).value || null, language: null }))}
          >
            <option value="">All games</option>
            {gameId && !filters.data?.games.edges.some((g) => g.node.id === gameId) ? <option value={gameId}>{gameId}</option> : null}
            {filters.data?.games.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.game?.name || node.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rows
          <select name="first" value={String(first)} onChange={(e) => navigate(change({ first: (e.currentTarget as HTMLSelectElement).value }))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <span class="muted filter-note">One filter at a time: a language or a game.</span>
        {language || gameId ? (
          <Link href={change({ language: null, game: null })} class="clear">
            Clear filter
          </Link>
        ) : null}
      </form>

      {ranking ? (
        <nav class="period-nav" aria-label="Periods">
          {previousAt ? <Link href={change({ at: previousAt })}>‹ Previous {periodWord(period.type)}</Link> : null}
          <span class="period-label">
            <strong>{ranking.period.label}</strong> UTC
            {period.type === 'HOUR' ? (
              <span class="muted">
                {' '}
                (<Time at={ranking.period.start} style="time" />–<Time at={ranking.period.end} style="time" /> your time)
              </span>
            ) : null}
          </span>
          {nextAt ? <Link href={change({ at: nextAt })}>Next {periodWord(period.type)} ›</Link> : null}
          {at ? <Link href={change({ at: null })}>Current {periodWord(period.type)}</Link> : null}
        </nav>
      ) : null}

      {result.error && !ranking ? <ErrorNotice error={result.error} retry={refresh} /> : null}
      {!ranking && result.fetching ? <Loading label="Loading the ranking…" /> : null}
      {ranking ? (
        ranking.edges.length === 0 ? (
          <Empty>
            {Date.parse(ranking.period.end) <= Date.now() ? (
              <>
                Nothing was ranked for {ranking.period.label}
                {language || gameId ? ' with this filter' : ''}: Streamlens has no data of that {periodWord(period.type)}.
              </>
            ) : (
              <>
                Nothing ranked for {ranking.period.label}
                {language || gameId ? ' with this filter' : ''} yet.
                {period.type !== 'HOUR' ? ' Days, weeks and months are ranked a few seconds after each series; this page updates when they are.' : ''}
              </>
            )}
          </Empty>
        ) : (
          <section class="panel" aria-labelledby="ranking-title">
            <h2 id="ranking-title" class="visually-hidden">
              {title}, {ranking.period.label}
            </h2>
            <div class="table-wrap">
              <table class="data ranking" data-testid="ranking">
                <caption class="visually-hidden">
                  {title}, {ranking.period.label}: rows {ranking.edges[0].node.rank} to {ranking.edges[ranking.edges.length - 1].node.rank} of{' '}
                  {ranking.totalCount}
                </caption>
                <thead>
                  <tr>
                    <th scope="col" class="num">Rank</th>
                    <th scope="col" class="num hide-narrow">Change</th>
                    <th scope="col">{entity.type === 'CHANNEL' ? 'Channel' : 'Game'}</th>
                    {entity.type === 'CHANNEL' ? <th scope="col" class="hide-narrow">Game</th> : null}
                    {entity.type === 'CHANNEL' ? <th scope="col" class="hide-narrow">Language</th> : null}
                    <th scope="col" class="num">{metric.label}</th>
                  </tr>
                </thead>
                <tbody>
                  {ranking.edges.map(({ node }) => (
                    <tr key={node.id}>
                      <td class="num">
                        {node.rank}
                        <span class="show-narrow">
                          <RankChange change={node.rankChange} previousRank={node.previousRank} />
                        </span>
                      </td>
                      <td class="num hide-narrow">
                        <RankChange change={node.rankChange} previousRank={node.previousRank} />
                      </td>
                      {entity.type === 'CHANNEL' ? (
                        <>
                          <td>
                            {node.channel ? (
                              <Link href={appUrl(`channel/${encodeURIComponent(node.channel.login)}`)}>{node.channel.displayName}</Link>
                            ) : (
                              node.id
                            )}
                          </td>
                          <td class="hide-narrow">
                            {node.channel?.game ? (
                              <Link href={appUrl(`game/${encodeURIComponent(node.channel.game.id)}`)}>{node.channel.game.name || node.channel.game.id}</Link>
                            ) : (
                              '–'
                            )}
                          </td>
                          <td class="hide-narrow">{languageName(node.channel?.language)}</td>
                        </>
                      ) : (
                        <td>
                          <Link href={appUrl(`game/${encodeURIComponent(node.id)}`)}>{node.game?.name || node.id}</Link>
                        </td>
                      )}
                      <td class="num" title={metric.type === 'HOURS_WATCHED' ? `${formatInteger(node.value)} hours` : formatInteger(node.value)}>
                        {metric.type === 'HOURS_WATCHED' ? formatHours(node.value) : <Num value={node.value} />}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              hasNext={ranking.pageInfo.hasNextPage}
              nextHref={withQuery(loc, { after: ranking.pageInfo.endCursor })}
              prevHref={after ? withQuery(loc, { after: prev || null }) : null}
              firstHref={after ? withQuery(loc, { after: null }) : null}
              summary={
                <>
                  {formatInteger(ranking.edges[0].node.rank)}–{formatInteger(ranking.edges[ranking.edges.length - 1].node.rank)} of{' '}
                  {formatInteger(ranking.totalCount)}
                </>
              }
            />
          </section>
        )
      ) : null}
    </>
  );
}
