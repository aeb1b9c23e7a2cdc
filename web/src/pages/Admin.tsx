import { useMutation, useQuery } from '@urql/preact';
import { useMemo, useState } from 'preact/hooks';
import { useAuth } from '../auth';
import { Choice, Empty, ErrorNotice, Forbidden, Loading, PageTitle, Pager, Time, UpdatedAt } from '../components/bits';
import { forbiddenAt, mapErrors, primaryError } from '../errors';
import { formatAgo, formatInteger, formatMs } from '../format';
import {
  ADMIN_SERIES,
  ADMIN_SOURCES,
  ADMIN_USERS,
  BACKFILL,
  CREATE_API_KEY,
  CREATE_USER,
  PERMISSIONS,
  PULL_NOW,
  PUT_GROUP,
  REQUEUE_DEAD_JOBS,
  RERUN_SERIES,
  SERIES_RUNS,
  SET_GROUP_MEMBER,
  UPDATE_USER,
  type AdminSeriesData,
  type AdminSourcesData,
  type AdminUsersData,
  type BackfillData,
  type CreateApiKeyData,
  type PullNowData,
  type RequeueDeadJobsData,
  type RerunSeriesData,
  type Role,
  type SeriesRunsData,
  type SeriesStatus,
} from '../graphql/documents';
import { useLiveQuery } from '../hooks';
import { pick, previousPage, rememberPage } from '../params';
import { appUrl, Link, useLocation, withQuery } from '../router';
import type { CombinedError } from '@urql/core';

const STATUSES: { value: string; label: string; type: SeriesStatus }[] = [
  { value: 'ready', label: 'Ready', type: 'READY' },
  { value: 'running', label: 'Running', type: 'RUNNING' },
  { value: 'pending', label: 'Pending', type: 'PENDING' },
  { value: 'failed', label: 'Failed', type: 'FAILED' },
];
const ROLES: Role[] = ['VIEWER', 'ANALYST', 'ADMIN'];

/** The outcome of an action, said once in a live region. */
interface Outcome {
  ok: boolean;
  text: string;
}

function outcomeOf(error: CombinedError | undefined, ok: string): Outcome {
  if (!error) return { ok: true, text: ok };
  return { ok: false, text: primaryError(mapErrors(error))?.message ?? 'It did not work.' };
}

function Said({ outcome }: { outcome: Outcome | null }) {
  return (
    <p class={`outcome ${outcome ? (outcome.ok ? 'ok' : 'failed') : ''}`} role="status" aria-live="polite" data-testid="outcome">
      {outcome?.text ?? ''}
    </p>
  );
}

