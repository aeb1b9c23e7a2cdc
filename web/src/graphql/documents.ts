// Every GraphQL document the dashboard sends, with the types of what comes back. Field names and arguments are
// those of schema.graphql at the repository root; test/documents.test.ts validates every document against it.

export type PeriodType = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';
export type RankedEntity = 'CHANNEL' | 'GAME';
export type RankingMetric = 'HOURS_WATCHED' | 'AVERAGE_VIEWERS' | 'PEAK_VIEWERS';
export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';
export type SeriesStatus = 'PENDING' | 'RUNNING' | 'READY' | 'FAILED';
export type Role = 'VIEWER' | 'ANALYST' | 'ADMIN';

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface Period {
  kind: PeriodType;
  label: string;
  start: string;
  end: string;
}
export interface Coverage {
  observedSlots: number;
  expectedSlots: number;
  ratio: number;
}
export interface GameRef {
  id: string;
  name: string;
}
export interface ChannelRef {
  id: string;
  login: string;
  displayName: string;
  language: string | null;
  game: GameRef | null;
}
export interface GroupStats {
  period: Period;
  hoursWatched: number;
  hoursStreamed: number;
  averageViewers: number | null;
  averageChannels: number | null;
  viewerRatio: number | null;
  peakViewers: number | null;
  peakViewersAt: string | null;
  peakChannels: number | null;
  peakChannelsAt: string | null;
  uniqueStreamers: number;
  coverage: Coverage;
}
export interface HourPoint {
  period: { start: string };
  averageViewers: number | null;
  averageChannels: number | null;
}
export interface RankingRow {
  rank: number;
  id: string;
  value: number;
  previousRank: number | null;
  rankChange: number | null;
  channel?: ChannelRef | null;
  game?: GameRef | null;
}
export interface RankingConnection {
  totalCount: number;
  period: Period;
  pageInfo: PageInfo;
  edges: { cursor: string; node: RankingRow }[];
}

const COVERAGE = 'coverage { observedSlots expectedSlots ratio }';
const PERIOD = 'period { kind label start end }';
const GROUP_STATS = `${PERIOD} hoursWatched hoursStreamed averageViewers averageChannels viewerRatio peakViewers
  peakViewersAt peakChannels peakChannelsAt uniqueStreamers ${COVERAGE}`;
const CHANNEL_REF = 'id login displayName language game { id name }';

/** How many hourly points the 24-hour charts read (one aliased stats field per hour). */
export const CHART_HOURS = 24;
/** How many daily points the 30-day charts read. */
export const CHART_DAYS = 30;

function aliased(count: number, prefix: string, field: (variable: string) => string): string {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}: ${field(`$${prefix}${i}`)}`).join('\n    ');
}
function variables(count: number, prefix: string, type: string): string {
  return Array.from({ length: count }, (_, i) => `$${prefix}${i}: ${type}`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// The caller

export const ME = /* GraphQL */ `
  query Me {
    me { login role permissions credential }
  }
`;
export interface MeData {
  me: { login: string; role: Role; permissions: string[]; credential: string } | null;
}

export const LOGIN = /* GraphQL */ `
  mutation Login($login: String!, $password: String!) {
    login(login: $login, password: $password) { token expiresAt user { login role } }
  }
`;
export interface LoginData {
  login: { token: string; expiresAt: string; user: { login: string; role: Role } };
}

// ---------------------------------------------------------------------------------------------------------------
// Live

export const SERIES_READY = /* GraphQL */ `
  subscription SeriesReady {
    seriesReady { series source slot finishedAt }
  }
`;
export interface SeriesReadyData {
  seriesReady: { series: string; source: string; slot: string; finishedAt: string };
}

export const RANKINGS_UPDATED = /* GraphQL */ `
  subscription RankingsUpdated($period: PeriodType!) {
    rankingsUpdated(period: $period) { source period { kind label } }
  }
`;
export interface RankingsUpdatedData {
  rankingsUpdated: { source: string; period: { kind: PeriodType; label: string } };
}

// ---------------------------------------------------------------------------------------------------------------
// Overview

export const OVERVIEW = /* GraphQL */ `
  query Overview {
    now: platform(period: HOUR) { ${GROUP_STATS} }
    today: platform(period: DAY) { ${GROUP_STATS} }
    latest: seriesList(status: READY, first: 1) { edges { node { id slot records } } }
    live: channels(filter: { live: true }, first: 10) {
      edges { viewers node { ${CHANNEL_REF} title startedAt } }
    }
    games: rankings(entity: GAME, metric: AVERAGE_VIEWERS, period: HOUR, first: 10) {
      totalCount
      edges { node { rank id value previousRank rankChange game { id name } } }
    }
  }
