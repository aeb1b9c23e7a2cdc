/**
 * The settings of one deployment stage, read from CDK context (`-c key=value` on the command line, or `context`
 * in `cdk.json`). Every knob an operator may turn is here, with its default per stage; the stacks read nothing
 * from the environment, so a synth is the same on every machine and needs no AWS account or credentials.
 *
 * | context key | default | what it sets |
 * |---|---|---|
 * | `stage` | `dev` | `dev` or `prod`: sizes, retention, removal policies (see {@link STAGE_DEFAULTS}) |
 * | `region` | `us-east-1` | region of every stack |
 * | `certificateArn` | (none) | ACM certificate of the API's HTTPS listener; without it the ALB listens on HTTP only |
 * | `imageTag` | (none) | run the images `streamlens-{api,worker,scheduler}:{tag}` from ECR instead of building them from the repository's Dockerfile |
 * | `corsOrigins` | (none) | `STREAMLENS_CORS_ORIGINS` of the API |
 * | `backlogPerTaskTarget` | `100` | worker autoscaling: jobs waiting per worker task it aims for |
 * | `seriesRetentionDays` | `30` | days objects of the series bucket are kept |
 * | `rawInfrequentAccessDays` | `30` | age at which raw pages move to S3 Standard-IA |
 * | `rawGlacierDays` | `90` | age at which raw pages move to S3 Glacier Flexible Retrieval |
 * | `seriesReadyEvents` | `true` | an EventBridge bus receiving `SeriesReady` and `RankingsUpdated` |
 * | `helix` | `true` | pull the Twitch Helix API (credentials in Secrets Manager); `false`: the built-in simulator |
 * | `alarmEmail` | (none) | an e-mail address subscribed to the alarm topic |
 * | `logFilter` | (none: `info`) | `STREAMLENS_LOG` of every container, e.g. `info,streamlens_jobs=debug` for step timings |
 * | `redisNodeType` | per stage | ElastiCache node type |
 *
 * Any key but `stage` may also be set for one stage only, in `cdk.json`:
 * `"context": {"stages": {"prod": {"certificateArn": "arn:aws:acm:…", "corsOrigins": "https://app.example.com"}}}`;
 * a `-c key=value` on the command line wins over it.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Node } from 'constructs';

/** The stages this app knows. */
export type Stage = 'dev' | 'prod';

/** Sizes and policies that differ between stages. */
export interface StageDefaults {
  /** NAT gateways of the VPC (one per AZ in prod, so one AZ's failure does not cut the other off). */
  readonly natGateways: number;
  /** Redis nodes: 1 (no replica) or 2 (primary and replica in two AZs, automatic failover). */
  readonly redisNodes: number;
  readonly redisNodeType: string;
  /** Days ElastiCache keeps daily snapshots of the queue (0: none). */
  readonly redisSnapshotDays: number;
  readonly apiMinTasks: number;
  readonly apiMaxTasks: number;
  readonly workerMinTasks: number;
  readonly workerMaxTasks: number;
  readonly logRetention: RetentionDays;
  /** What happens to buckets, the table and secrets when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  readonly explorer: boolean;
  /** Whether callers without credentials may read (`STREAMLENS_ANONYMOUS`). */
  readonly anonymous: boolean;
}

/** The defaults of each stage. */
export const STAGE_DEFAULTS: Record<Stage, StageDefaults> = {
  dev: {
    natGateways: 1,
    redisNodes: 1,
    redisNodeType: 'cache.t4g.micro',
    redisSnapshotDays: 0,
    apiMinTasks: 1,
    apiMaxTasks: 4,
    workerMinTasks: 1,
    workerMaxTasks: 10,
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: RemovalPolicy.DESTROY,
    explorer: true,
    anonymous: true,
  },
  prod: {
    natGateways: 2,
    redisNodes: 2,
    redisNodeType: 'cache.t4g.small',
    redisSnapshotDays: 7,
    apiMinTasks: 2,
    apiMaxTasks: 10,
    workerMinTasks: 2,
    workerMaxTasks: 20,
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    explorer: false,
    anonymous: false,
  },
};

/** Everything the stacks of one stage are built from. */
export interface StreamlensConfig extends StageDefaults {
  readonly stage: Stage;
  /** `Dev` or `Prod`: the middle part of stack names (`Streamlens-Dev-Data`). */
  readonly stageTitle: string;
  /** `streamlens-dev`: prefix of physical names; the metadata table is `{prefix}-meta`. */
  readonly prefix: string;
  readonly region: string;
  /** The region's partition (`aws`, `aws-cn`, `aws-us-gov`), as it appears in ARNs. */
  readonly partition: string;
  /** CloudWatch namespace the worker and scheduler publish their queue metrics to: `Streamlens/{Stage}`. */
  readonly metricsNamespace: string;
  readonly certificateArn?: string;
  readonly imageTag?: string;
  readonly corsOrigins?: string;
  readonly backlogPerTaskTarget: number;
  readonly seriesRetention: Duration;
  readonly rawInfrequentAccessAfter: Duration;
  readonly rawGlacierAfter: Duration;
  readonly seriesReadyEvents: boolean;
  readonly helix: boolean;
  readonly alarmEmail?: string;
  readonly logFilter?: string;
}

