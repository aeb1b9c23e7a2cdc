import { useMemo, useState } from 'preact/hooks';
import { useAuth } from '../auth';
import { Chart, type ChartSeries } from '../components/Chart';
import {
  Choice,
  CoverageBar,
  Empty,
  ErrorNotice,
  Forbidden,
  Loading,
  Num,
  PageTitle,
  Time,
  UpdatedAt,
} from '../components/bits';
import { forbiddenAt, mapErrors, type AppError } from '../errors';
import { formatHours, languageName } from '../format';
import {
  CHANNEL,
  CHANNEL_BROADCASTS,
  CHANNEL_HISTORY,
  CHANNEL_VIEWERS,
  type ChannelBroadcastsData,
  type ChannelData,
  type ChannelHistoryData,
  type ChannelStats,
  type ChannelViewersData,
  type Granularity,
} from '../graphql/documents';
import { useGameNames, useLiveQuery } from '../hooks';
import { useLive } from '../live';
import { DEFAULT_RANGE, GRANULARITIES, RANGES, pick } from '../params';
import { appUrl, Link, useLocation, withQuery } from '../router';

const MINUTE_PERMISSION = 'minute-data:read';

/** The viewer curve's granularity: what was asked for, if the caller may see it; else what they may. */
export function effectiveGranularity(asked: string | null, mayReadMinutes: boolean): { granularity: Granularity; downgraded: boolean } {
  const wanted = asked ? pick(GRANULARITIES, asked, 'hour').type : mayReadMinutes ? 'MINUTE' : 'HOUR';
  if (wanted === 'MINUTE' && !mayReadMinutes) return { granularity: 'HOUR', downgraded: true };
  return { granularity: wanted, downgraded: false };
}