`;
export interface OverviewData {
  now: GroupStats | null;
  today: GroupStats | null;
  latest: { edges: { node: { id: string; slot: string; records: number } }[] };
  live: {
    edges: { viewers: number | null; node: ChannelRef & { title: string; startedAt: string } }[];
  };
  games: { totalCount: number; edges: { node: RankingRow }[] };
}

/** The platform's average viewers and channels for each of the last 24 hours (`$h0` … `$h23`: instants in them). */
export const PLATFORM_HOURS = /* GraphQL */ `
  query PlatformHours(${variables(CHART_HOURS, 'h', 'DateTime')}) {
    ${aliased(CHART_HOURS, 'h', (v) => `platform(period: HOUR, at: ${v}) { period { start } averageViewers averageChannels }`)}
  }
`;
export type PointsData = Record<string, HourPoint | null>;

// ---------------------------------------------------------------------------------------------------------------
// Rankings

export const RANKINGS = /* GraphQL */ `
  query Rankings(
    $entity: RankedEntity!
    $metric: RankingMetric!
    $period: PeriodType!
    $at: DateTime
    $language: String
    $gameId: ID
    $first: Int!
    $after: String
  ) {
    rankings(
      entity: $entity
      metric: $metric
      period: $period
      at: $at
      language: $language
      gameId: $gameId
      first: $first
      after: $after
    ) {
      totalCount
      ${PERIOD}
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          rank id value previousRank rankChange
          channel { ${CHANNEL_REF} }
          game { id name }
        }
      }
    }
  }
`;
export interface RankingsData {
  rankings: RankingConnection;
}

/** What the ranking filters offer: the period's languages and its top games. */
export const RANKING_FILTERS = /* GraphQL */ `
  query RankingFilters($period: PeriodType!, $at: DateTime) {
    languages(period: $period, at: $at) { language stats { hoursWatched } }
    games(period: $period, at: $at, first: 100) { edges { node { id game { id name } } } }
  }
`;
export interface RankingFiltersData {
  languages: { language: string; stats: { hoursWatched: number } }[];
  games: { edges: { node: { id: string; game: GameRef | null } }[] };
}

// ---------------------------------------------------------------------------------------------------------------
// Channel

const CHANNEL_STATS = `${PERIOD} hoursWatched airtimeHours averageViewers peakViewers peakAt
  games { gameId hoursWatched game { id name } } ${COVERAGE}`;

export const CHANNEL = /* GraphQL */ `
  query Channel($login: String!) {
    channel(login: $login) {
      id login displayName language title startedAt lastSeenAt
      game { id name }
      hour: stats(period: HOUR) { ${CHANNEL_STATS} }
      day: stats(period: DAY) { ${CHANNEL_STATS} }
      week: stats(period: WEEK) { ${CHANNEL_STATS} }
      month: stats(period: MONTH) { ${CHANNEL_STATS} }
    }
  }
`;
export interface ChannelStats {
  period: Period;
  hoursWatched: number;
  airtimeHours: number;
  averageViewers: number | null;
  peakViewers: number | null;
  peakAt: string | null;
  games: { gameId: string; hoursWatched: number; game: GameRef | null }[];
  coverage: Coverage;
}
export interface ChannelData {
  channel:
    | (ChannelRef & {
        title: string;
        startedAt: string;
        lastSeenAt: string;
        hour: ChannelStats | null;
        day: ChannelStats | null;
        week: ChannelStats | null;
        month: ChannelStats | null;
      })
    | null;
}

export const CHANNEL_VIEWERS = /* GraphQL */ `
  query ChannelViewers($login: String!, $from: DateTime!, $to: DateTime!, $granularity: Granularity!) {
    channel(login: $login) {
      id
      viewers(from: $from, to: $to, granularity: $granularity) { at viewers }
    }
  }
`;
export interface ChannelViewersData {
  channel: { id: string; viewers?: { at: string; viewers: number }[] | null } | null;
}

export const CHANNEL_BROADCASTS = /* GraphQL */ `
  query ChannelBroadcasts($login: String!, $first: Int!, $after: String) {
    channel(login: $login) {
      id
      broadcasts(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { start end hoursWatched airtimeHours averageViewers peakViewers gameIds } }
      }
    }
  }