/** Raised for a context value that cannot be used; the message names the key. */
export class ConfigError extends Error {}

/**
 * A context value: `-c key=value` (or `key` in cdk.json's context) first, else `stages.{stage}.key` from cdk.json,
 * where settings of one stage only (its certificate, its CORS origins) live without a command-line flag.
 */
function text(node: Node, key: string): string | undefined {
  const clean = (value: unknown) => {
    if (value === undefined || value === null) return undefined;
    const s = String(value).trim();
    return s === '' ? undefined : s;
  };
  const direct = clean(node.tryGetContext(key));
  if (direct !== undefined || key === 'stage') return direct;
  const stage = clean(node.tryGetContext('stage')) ?? 'dev';
  const stages: unknown = node.tryGetContext('stages');
  if (stages === undefined || stages === null) return undefined;
  if (typeof stages !== 'object') throw new ConfigError('context stages must be an object: {"prod": {"certificateArn": "…"}}');
  const ofStage: unknown = (stages as Record<string, unknown>)[stage];
  if (ofStage === undefined || ofStage === null) return undefined;
  if (typeof ofStage !== 'object') throw new ConfigError(`context stages.${stage} must be an object of settings`);
  return clean((ofStage as Record<string, unknown>)[key]);
}

function flag(node: Node, key: string, fallback: boolean): boolean {
  const value = text(node, key);
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false;
  throw new ConfigError(`context ${key}=${JSON.stringify(value)} is not a boolean (true or false)`);
}

function positive(node: Node, key: string, fallback: number): number {
  const value = text(node, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ConfigError(`context ${key}=${JSON.stringify(value)} is not a positive whole number`);
  }
  return n;
}

/** Reads the configuration of the stage named by context `stage` (default `dev`). */
export function loadConfig(node: Node): StreamlensConfig {
  const stage = text(node, 'stage') ?? 'dev';
  if (stage !== 'dev' && stage !== 'prod') {
    throw new ConfigError(`context stage=${JSON.stringify(stage)} is not a stage: use dev or prod`);
  }
  const defaults = STAGE_DEFAULTS[stage];
  const stageTitle = stage === 'dev' ? 'Dev' : 'Prod';

  const certificateArn = text(node, 'certificateArn');
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(certificateArn)) {
    throw new ConfigError(`context certificateArn=${JSON.stringify(certificateArn)} is not an ACM certificate ARN`);
  }
  const imageTag = text(node, 'imageTag');
  if (imageTag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(imageTag)) {
    throw new ConfigError(`context imageTag=${JSON.stringify(imageTag)} is not a Docker image tag`);
  }
  const region = text(node, 'region') ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new ConfigError(`context region=${JSON.stringify(region)} is not an AWS region`);
  }
  const rawInfrequentAccessDays = positive(node, 'rawInfrequentAccessDays', 30);
  const rawGlacierDays = positive(node, 'rawGlacierDays', 90);
  // S3 refuses a transition to Standard-IA before 30 days, and wants the next class at least 30 days later.
  if (rawInfrequentAccessDays < 30) {
    throw new ConfigError('context rawInfrequentAccessDays must be at least 30 (the minimum S3 allows for Standard-IA)');
  }
  if (rawGlacierDays < rawInfrequentAccessDays + 30) {
    throw new ConfigError('context rawGlacierDays must be at least rawInfrequentAccessDays + 30');
  }

  return {
    ...defaults,
    redisNodeType: text(node, 'redisNodeType') ?? defaults.redisNodeType,
    stage,
    stageTitle,
    prefix: `streamlens-${stage}`,
    region,
    partition: region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws',
    metricsNamespace: `Streamlens/${stageTitle}`,
    certificateArn,
    imageTag,
    corsOrigins: text(node, 'corsOrigins'),
    backlogPerTaskTarget: positive(node, 'backlogPerTaskTarget', 100),
    seriesRetention: Duration.days(positive(node, 'seriesRetentionDays', 30)),
    rawInfrequentAccessAfter: Duration.days(rawInfrequentAccessDays),
    rawGlacierAfter: Duration.days(rawGlacierDays),
    seriesReadyEvents: flag(node, 'seriesReadyEvents', true),
    helix: flag(node, 'helix', true),
    alarmEmail: text(node, 'alarmEmail'),
    logFilter: text(node, 'logFilter'),
  };
}

/** The three data buckets, one per blob area (`STREAMLENS_BLOBS_RAW`, `…_SERIES`, `…_CLEAN`). */
export type BucketRole = 'raw' | 'series' | 'clean';

/**
 * The physical name of a data bucket: `streamlens-{stage}-{role}-{account}-{region}`, unique in S3 without a
 * random suffix. The services stack derives names and ARNs from it instead of importing them from the data stack,
 * which keeps the two stacks loosely coupled and the IAM policies readable.
 */
export function bucketName(config: StreamlensConfig, role: BucketRole): string {
  return `${config.prefix}-${role}-${Aws.ACCOUNT_ID}-${config.region}`;
}

/** The metadata table the DynamoDB adapter opens for `STREAMLENS_META=dynamodb://{prefix}`. */
export function tableName(config: StreamlensConfig): string {
  return `${config.prefix}-meta`;
}

/** The one global secondary index of the metadata table. */
export const META_INDEX = 'gsi1';