function Badge({ status }: { status: string }) {
  return <span class={`badge ${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

export function Admin() {
  const { me, ready } = useAuth();
  const loc = useLocation();
  return (
    <>
      <PageTitle title="Admin">Admin</PageTitle>
      {!ready ? <Loading /> : null}
      {ready && !me ? (
        <div class="notice info" role="note">
          <p>Running Streamlens (pulls, re-runs, dead jobs, users) needs an admin. Sources and series are shown read-only.</p>
          <p>
            <Link href={appUrl('login', { next: loc.href })}>Sign in as an admin</Link>
          </p>
        </div>
      ) : null}
      {ready && me && me.role !== 'ADMIN' ? (
        <div class="notice info" role="note">
          <p>
            You are signed in as {me.login} ({me.role.toLowerCase()}): the parts that need permissions you lack say so.
          </p>
        </div>
      ) : null}
      <nav class="toc" aria-label="Sections">
        <ul>
          <li>
            <a href="#sources">Sources</a>
          </li>
          <li>
            <a href="#series">Series</a>
          </li>
          <li>
            <a href="#dead-jobs">Dead jobs</a>
          </li>
          <li>
            <a href="#users">Users and groups</a>
          </li>
        </ul>
      </nav>
      <SourcesAndDeadJobs />
      <SeriesSection />
      {ready ? <UsersSection /> : null}
    </>
  );
}

function SourcesAndDeadJobs() {
  const { result, updatedAt, refresh } = useLiveQuery<AdminSourcesData>({ query: ADMIN_SOURCES });
  const [pulled, pullNow] = useMutation<PullNowData>(PULL_NOW);
  const [, requeue] = useMutation<RequeueDeadJobsData>(REQUEUE_DEAD_JOBS);
  const [, backfill] = useMutation<BackfillData>(BACKFILL);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [requeued, setRequeued] = useState<Outcome | null>(null);
  const errors = mapErrors(result.error);
  const deadForbidden = forbiddenAt(errors, 'deadJobs');
  const data = result.data;

  return (
    <>
      <section class="panel" id="sources" aria-labelledby="sources-title">
        <h2 id="sources-title">Sources</h2>
        <UpdatedAt at={updatedAt} fetching={result.fetching && !!data} />
        {result.error && !data ? <ErrorNotice error={result.error} retry={refresh} /> : null}
        {!data && result.fetching ? <Loading /> : null}
        {data ? (
          data.sources.length === 0 ? (
            <Empty>No source is configured.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col" class="hide-narrow">Schedule</th>
                    <th scope="col">Last pull</th>
                    <th scope="col" class="num">Records</th>
                    <th scope="col" class="num hide-narrow">Took</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.sources.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">
                        {s.id} <span class="sub">{s.kind}</span>
                      </th>
                      <td class="hide-narrow">
                        {s.schedule} <span class="sub">{s.slotMinutes}-minute slots</span>
                      </td>
                      <td>
                        {s.lastPull ? (
                          <>
                            <Badge status={s.lastPull.status} /> <Time at={s.lastPull.startedAt} seconds />
                            <span class="sub">
                              {s.lastPull.trigger} · {formatAgo(s.lastPull.startedAt)}
                            </span>
                          </>
                        ) : (
                          <span class="muted">never pulled</span>
                        )}
                      </td>
                      <td class="num">
                        {s.lastPull ? (
                          <>
                            {formatInteger(s.lastPull.records)}
                            <span class="sub">{formatInteger(s.lastPull.slots)} slots</span>
                          </>
                        ) : (
                          '–'
                        )}
                      </td>
                      <td class="num hide-narrow">
                        {s.lastPull?.finishedAt ? formatMs(Date.parse(s.lastPull.finishedAt) - Date.parse(s.lastPull.startedAt)) : '–'}
                      </td>
                      <td>
                        <button
                          type="button"
                          class="button"
                          disabled={pulled.fetching}
                          onClick={async () => {
                            const r = await pullNow({ source: s.id });
                            setOutcome(outcomeOf(r.error, `Pull of ${s.id} enqueued (pull ${r.data?.pullNow.pullId ?? ''}).`));
                            setTimeout(refresh, 1500);
                          }}
                        >
                          Pull now<span class="visually-hidden"> ({s.id})</span>
                        </button>
                        {s.kind === 'history' ? (
                          <BackfillForm
                            source={s.id}
                            run={async (from, to) => {
                              const r = await backfill({ source: s.id, from, to });
                              setOutcome(outcomeOf(r.error, `Backfill of ${s.id} enqueued (pull ${r.data?.backfill.pullId ?? ''}).`));
                            }}
                          />
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        ) : null}
        <Said outcome={outcome} />
      </section>

      <section class="panel" id="dead-jobs" aria-labelledby="dead-title">
        <h2 id="dead-title">Dead jobs</h2>
        {deadForbidden ? <Forbidden error={deadForbidden} /> : null}
        {data?.deadJobs ? (
          data.deadJobs.length === 0 ? (
            <Empty>No dead jobs: every job succeeded or is still being tried.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col">Job</th>
                    <th scope="col" class="num">Attempts</th>
                    <th scope="col">Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {data.deadJobs.map((job) => (
                    <tr key={`${job.queue}/${job.id}`}>
                      <td>{job.queue}</td>
                      <td>
                        <details>
                          <summary>{job.id}</summary>
                          <pre class="payload">{job.payload}</pre>
                        </details>
                      </td>
                      <td class="num">{job.attempts}</td>
                      <td class="error-text">{job.error}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        ) : null}
        {data?.deadJobs ? (
          <button
            type="button"
            class="button"
            disabled={data.deadJobs.length === 0}
            onClick={async () => {
              const r = await requeue({});
              const moved = r.data?.requeueDeadJobs ?? [];
              const total = moved.reduce((n, q) => n + q.jobs, 0);
              setRequeued(
                outcomeOf(
                  r.error,
                  total ? `Requeued ${total} ${total === 1 ? 'job' : 'jobs'}: ${moved.map((q) => `${q.jobs} in ${q.queue}`).join(', ')}.` : 'Nothing to requeue.',
                ),
              );
              refresh();
            }}
          >
            Requeue every dead job
          </button>
        ) : null}
        <Said outcome={requeued} />
      </section>
    </>
  );
}

function BackfillForm({ source, run }: { source: string; run: (from: string, to: string) => Promise<void> }) {
  return (
    <details class="inline-form">
      <summary>Backfill…</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget as HTMLFormElement);
          await run(new Date(`${data.get('from')}T00:00:00Z`).toISOString(), new Date(`${data.get('to')}T00:00:00Z`).toISOString());
        }}
      >
        <label>
          From (UTC day)
          <input type="date" name="from" required />
        </label>
        <label>
          To (UTC day, excluded)
          <input type="date" name="to" required />
        </label>
        <button type="submit" class="button">
          Backfill {source}
        </button>
      </form>
    </details>
  );
}

function SeriesSection() {
  const loc = useLocation();
  const status = pick(STATUSES, loc.query.get('status'), 'ready');
  const after = loc.query.get('after') || null;
  const { result, updatedAt, refresh } = useLiveQuery<AdminSeriesData>({
    query: ADMIN_SERIES,
    variables: useMemo(() => ({ status: status.type, first: 20, after }), [status.type, after]),
  });
  const [rerunState, rerun] = useMutation<RerunSeriesData>(RERUN_SERIES);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const { can } = useAuth();
  const conn = result.data?.seriesList;
  const runsForbidden = forbiddenAt(mapErrors(result.error), 'runs');
  if (conn?.pageInfo.endCursor) rememberPage(conn.pageInfo.endCursor, after);
  const prev = previousPage(after);

  return (
    <section class="panel" id="series" aria-labelledby="series-title">
      <h2 id="series-title">Series</h2>
      <Choice label="Status" options={STATUSES} current={status.value} href={(v) => withQuery(loc, { status: v, after: null })} />
      <UpdatedAt at={updatedAt} fetching={result.fetching && !!conn} />
      {runsForbidden ? <Forbidden error={runsForbidden} what="Run history is not shown." /> : null}
      {result.error && !conn ? <ErrorNotice error={result.error} retry={refresh} /> : null}
      {!conn && result.fetching ? <Loading /> : null}
      {conn ? (
        conn.edges.length === 0 ? (
          <Empty>No {status.label.toLowerCase()} series.</Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="data" data-testid="series">
                <thead>
                  <tr>
                    <th scope="col">Slot</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Records</th>
                    <th scope="col" class="hide-narrow">Last run</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                {conn.edges.map(({ node }) => {
                  const last = node.runs?.[0];
                  const expanded = open === node.id;
                  return (
                    <tbody key={node.id}>
                      <tr>
                        <th scope="row">
                          <Time at={node.slot} />
                          <span class="sub">{node.id}</span>
                        </th>
                        <td>
                          <Badge status={node.status} />
                        </td>
                        <td class="num">{formatInteger(node.records)}</td>
                        <td class="hide-narrow">
                          {last ? (
                            <>
                              <Badge status={last.status} /> {last.trigger}
                              {node.runs && node.runs.length > 1 ? <span class="sub">{node.runs.length} runs</span> : null}
                            </>
                          ) : (
                            '–'
                          )}
                        </td>
                        <td class="actions">
                          {node.runs != null ? (
                            <button
                              type="button"
                              class="button"
                              aria-expanded={expanded}
                              aria-controls={`runs-${node.id}`}
                              onClick={() => setOpen(expanded ? null : node.id)}
                            >
                              {expanded ? 'Hide runs' : 'Runs'}
                            </button>
                          ) : null}
                          {can('series:rerun') ? (
                            <button
                              type="button"
                              class="button"
                              disabled={rerunState.fetching}
                              onClick={async () => {
                                const r = await rerun({ id: node.id });
                                setOutcome(outcomeOf(r.error, `Re-run of ${node.id} enqueued: run ${r.data?.rerunSeries.runId ?? ''}.`));
                                setOpen(node.id);
                              }}
                            >
                              Re-run
                            </button>
                          ) : null}
                        </td>
                      </tr>
                      {expanded ? (
                        <tr id={`runs-${node.id}`}>
                          <td colSpan={5}>
                            <Runs id={node.id} />
                          </td>
                        </tr>
                      ) : null}
                    </tbody>
                  );
                })}
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
      <Said outcome={outcome} />
    </section>
  );
}

function Runs({ id }: { id: string }) {
  // Runs of one series: read again with every live update, so a re-run is seen going through its steps.
  const { result } = useLiveQuery<SeriesRunsData>({ query: SERIES_RUNS, variables: useMemo(() => ({ id }), [id]) });
  const runs = result.data?.series?.runs;
  if (result.error && !runs) return <ErrorNotice error={result.error} />;
  if (!runs) return <Loading label="Loading runs…" />;
  if (runs.length === 0) return <Empty>No run yet.</Empty>;
  return (
    <ol class="runs">
      {runs.map((run) => {
        const longest = Math.max(1, ...run.steps.map((s) => s.durationMs ?? 0));
        return (
          <li key={run.id} class="run">
            <p>
              <Badge status={run.status} /> run <code>{run.id}</code> · {run.trigger} · attempt {run.attempts} · started{' '}
              <Time at={run.startedAt} seconds />
              {run.finishedAt ? <> · took {formatMs(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}</> : null}
            </p>
            {run.error ? <p class="error-text">{run.error}</p> : null}
            <div class="table-wrap">
              <table class="data steps">
                <caption class="visually-hidden">Steps of run {run.id}</caption>
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">Time</th>
                    <th scope="col" class="hide-narrow">
                      <span class="visually-hidden">Time, as a bar</span>
                    </th>
                    <th scope="col">Output</th>
                  </tr>
                </thead>
                <tbody>
                  {run.steps.map((step) => (
                    <tr key={step.name}>
                      <th scope="row">{step.name}</th>
                      <td>
                        <Badge status={step.status} />
                        {step.attempts > 1 ? <span class="sub">{step.attempts} attempts</span> : null}
                      </td>
                      <td class="num">{formatMs(step.durationMs)}</td>
                      <td class="hide-narrow bar-cell" aria-hidden="true">
                        <span class="bar" style={{ width: `${Math.round(((step.durationMs ?? 0) / longest) * 100)}%` }} />
                      </td>
                      <td>
                        {step.error ? <span class="error-text">{step.error} </span> : null}
                        <span class="counts">{step.counts.map((c) => `${c.name} ${formatInteger(c.value)}`).join(' · ')}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function UsersSection() {
  const { can } = useAuth();
  const [result, reexecute] = useQuery<AdminUsersData>({ query: ADMIN_USERS, variables: { first: 100 }, pause: !can('users:manage') });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  const [, createUser] = useMutation(CREATE_USER);
  const [, updateUser] = useMutation(UPDATE_USER);
  const [, putGroup] = useMutation(PUT_GROUP);
  const [, setMember] = useMutation(SET_GROUP_MEMBER);
  const [, createKey] = useMutation<CreateApiKeyData>(CREATE_API_KEY);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [newKey, setNewKey] = useState<string | null>(null);

  if (!can('users:manage')) {
    return (
      <section class="panel" id="users" aria-labelledby="users-title">
        <h2 id="users-title">Users and groups</h2>
        <Forbidden error={{ kind: 'forbidden', code: 'FORBIDDEN', permission: 'users:manage', message: 'Users and groups need the permission users:manage, which only admins have.' }} />
      </section>
    );
  }
  const users = result.data?.users.edges.map((e) => e.node) ?? [];
  const groups = result.data?.groups ?? [];
  const act = async (p: Promise<{ error?: CombinedError }>, ok: string) => {
    const r = await p;
    setOutcome(outcomeOf(r.error, ok));
    if (!r.error) refresh();
    return !r.error;
  };

  return (
    <section class="panel" id="users" aria-labelledby="users-title">
      <h2 id="users-title">Users and groups</h2>
      {result.error && !result.data ? <ErrorNotice error={result.error} retry={refresh} /> : null}
      {!result.data && result.fetching ? <Loading /> : null}
      {result.data ? (
        <>
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">Login</th>
                  <th scope="col">Role</th>
                  <th scope="col">Signed in with</th>
                  <th scope="col" class="hide-narrow">Created</th>
                  <th scope="col">Access</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.login}>
                    <th scope="row">{u.login}</th>
                    <td>
                      <label class="visually-hidden" for={`role-${u.login}`}>
                        Role of {u.login}
                      </label>
                      <select
                        id={`role-${u.login}`}
                        value={u.role}
                        onChange={(e) =>
                          act(updateUser({ login: u.login, role: (e.currentTarget as HTMLSelectElement).value }), `${u.login} is now ${(e.currentTarget as HTMLSelectElement).value.toLowerCase()}.`)
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r.toLowerCase()}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{u.serviceAccount ? 'API keys' : 'password'}</td>
                    <td class="hide-narrow">
                      <Time at={u.createdAt} style="date" />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="button"
                        onClick={() => act(updateUser({ login: u.login, disabled: !u.disabled }), `${u.login} is ${u.disabled ? 'enabled' : 'disabled'}.`)}
                      >
                        {u.disabled ? `Enable ${u.login}` : `Disable ${u.login}`}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <div class="forms">
            <form
              class="card-form"
              onSubmit={async (e) => {
                e.preventDefault();
                const form = e.currentTarget as HTMLFormElement;
                const d = new FormData(form);
                const password = String(d.get('password') ?? '');
                if (await act(createUser({ login: d.get('login'), password: password || null, role: d.get('role') }), `Created ${d.get('login')}.`)) form.reset();
              }}
            >
              <h3>New user</h3>
              <label>
                Login
                <input name="login" required autoComplete="off" />
              </label>
              <label>
                Password <span class="sub">at least 12 characters; none for a service account</span>
                <input name="password" type="password" minLength={12} autoComplete="new-password" />
              </label>
              <label>
                Role
                <select name="role">
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r.toLowerCase()}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" class="button primary">
                Create user
              </button>
            </form>

            <form
              class="card-form"
              onSubmit={async (e) => {
                e.preventDefault();
                const d = new FormData(e.currentTarget as HTMLFormElement);
                const r = await createKey({ login: d.get('login'), name: d.get('name') });
                setOutcome(outcomeOf(r.error, `API key “${d.get('name')}” created for ${d.get('login')}: copy it now, it is not shown again.`));
                setNewKey(r.data?.createApiKey.key ?? null);
              }}
            >
              <h3>New API key</h3>
              <label>
                For
                <select name="login">
                  {users.map((u) => (
                    <option key={u.login} value={u.login}>
                      {u.login}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Name
                <input name="name" required autoComplete="off" />
              </label>
              <button type="submit" class="button">
                Create key
              </button>
              {newKey ? (
                <p>
                  <label>
                    The key (shown once)
                    <input readOnly value={newKey} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
                  </label>
                </p>
              ) : null}
            </form>
          </div>

          <h3>Groups</h3>
          {groups.length === 0 ? (
            <Empty>No groups yet: a group grants its members permissions beyond their role.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">Permissions</th>
                    <th scope="col">What for</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.map((g) => (
                    <tr key={g.name}>
                      <th scope="row">{g.name}</th>
                      <td>{g.permissions.join(', ') || '–'}</td>
                      <td>{g.description || '–'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <div class="forms">
            <form
              class="card-form"
              onSubmit={async (e) => {
                e.preventDefault();
                const form = e.currentTarget as HTMLFormElement;
                const d = new FormData(form);
                if (
                  await act(
                    putGroup({ name: d.get('name'), permissions: d.getAll('permissions'), description: String(d.get('description') ?? '') }),
                    `Saved the group ${d.get('name')}.`,
                  )
                )
                  form.reset();
              }}
            >
              <h3>Create or replace a group</h3>
              <label>
                Name
                <input name="name" required autoComplete="off" />
              </label>
              <label>
                What for
                <input name="description" autoComplete="off" />
              </label>
              <fieldset>
                <legend>Permissions</legend>
                {PERMISSIONS.map((p) => (
                  <label key={p} class="check">
                    <input type="checkbox" name="permissions" value={p} /> {p}
                  </label>
                ))}
              </fieldset>
              <button type="submit" class="button">
                Save group
              </button>
            </form>

            <form
              class="card-form"
              onSubmit={async (e) => {
                e.preventDefault();
                const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
                const member = submitter?.value !== 'remove';
                const d = new FormData(e.currentTarget as HTMLFormElement);
                await act(
                  setMember({ login: d.get('login'), group: d.get('group'), member }),
                  `${d.get('login')} is ${member ? 'now in' : 'no longer in'} ${d.get('group')}.`,
                );
              }}
            >
              <h3>Group membership</h3>
              <label>
                User
                <select name="login">
                  {users.map((u) => (
                    <option key={u.login} value={u.login}>
                      {u.login}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Group
                <select name="group" required>
                  {groups.map((g) => (
                    <option key={g.name} value={g.name}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </label>
              <p class="actions">
                <button type="submit" class="button" value="add" disabled={groups.length === 0}>
                  Add to group
                </button>
                <button type="submit" class="button" value="remove" disabled={groups.length === 0}>
                  Remove from group
                </button>
              </p>
            </form>
          </div>
        </>
      ) : null}
      <Said outcome={outcome} />
    </section>
  );
}