`;
export interface Broadcast {
  start: string;
  end: string;
  hoursWatched: number;
  airtimeHours: number;
  averageViewers: number | null;
  peakViewers: number | null;
  gameIds: string[];
}
export interface ChannelBroadcastsData {
  channel: { id: string; broadcasts: { pageInfo: PageInfo; edges: { cursor: string; node: Broadcast }[] } } | null;
}

export const CHANNEL_HISTORY = /* GraphQL */ `
  query ChannelHistory($login: String!, $first: Int!, $after: String) {
    channel(login: $login) {
      id
      history(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { at kind from to } }
      }
    }
  }
`;
export interface ChangeEntry {
  at: string;
  kind: 'TITLE' | 'GAME';
  from: string;
  to: string;
}
export interface ChannelHistoryData {
  channel: { id: string; history: { pageInfo: PageInfo; edges: { cursor: string; node: ChangeEntry }[] } } | null;
}

/** Most game names one `gameNames` document asks for (each is an alias; the gateway allows 50). */
export const MAX_GAME_NAMES = 40;

/** A document reading the names of `count` games (`$g0` … : their ids). */
export function gameNamesDocument(count: number): string {
  const n = Math.max(1, Math.min(count, MAX_GAME_NAMES));
  return `query GameNames(${variables(n, 'g', 'ID!')}) {
    ${aliased(n, 'g', (v) => `game(id: ${v}) { id name }`)}
  }`;
}
export type GameNamesData = Record<string, GameRef | null>;

// ---------------------------------------------------------------------------------------------------------------
// Game

export const GAME = /* GraphQL */ `
  query Game($id: ID!, $period: PeriodType!, $metric: RankingMetric!, $first: Int!, $after: String) {
    game(id: $id) {
      id name
      hour: stats(period: HOUR) { ${GROUP_STATS} }
      day: stats(period: DAY) { ${GROUP_STATS} }
      week: stats(period: WEEK) { ${GROUP_STATS} }
      month: stats(period: MONTH) { ${GROUP_STATS} }
      topChannels(period: $period, metric: $metric, first: $first, after: $after) {
        totalCount
        ${PERIOD}
        pageInfo { hasNextPage endCursor }
        edges { cursor node { rank id value previousRank rankChange channel { ${CHANNEL_REF} } } }
      }
    }
  }
`;
export interface GameData {
  game:
    | (GameRef & {
        hour: GroupStats | null;
        day: GroupStats | null;
        week: GroupStats | null;
        month: GroupStats | null;
        topChannels: RankingConnection;
      })
    | null;
}

export const GAME_HOURS = /* GraphQL */ `
  query GameHours($id: ID!, ${variables(CHART_HOURS, 'h', 'DateTime')}) {
    game(id: $id) {
      id
      ${aliased(CHART_HOURS, 'h', (v) => `stats(period: HOUR, at: ${v}) { period { start } averageViewers averageChannels }`)}
    }
  }
`;
export const GAME_DAYS = /* GraphQL */ `
  query GameDays($id: ID!, ${variables(CHART_DAYS, 'd', 'DateTime')}) {
    game(id: $id) {
      id
      ${aliased(CHART_DAYS, 'd', (v) => `stats(period: DAY, at: ${v}) { period { start } averageViewers averageChannels }`)}
    }
  }
`;
export interface GamePointsData {
  game: (Record<string, HourPoint | null> & { id: string }) | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Channel search

export const CHANNEL_SEARCH = /* GraphQL */ `
  query ChannelSearch($search: String!, $first: Int!, $after: String) {
    channels(filter: { search: $search }, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor viewers node { ${CHANNEL_REF} lastSeenAt } }
    }
  }
`;
export interface ChannelSearchData {
  channels: {
    pageInfo: PageInfo;
    edges: { cursor: string; viewers: number | null; node: ChannelRef & { lastSeenAt: string } }[];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Admin
//
// Each admin document also asks for `me`: the gateway never answers such a query from its response cache (which
// only moves with new series, docs/API.md "Caching"), so a pull, re-run, requeue or user change shows at once.

export const ADMIN_SOURCES = /* GraphQL */ `
  query AdminSources {
    me { login }
    sources {
      id kind schedule slotMinutes
      lastPull { id trigger status startedAt finishedAt records slots }
    }
    deadJobs { queue id attempts error payload }
  }
