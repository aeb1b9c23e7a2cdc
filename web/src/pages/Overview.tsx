import { useMemo } from 'preact/hooks';
import { Chart, type ChartSeries } from '../components/Chart';
import {
  Empty,
  ErrorNotice,
  Loading,
  Num,
  PageTitle,
  RankChange,
  Stat,
  Time,
  UpdatedAt,
} from '../components/bits';
import { formatCompact, formatHours, languageName } from '../format';
import {
  CHART_HOURS,
  OVERVIEW,
  PLATFORM_HOURS,
  type HourPoint,
  type OverviewData,
  type PointsData,
} from '../graphql/documents';
import { periodInstants, useLiveQuery } from '../hooks';
import { useLive } from '../live';
import { appUrl, Link } from '../router';

const HOUR = 3_600_000;

/** Chart data from aliased hourly stats: x in seconds, oldest first; hours without data are left out. */
export function hourlySeries(points: Record<string, HourPoint | null | string> | null | undefined) {
  const rows = Object.values(points ?? {})
    .filter((p): p is HourPoint => !!p && typeof p === 'object' && !!p.period)
    .map((p) => ({ t: Date.parse(p.period.start) / 1000, viewers: p.averageViewers, channels: p.averageChannels }))
    .sort((a, b) => a.t - b.t);
  return {
    x: rows.map((r) => r.t),
    viewers: rows.map((r) => r.viewers),
    channels: rows.map((r) => r.channels),
  };
}

export function Overview() {
  const { result, updatedAt, refresh } = useLiveQuery<OverviewData>({ query: OVERVIEW });
  // Re-read the hour instants when a live update comes in, so the chart moves on at the top of the hour.
  const { count } = useLive();
  const hourStamp = Math.floor(Date.now() / HOUR);
  const instants = useMemo(() => periodInstants(CHART_HOURS, HOUR), [hourStamp, count > 0]);
  const variables = useMemo(() => Object.fromEntries(instants.map((at, i) => [`h${i}`, at])), [instants]);
  const chart = useLiveQuery<PointsData>({ query: PLATFORM_HOURS, variables });

  const series = useMemo(() => hourlySeries(chart.result.data), [chart.result.data]);
  const chartSeries = useMemo<ChartSeries[]>(
    () => [
      { label: 'Average viewers', values: series.viewers, color: '--chart-1' },
      { label: 'Live channels', values: series.channels, color: '--chart-2', right: true },
    ],
    [series],
  );
  const range = useMemo<[number, number]>(
    () => [(hourStamp - CHART_HOURS + 1) * 3600, (hourStamp + 1) * 3600],
    [hourStamp],
  );

  const data = result.data;
  const latest = data?.latest.edges[0]?.node;

  return (
    <>
      <PageTitle title="Overview" sub={<UpdatedAt at={updatedAt} fetching={result.fetching && !!data} />}>
        Overview
      </PageTitle>
      {result.error && !data ? <ErrorNotice error={result.error} retry={refresh} /> : null}
      {!data && result.fetching ? <Loading /> : null}
      {data ? (
        <>
          <dl class="stats" aria-label="The platform now">
            <Stat label="Live channels now" hint={latest ? <>at <Time at={latest.slot} style="time" /></> : 'no data yet'}>
              <Num value={latest?.records} />
            </Stat>
            <Stat
              label="Viewers, this hour"
              hint={data.now?.peakViewers != null ? <>average; peak {formatCompact(data.now.peakViewers)}</> : 'average'}
            >
              <Num value={data.now?.averageViewers} />
            </Stat>
            <Stat label="Hours watched today" hint={data.today ? `${data.today.period.label} (UTC)` : undefined}>
              {formatHours(data.today?.hoursWatched)}
            </Stat>
            <Stat
              label="Peak viewers today"
              hint={data.today?.peakViewersAt ? <>at <Time at={data.today.peakViewersAt} style="time" /></> : undefined}
            >
              <Num value={data.today?.peakViewers} />
            </Stat>
            <Stat label="Channels live today">
              <Num value={data.today?.uniqueStreamers} />
            </Stat>
          </dl>

          <section aria-labelledby="chart-title" class="panel">
            <h2 id="chart-title">The last 24 hours</h2>
            <p class="muted">Average viewers and live channels per hour; the current hour is partial.</p>
            {chart.result.error && !chart.result.data ? <ErrorNotice error={chart.result.error} retry={chart.refresh} /> : null}
            {chart.result.data ? (
              series.x.length ? (
                <Chart x={series.x} series={chartSeries} range={range} label="Platform viewers and live channels per hour, last 24 hours" step="hour" />
              ) : (
                <Empty>No hour has data yet: the first series is on its way.</Empty>
              )
            ) : chart.result.fetching ? (
              <Loading label="Loading the chart…" />
            ) : null}
          </section>

          <div class="columns">
            <section aria-labelledby="live-title" class="panel">
              <h2 id="live-title">Top channels live now</h2>
              {data.live.edges.length ? (
                <div class="table-wrap">
                  <table class="data">
                    <thead>
                      <tr>
                        <th scope="col" class="num">#</th>
                        <th scope="col">Channel</th>
                        <th scope="col">Game</th>
                        <th scope="col" class="num">Viewers</th>
                        <th scope="col" class="hide-narrow">Live since</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.live.edges.map((edge, i) => (
                        <tr key={edge.node.id}>
                          <td class="num">{i + 1}</td>
                          <td>
                            <Link href={appUrl(`channel/${encodeURIComponent(edge.node.login)}`)}>{edge.node.displayName}</Link>
                            <span class="sub">{languageName(edge.node.language)}</span>
                          </td>
                          <td>
                            {edge.node.game ? (
                              <Link href={appUrl(`game/${encodeURIComponent(edge.node.game.id)}`)}>{edge.node.game.name || edge.node.game.id}</Link>
                            ) : (
                              '–'
                            )}
                          </td>
                          <td class="num">
                            <Num value={edge.viewers} />
                          </td>
                          <td class="hide-narrow">
                            <Time at={edge.node.startedAt} style="hour" />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : (
                <Empty>Nobody is live in the latest series.</Empty>
              )}
              <p>
                <Link href={appUrl('rankings', { period: 'hour', metric: 'average' })}>All channels this hour →</Link>
              </p>
            </section>

            <section aria-labelledby="games-title" class="panel">
              <h2 id="games-title">Top games this hour</h2>
              {data.games.edges.length ? (
                <div class="table-wrap">
                  <table class="data">
                    <thead>
                      <tr>
                        <th scope="col" class="num">#</th>
                        <th scope="col">Game</th>
                        <th scope="col" class="num">Avg viewers</th>
                        <th scope="col" class="num">Change</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.games.edges.map(({ node }) => (
                        <tr key={node.id}>
                          <td class="num">{node.rank}</td>
                          <td>
                            <Link href={appUrl(`game/${encodeURIComponent(node.id)}`)}>{node.game?.name || node.id}</Link>
                          </td>
                          <td class="num">
                            <Num value={node.value} />
                          </td>
                          <td class="num">
                            <RankChange change={node.rankChange} previousRank={node.previousRank} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : (
                <Empty>No game has data this hour yet.</Empty>
              )}
              <p>
                <Link href={appUrl('rankings', { entity: 'games', period: 'hour', metric: 'average' })}>All games this hour →</Link>
              </p>
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}
