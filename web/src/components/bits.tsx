// Small pieces every page uses: times, states, notices, rank changes, stat tiles, pagination.
import { useEffect } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  describeRankChange,
  formatCompact,
  formatInteger,
  formatPercent,
  formatTime,
  formatUtc,
  type TimeStyle,
} from '../format';
import { mapErrors, primaryError, type AppError, type RawCombinedError } from '../errors';
import { appUrl, Link, useLocation } from '../router';
import { useAuth } from '../auth';
import type { Coverage } from '../graphql/documents';

/** An instant in the viewer's zone, with the UTC instant on hover. */
export function Time({ at, style = 'datetime', seconds }: { at: string | null | undefined; style?: TimeStyle; seconds?: boolean }) {
  if (!at) return <span>–</span>;
  return (
    <time dateTime={at} title={formatUtc(at)}>
      {formatTime(at, style, { seconds })}
    </time>
  );
}

/** A count, compact, with the exact figure on hover. */
export function Num({ value }: { value: number | null | undefined }) {
  if (value == null) return <span>–</span>;
  return <span title={formatInteger(value)}>{formatCompact(value)}</span>;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

/** Says what went wrong with a request, the way the person can act on it. */
export function ErrorNotice({
  error,
  errors,
  retry,
}: {
  error?: RawCombinedError | null;
  errors?: AppError[];
  retry?: () => void;
}) {
  const all = errors ?? mapErrors(error);
  const main = primaryError(all);
  if (!main) return null;
  if (main.kind === 'forbidden') return <Forbidden error={main} />;
  return (
    <div class="notice error" role="alert">
      <p>
        <strong>{title(main.kind)}</strong> {main.message}
      </p>
      {main.kind === 'unauthenticated' ? (
        <p>
          <Link href={appUrl('login')}>Sign in</Link>
        </p>
      ) : retry ? (
        <p>
          <button type="button" class="button" onClick={retry}>
            Retry
          </button>
        </p>
      ) : null}
    </div>
  );
}

function title(kind: AppError['kind']): string {
  switch (kind) {
    case 'network':
      return 'No connection.';
    case 'unauthenticated':
      return 'Signed out.';
    case 'bad-input':
      return 'Not possible.';
    case 'not-found':
      return 'Not found.';
    case 'rate-limited':
      return 'Slow down.';
    case 'timeout':
      return 'Too slow.';
    default:
      return 'Error.';
  }
}

/** What the caller's role may not see, and how to get it. */
export function Forbidden({ error, what }: { error: AppError; what?: string }) {
  const { me } = useAuth();
  const loc = useLocation();
  const who = me ? `You are signed in as ${me.login} (${me.role.toLowerCase()}).` : 'You are browsing without signing in.';
  return (
    <div class="notice info" role="note" data-testid="forbidden">
      <p>
        {what ? <strong>{what} </strong> : null}
        {error.message} {who}
      </p>
      {!me ? (
        <p>
          <Link href={appUrl('login', { next: loc.href })}>Sign in for more</Link>
        </p>
      ) : null}
    </div>
  );
}

/** A ranking's rank change as an arrow, with words for screen readers. */
export function RankChange({ change, previousRank }: { change: number | null; previousRank: number | null }) {
  const d = describeRankChange(change, previousRank);
  return (
    <span class={`rank-change ${d.direction}`} title={d.label}>
      <span aria-hidden="true">
        {d.symbol}
        {d.text}
      </span>
      <span class="visually-hidden">{d.label}</span>
    </span>
  );
}

export function CoverageBar({ coverage }: { coverage: Coverage | null | undefined }) {
  if (!coverage) return <span>–</span>;
  const label = `${formatInteger(coverage.observedSlots)} of ${formatInteger(coverage.expectedSlots)} slots observed`;
  return (
    <span class="coverage" title={label}>
      <meter min={0} max={1} value={coverage.ratio} aria-label={label} />
      <span>{formatPercent(coverage.ratio)}</span>
    </span>
  );
}

export function Stat({ label, children, hint }: { label: string; children: ComponentChildren; hint?: ComponentChildren }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{children}</span>
        {hint ? <span class="stat-hint">{hint}</span> : null}
      </dd>
    </div>
  );
}

/** "Updated 13:04:05": when the page last read its numbers; it moves with every live update. */
export function UpdatedAt({ at, fetching }: { at: Date | null; fetching?: boolean }) {
  return (
    <p class="updated" aria-live="polite" data-testid="updated-at" data-updated={at ? at.getTime() : ''}>
      {at ? (
        <>
          Updated <Time at={at.toISOString()} style="time" seconds />
        </>
      ) : (
        'Not loaded yet'
      )}
      {fetching ? <span class="refreshing"> · refreshing…</span> : null}
    </p>
  );
}

/** Links between the pages of a Relay list: the first page, and the next one when there is one. */
export function Pager({
  hasNext,
  nextHref,
  prevHref,
  firstHref,
  summary,
}: {
  hasNext: boolean;
  nextHref: string;
  prevHref?: string | null;
  firstHref?: string | null;
  summary?: ComponentChildren;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      {firstHref ? <Link href={firstHref}>« First</Link> : <span aria-hidden="true" class="disabled">« First</span>}
      {prevHref ? (
        <Link href={prevHref} rel="prev">
          ‹ Previous
        </Link>
      ) : (
        <span aria-hidden="true" class="disabled">‹ Previous</span>
      )}
      {summary ? <span class="pager-summary">{summary}</span> : null}
      {hasNext ? (
        <Link href={nextHref} rel="next">
          Next ›
        </Link>
      ) : (
        <span aria-hidden="true" class="disabled">Next ›</span>
      )}
    </nav>
  );
}

/** A row of links choosing one value of a query parameter (period, metric…): each is a real link. */
export function Choice<T extends string>({
  label,
  options,
  current,
  href,
}: {
  label: string;
  options: { value: T; label: string }[];
  current: T;
  href: (value: T) => string;
}) {
  return (
    <nav class="choice" aria-label={label}>
      <span class="choice-label" aria-hidden="true">
        {label}
      </span>
      <ul>
        {options.map((o) => (
          <li key={o.value}>
            <Link href={href(o.value)} aria-current={o.value === current ? 'true' : undefined}>
              {o.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The page's heading (focused after a navigation) and the document title. */
export function PageTitle({ children, title, sub }: { children: ComponentChildren; title: string; sub?: ComponentChildren }) {
  useEffect(() => {
    document.title = title ? `${title} · Streamlens` : 'Streamlens';
  }, [title]);
  return (
    <div class="page-title">
      <h1 tabIndex={-1}>{children}</h1>
      {sub ? <div class="page-sub">{sub}</div> : null}
    </div>
  );
}