`;
export interface Pull {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  records: number;
  slots: number;
}
export interface AdminSourcesData {
  sources: { id: string; kind: string; schedule: string; slotMinutes: number; lastPull: Pull | null }[];
  deadJobs?: { queue: string; id: string; attempts: number; error: string; payload: string }[] | null;
}

export const ADMIN_SERIES = /* GraphQL */ `
  query AdminSeries($source: ID, $status: SeriesStatusType!, $first: Int!, $after: String) {
    me { login }
    seriesList(source: $source, status: $status, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id source slot status records createdAt updatedAt
          runs { id trigger status attempts startedAt finishedAt }
        }
      }
    }
  }
`;
export interface RunSummary {
  id: string;
  trigger: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}
export interface SeriesRow {
  id: string;
  source: string;
  slot: string;
  status: SeriesStatus;
  records: number;
  createdAt: string;
  updatedAt: string;
  runs?: RunSummary[] | null;
}
export interface AdminSeriesData {
  seriesList: { pageInfo: PageInfo; edges: { cursor: string; node: SeriesRow }[] };
}

export const SERIES_RUNS = /* GraphQL */ `
  query SeriesRuns($id: ID!) {
    me { login }
    series(id: $id) {
      id status
      runs {
        id trigger status attempts startedAt finishedAt error
        steps { name status attempts startedAt finishedAt durationMs error counts { name value } }
      }
    }
  }
`;
export interface StepRun {
  name: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  counts: { name: string; value: number }[];
}
export interface SeriesRunsData {
  series: {
    id: string;
    status: SeriesStatus;
    runs?: (RunSummary & { error: string | null; steps: StepRun[] })[] | null;
  } | null;
}

export const ADMIN_USERS = /* GraphQL */ `
  query AdminUsers($first: Int!, $after: String) {
    me { login }
    users(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { login role disabled serviceAccount createdAt updatedAt } }
    }
    groups { name permissions description }
  }
`;
export interface UserRow {
  login: string;
  role: Role;
  disabled: boolean;
  serviceAccount: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface AdminUsersData {
  users: { pageInfo: PageInfo; edges: { cursor: string; node: UserRow }[] };
  groups: { name: string; permissions: string[]; description: string }[];
}

export const PULL_NOW = /* GraphQL */ `
  mutation PullNow($source: ID!) {
    pullNow(source: $source) { source pullId }
  }
`;
export interface PullNowData {
  pullNow: { source: string; pullId: string };
}

export const RERUN_SERIES = /* GraphQL */ `
  mutation RerunSeries($id: ID!) {
    rerunSeries(id: $id) { series runId }
  }
`;
export interface RerunSeriesData {
  rerunSeries: { series: string; runId: string };
}

export const BACKFILL = /* GraphQL */ `
  mutation Backfill($source: ID!, $from: DateTime!, $to: DateTime!) {
    backfill(source: $source, from: $from, to: $to) { source pullId }
  }
`;
export interface BackfillData {
  backfill: { source: string; pullId: string };
}

export const REQUEUE_DEAD_JOBS = /* GraphQL */ `
  mutation RequeueDeadJobs {
    requeueDeadJobs { queue jobs }
  }
`;
export interface RequeueDeadJobsData {
  requeueDeadJobs: { queue: string; jobs: number }[];
}

export const CREATE_USER = /* GraphQL */ `
  mutation CreateUser($login: String!, $password: String, $role: Role!) {
    createUser(login: $login, password: $password, role: $role) { login role disabled serviceAccount }
  }
`;
export const UPDATE_USER = /* GraphQL */ `
  mutation UpdateUser($login: String!, $role: Role, $disabled: Boolean, $password: String) {
    updateUser(login: $login, role: $role, disabled: $disabled, password: $password) { login role disabled }
  }
`;
export const PUT_GROUP = /* GraphQL */ `
  mutation PutGroup($name: String!, $permissions: [String!]!, $description: String!) {
    putGroup(name: $name, permissions: $permissions, description: $description) { name permissions description }
  }
`;
export const SET_GROUP_MEMBER = /* GraphQL */ `
  mutation SetGroupMember($login: String!, $group: String!, $member: Boolean!) {
    setGroupMember(login: $login, group: $group, member: $member) { login role }
  }
`;
export const CREATE_API_KEY = /* GraphQL */ `
  mutation CreateApiKey($login: String!, $name: String!) {
    createApiKey(login: $login, name: $name) { key login name }
  }
`;
export interface CreateApiKeyData {
  createApiKey: { key: string; login: string; name: string };
}

/** Every permission the gateway knows (docs/AUTH.md), for the group form. */
export const PERMISSIONS = ['minute-data:read', 'runs:read', 'series:rerun', 'sources:pull', 'users:manage'];