export function ChannelPage({ login }: { login: string }) {
  const loc = useLocation();
  const auth = useAuth();
  const { result, updatedAt, refresh } = useLiveQuery<ChannelData>({ query: CHANNEL, variables: useMemo(() => ({ login }), [login]) });
  const channel = result.data?.channel;

  if (!result.data) {
    return (
      <>
        <PageTitle title={login}>{login}</PageTitle>
        {result.error ? <ErrorNotice error={result.error} retry={refresh} /> : <Loading />}
      </>
    );
  }
  if (!channel) {
    return (
      <>
        <PageTitle title="No such channel">No channel “{login}”</PageTitle>
        <Empty>
          Streamlens has not seen a channel with this login. <Link href={appUrl('channels', { search: login })}>Search for it</Link>
        </Empty>
      </>
    );
  }

  return (
    <>
      <PageTitle
        title={channel.displayName}
        sub={
          <>
            <p class="lede">
              <span class="login">{channel.login}</span> · {languageName(channel.language)} ·{' '}
              {channel.game ? <Link href={appUrl(`game/${encodeURIComponent(channel.game.id)}`)}>{channel.game.name || channel.game.id}</Link> : 'no game'} ·
              last seen <Time at={channel.lastSeenAt} /> · stream started <Time at={channel.startedAt} />
            </p>
            <p class="title-line">“{channel.title}”</p>
            <UpdatedAt at={updatedAt} fetching={result.fetching} />
          </>
        }
      >
        {channel.displayName}
      </PageTitle>
      {result.error ? <ErrorNotice error={result.error} /> : null}

      {auth.ready ? <ViewerCurve login={channel.login} asked={loc.query.get('g')} rangeParam={loc.query.get('range')} /> : <Loading />}

      <section class="panel" aria-labelledby="stats-title">
        <h2 id="stats-title">Period stats</h2>
        <p class="muted">The current hour, day, week and month (UTC); coverage is the share of the period's minutes observed.</p>
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col" class="num">Hours watched</th>
                <th scope="col" class="num hide-narrow">Airtime</th>
                <th scope="col" class="num">Avg viewers</th>
                <th scope="col" class="num hide-narrow">Peak</th>
                <th scope="col" class="hide-narrow">Games</th>
                <th scope="col">Coverage</th>
              </tr>
            </thead>
            <tbody>
              {(['hour', 'day', 'week', 'month'] as const).map((key) => (
                <StatsRow key={key} name={key} stats={channel[key]} />
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div class="columns">
        <Broadcasts login={channel.login} />
        <History login={channel.login} />
      </div>
    </>
  );
}

function StatsRow({ name, stats }: { name: string; stats: ChannelStats | null }) {
  const label = name[0].toUpperCase() + name.slice(1);
  if (!stats) {
    return (
      <tr>
        <th scope="row">{label}</th>
        <td colSpan={6} class="muted">
          Not live this {name}
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
      <td class="num hide-narrow">{formatHours(stats.airtimeHours)}</td>
      <td class="num">
        <Num value={stats.averageViewers} />
      </td>
      <td class="num hide-narrow">
        <Num value={stats.peakViewers} />
        {stats.peakAt ? (
          <span class="sub">
            <Time at={stats.peakAt} style="hour" />
          </span>
        ) : null}
      </td>
      <td class="hide-narrow">
        {stats.games.slice(0, 3).map((g, i) => (
          <span key={g.gameId}>
            {i ? ', ' : ''}
            <Link href={appUrl(`game/${encodeURIComponent(g.gameId)}`)}>{g.game?.name || g.gameId}</Link>
          </span>
        ))}
        {stats.games.length > 3 ? ` +${stats.games.length - 3}` : ''}
      </td>
      <td>
        <CoverageBar coverage={stats.coverage} />
      </td>
    </tr>
  );
}

function ViewerCurve({ login, asked, rangeParam }: { login: string; asked: string | null; rangeParam: string | null }) {
  const loc = useLocation();
  const auth = useAuth();
  const mayReadMinutes = auth.can(MINUTE_PERMISSION);
  const { granularity, downgraded } = effectiveGranularity(asked, mayReadMinutes);
  const ranges = RANGES[granularity];
  const range = pick(ranges, rangeParam, DEFAULT_RANGE[granularity]);

  // The window ends now (to the minute); it moves on with every live update.
  const { count } = useLive();
  const minute = Math.floor(Date.now() / 60_000);
  const variables = useMemo(() => {
    const to = (minute + 1) * 60_000;
    return { login, granularity, from: new Date(to - range.ms).toISOString(), to: new Date(to).toISOString() };
  }, [login, granularity, range.ms, minute, count]);
  // Every live update reads the curve again, from the network: the window may have moved on before the series
  // arrived (any render after the minute turns moves it), and then the variables do not change with the update.
  const { result } = useLiveQuery<ChannelViewersData>({ query: CHANNEL_VIEWERS, variables });

  const errors: AppError[] = mapErrors(result.error);
  const forbidden = forbiddenAt(errors, 'viewers');
  const points = result.data?.channel?.viewers;
  const x = useMemo(() => (points ?? []).map((p) => Date.parse(p.at) / 1000), [points]);
  const chartSeries = useMemo<ChartSeries[]>(
    () => [{ label: granularity === 'MINUTE' ? 'Viewers' : 'Average viewers', values: (points ?? []).map((p) => p.viewers), color: '--chart-1' }],
    [points, granularity],
  );
  const span = useMemo<[number, number]>(
    () => [Date.parse(variables.from) / 1000, Date.parse(variables.to) / 1000],
    [variables],
  );
  const minuteNote = !mayReadMinutes
    ? {
        kind: 'forbidden' as const,
        code: 'FORBIDDEN',
        permission: MINUTE_PERMISSION,
        message: `Minute-by-minute viewers need the permission ${MINUTE_PERMISSION}, which only analysts and admins have; this curve shows ${granularity === 'DAY' ? 'daily' : 'hourly'} averages.`,
      }
    : null;

  return (
    <section class="panel" aria-labelledby="curve-title">
      <h2 id="curve-title">Viewers</h2>
      <div class="controls">
        <Choice
          label="Granularity"
          options={GRANULARITIES.map((g) => ({
            value: g.value,
            label: g.type === 'MINUTE' && !mayReadMinutes ? `${g.label} (needs ${MINUTE_PERMISSION})` : g.label,
          }))}
          current={granularity.toLowerCase()}
          href={(v) => withQuery(loc, { g: v, range: null })}
        />
        <Choice label="Range" options={ranges} current={range.value} href={(v) => withQuery(loc, { range: v })} />
      </div>
      {downgraded && minuteNote ? <Forbidden error={minuteNote} /> : null}
      {forbidden ? <Forbidden error={forbidden} what="Not shown." /> : null}
      {result.error && !forbidden ? <ErrorNotice error={result.error} /> : null}
      {!result.data && result.fetching ? <Loading label="Loading the curve…" /> : null}
      {points ? (
        points.length ? (
          <>
            <Chart
              x={x}
              series={chartSeries}
              range={span}
              step={granularity === 'MINUTE' ? 'minute' : granularity === 'HOUR' ? 'hour' : 'day'}
              label={`Viewers of ${login}, ${granularity === 'MINUTE' ? 'each minute' : granularity === 'HOUR' ? 'average per hour' : 'average per day'}, last ${range.label}`}
            />
          </>
        ) : (
          <Empty>Not live in the last {range.label}.</Empty>
        )
      ) : null}
      {!mayReadMinutes && !downgraded && !auth.me ? (
        <p class="muted">
          Minute data is there for analysts and admins: <Link href={appUrl('login', { next: loc.href })}>sign in</Link>.
        </p>
      ) : null}
    </section>
  );
}

/** Pages of a list read one after another ("Show more"): each page is its own request, after the previous cursor. */
function usePages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return { cursors, more: (cursor: string) => setCursors((c) => (c.includes(cursor) ? c : [...c, cursor])) };
}

function Broadcasts({ login }: { login: string }) {
  const { cursors, more } = usePages();
  return (
    <section class="panel" aria-labelledby="broadcasts-title">
      <h2 id="broadcasts-title">Broadcasts</h2>
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Start</th>
              <th scope="col" class="num">Length</th>
              <th scope="col" class="num">Hours watched</th>
              <th scope="col" class="num hide-narrow">Avg</th>
              <th scope="col" class="num hide-narrow">Peak</th>
              <th scope="col">Games</th>
            </tr>
          </thead>
          {cursors.map((after, i) => (
            <BroadcastPage key={after ?? ''} login={login} after={after} last={i === cursors.length - 1} more={more} />
          ))}
        </table>
      </div>
    </section>
  );
}

function BroadcastPage({ login, after, last, more }: { login: string; after: string | null; last: boolean; more: (c: string) => void }) {
  const { result } = useLiveQuery<ChannelBroadcastsData>({
    query: CHANNEL_BROADCASTS,
    variables: useMemo(() => ({ login, first: 10, after }), [login, after]),
  });
  const conn = result.data?.channel?.broadcasts;
  const names = useGameNames(conn?.edges.flatMap((e) => e.node.gameIds) ?? []);
  return (
    <tbody>
      {!conn ? (
        <tr>
          <td colSpan={6}>{result.error ? <ErrorNotice error={result.error} /> : <Loading />}</td>
        </tr>
      ) : conn.edges.length === 0 && !after ? (
        <tr>
          <td colSpan={6}>
            <Empty>No broadcast recorded yet.</Empty>
          </td>
        </tr>
      ) : (
        conn.edges.map(({ node }) => (
          <tr key={node.start}>
            <td>
              <Time at={node.start} />
              <span class="sub">
                to <Time at={node.end} style="time" />
              </span>
            </td>
            <td class="num">{formatHours(node.airtimeHours)}</td>
            <td class="num">{formatHours(node.hoursWatched)}</td>
            <td class="num hide-narrow">
              <Num value={node.averageViewers} />
            </td>
            <td class="num hide-narrow">
              <Num value={node.peakViewers} />
            </td>
            <td>
              {node.gameIds.map((id, i) => (
                <span key={id}>
                  {i ? ', ' : ''}
                  <Link href={appUrl(`game/${encodeURIComponent(id)}`)}>{names.get(id) ?? id}</Link>
                </span>
              ))}
            </td>
          </tr>
        ))
      )}
      {last && conn?.pageInfo.hasNextPage && conn.pageInfo.endCursor ? (
        <tr>
          <td colSpan={6}>
            <button type="button" class="button" onClick={() => more(conn.pageInfo.endCursor!)}>
              Show more broadcasts
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

function History({ login }: { login: string }) {
  const { cursors, more } = usePages();
  return (
    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">Title and game changes</h2>
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          {cursors.map((after, i) => (
            <HistoryPage key={after ?? ''} login={login} after={after} last={i === cursors.length - 1} more={more} />
          ))}
        </table>
      </div>
    </section>
  );
}

function HistoryPage({ login, after, last, more }: { login: string; after: string | null; last: boolean; more: (c: string) => void }) {
  const { result } = useLiveQuery<ChannelHistoryData>({
    query: CHANNEL_HISTORY,
    variables: useMemo(() => ({ login, first: 20, after }), [login, after]),
  });
  const conn = result.data?.channel?.history;
  const names = useGameNames(conn?.edges.filter((e) => e.node.kind === 'GAME').flatMap((e) => [e.node.from, e.node.to]) ?? []);
  const game = (id: string) =>
    id ? <Link href={appUrl(`game/${encodeURIComponent(id)}`)}>{names.get(id) ?? id}</Link> : <em>none</em>;
  return (
    <tbody>
      {!conn ? (
        <tr>
          <td colSpan={2}>{result.error ? <ErrorNotice error={result.error} /> : <Loading />}</td>
        </tr>
      ) : conn.edges.length === 0 && !after ? (
        <tr>
          <td colSpan={2}>
            <Empty>No title or game change seen yet.</Empty>
          </td>
        </tr>
      ) : (
        conn.edges.map(({ node }, i) => (
          <tr key={`${node.at}-${node.kind}-${i}`}>
            <td>
              <Time at={node.at} />
            </td>
            <td>
              {node.kind === 'GAME' ? (
                <>
                  Game: {game(node.from)} → {game(node.to)}
                </>
              ) : (
                <>
                  Title: <del>{node.from || '(none)'}</del> → <ins>{node.to}</ins>
                </>
              )}
            </td>
          </tr>
        ))
      )}
      {last && conn?.pageInfo.hasNextPage && conn.pageInfo.endCursor ? (
        <tr>
          <td colSpan={2}>
            <button type="button" class="button" onClick={() => more(conn.pageInfo.endCursor!)}>
              Show more changes
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}
