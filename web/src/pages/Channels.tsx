import { useMemo } from 'preact/hooks';
import { Empty, ErrorNotice, Loading, Num, PageTitle, Pager, Time } from '../components/bits';
import { languageName } from '../format';
import { CHANNEL_SEARCH, type ChannelSearchData } from '../graphql/documents';
import { useLiveQuery } from '../hooks';
import { previousPage, rememberPage } from '../params';
import { appUrl, Link, navigate, useLocation, withQuery } from '../router';

export function Channels() {
  const loc = useLocation();
  const search = (loc.query.get('search') ?? '').trim();
  const after = loc.query.get('after') || null;
  const { result, refresh } = useLiveQuery<ChannelSearchData>({
    query: CHANNEL_SEARCH,
    variables: useMemo(() => ({ search, first: 25, after }), [search, after]),
    pause: !search,
  });
  const conn = result.data?.channels;
  if (conn?.pageInfo.endCursor) rememberPage(conn.pageInfo.endCursor, after);
  const prev = previousPage(after);
  return (
    <>
      <PageTitle title={search ? `Channels “${search}”` : 'Channels'}>Channels</PageTitle>
      <form
        class="filters"
        role="search"
        aria-label="Channel search"
        onSubmit={(e) => {
          e.preventDefault();
          const value = ((e.currentTarget as HTMLFormElement).elements.namedItem('q') as HTMLInputElement).value.trim();
          navigate(appUrl('channels', { search: value }));
        }}
      >
        <label>
          Logins starting with
          <input name="q" type="search" defaultValue={search} autoComplete="off" />
        </label>
        <button type="submit" class="button">
          Find
        </button>
      </form>
      {!search ? <Empty>Type the start of a channel's login.</Empty> : null}
      {result.error && !conn ? <ErrorNotice error={result.error} retry={refresh} /> : null}
      {search && !conn && result.fetching ? <Loading /> : null}
      {conn ? (
        conn.edges.length === 0 ? (
          <Empty>No channel's login starts with “{search}”.</Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Game</th>
                    <th scope="col" class="hide-narrow">Language</th>
                    <th scope="col" class="num">Viewers now</th>
                    <th scope="col" class="hide-narrow">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {conn.edges.map(({ node, viewers }) => (
                    <tr key={node.id}>
                      <td>
                        <Link href={appUrl(`channel/${encodeURIComponent(node.login)}`)}>{node.displayName}</Link>
                        <span class="sub">{node.login}</span>
                      </td>
                      <td>{node.game?.name || '–'}</td>
                      <td class="hide-narrow">{languageName(node.language)}</td>
                      <td class="num">{viewers != null ? <Num value={viewers} /> : <span class="muted">offline</span>}</td>
                      <td class="hide-narrow">
                        <Time at={node.lastSeenAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              hasNext={conn.pageInfo.hasNextPage}
              nextHref={withQuery(loc, { after: conn.pageInfo.endCursor })}
              prevHref={after ? withQuery(loc, { after: prev || null }) : null}
              firstHref={after ? withQuery(loc, { after: null }) : null}
            />
          </>
        )
      ) : null}
    </>
  );
}
