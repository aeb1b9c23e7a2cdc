import { useMemo } from 'preact/hooks';
import { Chart, type ChartSeries } from '../components/Chart';
import {
  Choice,
  CoverageBar,
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
  CHART_DAYS,
  CHART_HOURS,
  GAME,
  GAME_DAYS,
  GAME_HOURS,
  type GameData,
  type GamePointsData,
  type GroupStats,
} from '../graphql/documents';
import { periodInstants, useLiveQuery } from '../hooks';
import { useLive } from '../live';
import { METRICS, PERIODS, pick, previousPage, rememberPage } from '../params';
import { appUrl, Link, useLocation, withQuery } from '../router';
import { hourlySeries } from './Overview';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const SPANS = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '30d', label: 'Last 30 days' },
];

export function GamePage({ id }: { id: string }) {
  const loc = useLocation();
  const q = loc.query;
  const period = pick(PERIODS, q.get('period'), 'day');
  const metric = pick(METRICS, q.get('metric'), 'hours');
  const after = q.get('after') || null;
  const variables = useMemo(
    () => ({ id, period: period.type, metric: metric.type, first: 25, after }),
    [id, period.type, metric.type, after],
  );
  const { result, updatedAt, refresh } = useLiveQuery<GameData>({ query: GAME, variables }, { rankings: period.type });
  const game = result.data?.game;

  if (!result.data) {
    return (
      <>
        <PageTitle title={`Game ${id}`}>Game</PageTitle>
        {result.error ? <ErrorNotice error={result.error} retry={refresh} /> : <Loading />}
      </>
    );
  }
  if (!game) {
    return (
      <>
        <PageTitle title="No such game">No game with id {id}</PageTitle>
        <Empty>Streamlens has not seen this game.</Empty>
      </>
    );
  }
  const top = game.topChannels;
  if (top.pageInfo.endCursor) rememberPage(top.pageInfo.endCursor, after);
  const prev = previousPage(after);
  const name = game.name || `Game ${game.id}`;

  return (
    <>
      <PageTitle title={name} sub={<UpdatedAt at={updatedAt} fetching={result.fetching} />}>
        {name}
      </PageTitle>
      {result.error ? <ErrorNotice error={result.error} /> : null}

      <GameCurve id={game.id} span={q.get('span')} />

      <section class="panel" aria-labelledby="game-stats-title">
        <h2 id="game-stats-title">Period stats</h2>
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col" class="num">Hours watched</th>
                <th scope="col" class="num hide-narrow">Hours streamed</th>
                <th scope="col" class="num">Avg viewers</th>
                <th scope="col" class="num hide-narrow">Avg channels</th>
                <th scope="col" class="num hide-narrow">Peak viewers</th>
                <th scope="col" class="num hide-narrow">Streamers</th>
                <th scope="col">Coverage</th>
              </tr>
            </thead>
            <tbody>
              {(['hour', 'day', 'week', 'month'] as const).map((key) => (
                <GameStatsRow key={key} name={key} stats={game[key]} />
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="panel" aria-labelledby="top-title">
        <h2 id="top-title">Top channels</h2>
        <div class="controls">
          <Choice label="By" options={METRICS} current={metric.value} href={(v) => withQuery(loc, { metric: v, after: null })} />
          <Choice label="Period" options={PERIODS} current={period.value} href={(v) => withQuery(loc, { period: v, after: null })} />
        </div>
        <p class="muted">
          {top.period.label} · {formatInteger(top.totalCount)} channels
        </p>
        {top.edges.length === 0 ? (
          <Empty>No channel played it this {period.value}.</Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col" class="num">Rank</th>
                    <th scope="col" class="num hide-narrow">Change</th>
                    <th scope="col">Channel</th>
                    <th scope="col" class="hide-narrow">Language</th>
                    <th scope="col" class="num">{metric.label}</th>
                  </tr>
                </thead>
                <tbody>
                  {top.edges.map(({ node }) => (
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
                      <td>
                        {node.channel ? (
                          <Link href={appUrl(`channel/${encodeURIComponent(node.channel.login)}`)}>{node.channel.displayName}</Link>
                        ) : (
                          node.id
                        )}
                      </td>
                      <td class="hide-narrow">{languageName(node.channel?.language)}</td>
                      <td class="num">{metric.type === 'HOURS_WATCHED' ? formatHours(node.value) : <Num value={node.value} />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              hasNext={top.pageInfo.hasNextPage}
              nextHref={withQuery(loc, { after: top.pageInfo.endCursor })}
              prevHref={after ? withQuery(loc, { after: prev || null }) : null}
              firstHref={after ? withQuery(loc, { after: null }) : null}
            />
          </>
        )}
        <p>
          <Link href={appUrl('rankings', { game: game.id, period: period.value, metric: metric.value })}>
            This ranking with language filters →
          </Link>
        </p>
      </section>
    </>
  );
}

function GameStatsRow({ name, stats }: { name: string; stats: GroupStats | null }) {
  const label = name[0].toUpperCase() + name.slice(1);
  if (!stats) {
    return (
      <tr>
        <th scope="row">{label}</th>
        <td colSpan={7} class="muted">
          No data this {name}
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <th scope="row">
        {label} <span class="sub">{stats.period.label}</span>
      </th>
      <td class="num">{formatHours(stats.hoursWatched)}</td>
      <td class="num hide-narrow">{formatHours(stats.hoursStreamed)}</td>
      <td class="num">
        <Num value={stats.averageViewers} />
      </td>
      <td class="num hide-narrow">
        <Num value={stats.averageChannels} />
      </td>
      <td class="num hide-narrow">
        <Num value={stats.peakViewers} />
        {stats.peakViewersAt ? (
          <span class="sub">
            <Time at={stats.peakViewersAt} style="hour" />
          </span>
        ) : null}
      </td>
      <td class="num hide-narrow">
        <Num value={stats.uniqueStreamers} />
      </td>
      <td>
        <CoverageBar coverage={stats.coverage} />
      </td>
    </tr>
  );
}

function GameCurve({ id, span }: { id: string; span: string | null }) {
  const loc = useLocation();
  const daily = span === '30d';
  const { count } = useLive();
  const stamp = Math.floor(Date.now() / (daily ? DAY : HOUR));
  const variables = useMemo(() => {
    const instants = daily ? periodInstants(CHART_DAYS, DAY) : periodInstants(CHART_HOURS, HOUR);
    return { id, ...Object.fromEntries(instants.map((at, i) => [`${daily ? 'd' : 'h'}${i}`, at])) };
  }, [id, daily, stamp, count > 0]);
  const { result } = useLiveQuery<GamePointsData>({ query: daily ? GAME_DAYS : GAME_HOURS, variables });
  const series = useMemo(() => {
    const { id: _id, ...points } = result.data?.game ?? { id };
    return hourlySeries(points);
  }, [result.data]);
  const chartSeries = useMemo<ChartSeries[]>(
    () => [
      { label: 'Average viewers', values: series.viewers, color: '--chart-1' },
      { label: 'Live channels', values: series.channels, color: '--chart-2', right: true },
    ],
    [series],
  );
  const step = daily ? DAY : HOUR;
  const n = daily ? CHART_DAYS : CHART_HOURS;
  const range = useMemo<[number, number]>(() => [((stamp - n + 1) * step) / 1000, ((stamp + 1) * step) / 1000], [stamp, n, step]);
  return (
    <section class="panel" aria-labelledby="game-curve-title">
      <h2 id="game-curve-title">Viewers and channels</h2>
      <Choice label="Span" options={SPANS} current={daily ? '30d' : '24h'} href={(v) => withQuery(loc, { span: v === '24h' ? null : v })} />
      {result.error && !result.data ? <ErrorNotice error={result.error} /> : null}
      {!result.data && result.fetching ? <Loading label="Loading the chart…" /> : null}
      {result.data ? (
        series.x.length ? (
          <Chart
            x={series.x}
            series={chartSeries}
            range={range}
            step={daily ? 'day' : 'hour'}
            label={`Average viewers and live channels of this game per ${daily ? 'day, last 30 days' : 'hour, last 24 hours'}`}
          />
        ) : (
          <Empty>No data for this game in this span.</Empty>
        )
      ) : null}
    </section>
  );
}
