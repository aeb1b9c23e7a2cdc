/**
 * `Streamlens-{Stage}-Data`: everything that keeps state, and the secrets.
 *
 * | resource | what the binaries see |
 * |---|---|
 * | S3 bucket `raw` (versioned; Standard-IA after 30 days, Glacier after 90) | `STREAMLENS_BLOBS_RAW=s3://…`: pages as received, quarantined pages |
 * | S3 bucket `series` (objects expire after 30 days: `backfill replay` rebuilds them from raw) | `STREAMLENS_BLOBS_SERIES=s3://…` |
 * | S3 bucket `clean` (kept warm: rollups, rankings, broadcasts, step outputs) | `STREAMLENS_BLOBS_CLEAN=s3://…` |
 * | S3 bucket `logs` | server access logs of the three, and the ALB's access logs |
 * | DynamoDB table `{prefix}-meta` (pk/sk, `gsi1`, TTL on `expires_at`) | `STREAMLENS_META=dynamodb://{prefix}` |
 * | ElastiCache Redis (TLS, AUTH, encrypted at rest) | `STREAMLENS_QUEUE`, `…_PUBSUB`, `…_CACHE` = `rediss://…`, `STREAMLENS_REDIS_PASSWORD` |
 * | secrets: Redis AUTH token, JWT signing secret, admin password, Twitch Helix app credentials | ECS `secrets` |
 * | EventBridge bus `streamlens-{stage}` (context `seriesReadyEvents`) | `STREAMLENS_EVENTBRIDGE_BUS` (worker) |
 *
 * Buckets, table and secrets are retained when a prod stack is deleted; a dev stack takes them with it.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bucketName, META_INDEX, StreamlensConfig, tableName } from './config';
import { acknowledge } from './nag';
import { REDIS_PORT } from './network-stack';

export interface DataStackProps extends StackProps {
  readonly config: StreamlensConfig;
  readonly vpc: ec2.IVpc;
  readonly redisSecurityGroup: ec2.ISecurityGroup;
}

/** The Redis endpoint the services connect to. */
export interface RedisEndpoint {
  /** `rediss://{primary endpoint}:{port}`: TLS, the primary of the replication group (it follows a failover). */
  readonly url: string;
  /** The AUTH token (a plain string secret). */
  readonly authToken: secretsmanager.ISecret;
  /** The replication group's id, for metrics. */
  readonly replicationGroupId: string;
}

export class DataStack extends Stack {
  public readonly logsBucket: s3.Bucket;
  public readonly rawBucket: s3.Bucket;
  public readonly seriesBucket: s3.Bucket;
  public readonly cleanBucket: s3.Bucket;
  public readonly table: dynamodb.Table;
  public readonly redis: RedisEndpoint;
  /** Signs the tokens the API's `login` issues (`STREAMLENS_JWT_SECRET`). */
  public readonly jwtSecret: secretsmanager.Secret;
  /** The password of the first admin (`STREAMLENS_ADMIN_PASSWORD`). */
  public readonly adminPassword: secretsmanager.Secret;
  /** `{"client_id": …, "client_secret": …}` of the Twitch app; operators fill it in. */
  public readonly helixCredentials: secretsmanager.Secret;
  /** The bus `SeriesReady` and `RankingsUpdated` go to, when context `seriesReadyEvents` is on. */
  public readonly eventBus?: events.EventBus;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;

    // --- buckets -----------------------------------------------------------------------------------------------
    this.logsBucket = new s3.Bucket(this, 'LogsBucket', {
      // ALB access logs can only be written to a bucket encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(config.stage === 'prod' ? 365 : 30) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    acknowledge(this.logsBucket, 'AwsSolutions-S1', 'This is the access log bucket itself; logging its own access would log every log delivery, in a loop.');

    const bucketDefaults = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.logsBucket,
      removalPolicy,
      autoDeleteObjects,
      // Objects under 128 KB (most live pages) stay in Standard: for them Standard-IA and Glacier cost more than
      // they save (minimum billable sizes and per-object transition requests). This is S3's default, stated.
      transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
    } satisfies s3.BucketProps;
    const abortUploads: s3.LifecycleRule = { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) };

    // Raw pages are the only data that cannot be rebuilt: versioned, so an overwrite or delete can be undone.
    this.rawBucket = new s3.Bucket(this, 'RawBucket', {
      ...bucketDefaults,
      bucketName: bucketName(config, 'raw'),
      versioned: true,
      serverAccessLogsPrefix: 's3/raw/',
      lifecycleRules: [
        {
          id: 'raw-to-colder-storage',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: config.rawInfrequentAccessAfter },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: config.rawGlacierAfter },
          ],
        },
        { id: 'expire-replaced-versions', noncurrentVersionExpiration: Duration.days(30) },
        abortUploads,
      ],
    });
    // Series data is a per-slot copy of raw data; `backfill replay` rebuilds it, so it expires and is not versioned.
    this.seriesBucket = new s3.Bucket(this, 'SeriesBucket', {
      ...bucketDefaults,
      bucketName: bucketName(config, 'series'),
      versioned: false,
      serverAccessLogsPrefix: 's3/series/',
      lifecycleRules: [{ id: 'expire-series', expiration: config.seriesRetention }, abortUploads],
    });
    // Clean outputs are rewritten on every series (rollups, rankings) and can be recomputed from raw data:
    // versioning would keep a copy of every rewrite.
    this.cleanBucket = new s3.Bucket(this, 'CleanBucket', {
      ...bucketDefaults,
      bucketName: bucketName(config, 'clean'),
      versioned: false,
      serverAccessLogsPrefix: 's3/clean/',
      lifecycleRules: [abortUploads],
    });

    // --- metadata table ----------------------------------------------------------------------------------------
    // The schema the DynamoDB adapter expects (domain/src/storage/meta/dynamodb/table.rs creates the same one for
    // local stacks): `{prefix}-meta`, string keys pk/sk, one index gsi1 over gsi1pk/gsi1sk with every attribute,
    // TTL on expires_at (minute data).
    this.table = new dynamodb.Table(this, 'MetaTable', {
      tableName: tableName(config),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: config.stage === 'prod',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: META_INDEX,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // --- secrets -----------------------------------------------------------------------------------------------
    const redisAuthToken = new secretsmanager.Secret(this, 'RedisAuthToken', {
      secretName: `${config.prefix}/redis-auth-token`,
      description: 'AUTH token of the Streamlens Redis (STREAMLENS_REDIS_PASSWORD)',
      // ElastiCache takes 16 to 128 printable characters without @, " or /: letters and digits only.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    acknowledge(redisAuthToken, 'AwsSolutions-SMG4', 'ElastiCache has no Secrets Manager rotation function of its own; the token is rotated by the documented ROTATE/SET procedure (docs/DEPLOY.md), which keeps old and new tokens valid during the switch.');

    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
      secretName: `${config.prefix}/jwt-secret`,
      description: 'HS256 signing secret of the tokens the Streamlens API issues (STREAMLENS_JWT_SECRET)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    acknowledge(this.jwtSecret, 'AwsSolutions-SMG4', 'Rotating the signing secret signs every user out; it is rotated on demand by the documented procedure (docs/DEPLOY.md), not on a timer.');

    this.adminPassword = new secretsmanager.Secret(this, 'AdminPassword', {
      secretName: `${config.prefix}/admin-password`,
      description: 'Password of the first Streamlens admin, login "admin" (STREAMLENS_ADMIN_PASSWORD)',
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    acknowledge(this.adminPassword, 'AwsSolutions-SMG4', 'The API sets this password at every start; it is changed by putting a new value and restarting the api service (docs/DEPLOY.md), which a rotation Lambda could not do.');

    // Created with a placeholder client id; operators put the Twitch app's credentials in (docs/DEPLOY.md). Until
    // then Helix pulls fail with an authentication error and the PullFailures alarm fires.
    this.helixCredentials = new secretsmanager.Secret(this, 'HelixCredentials', {
      secretName: `${config.prefix}/helix`,
      description: 'Twitch app credentials {"client_id","client_secret"} (STREAMLENS_HELIX_CLIENT_ID/_SECRET); set by operators',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ client_id: 'set-me' }),
        generateStringKey: 'client_secret',
        excludePunctuation: true,
        passwordLength: 30,
      },
      removalPolicy,
    });
    acknowledge(this.helixCredentials, 'AwsSolutions-SMG4', 'Twitch issues the client secret; it is rotated in the Twitch developer console and put here by an operator (docs/DEPLOY.md).');

    // --- Redis -------------------------------------------------------------------------------------------------
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: `${config.prefix} Redis, isolated subnets`,
      cacheSubnetGroupName: `${config.prefix}-redis`,
      subnetIds: props.vpc.isolatedSubnets.map((s) => s.subnetId),
    });
    // The queue must never lose a key to eviction: a full Redis refuses writes (and says so in the logs and
    // metrics) instead of dropping jobs, locks or idempotency keys. Cache entries carry TTLs and expire.
    const parameters = new elasticache.CfnParameterGroup(this, 'RedisParameters', {
      cacheParameterGroupFamily: 'redis7',
      description: `${config.prefix} Redis: no eviction (job queue)`,
      properties: { 'maxmemory-policy': 'noeviction' },
    });
    const replicated = config.redisNodes > 1;
    const replicationGroupId = `${config.prefix}-redis`;
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupId,
      replicationGroupDescription: `${config.prefix} queue, locks, pub/sub and response cache`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: config.redisNodeType,
      cacheParameterGroupName: parameters.ref,
      numCacheClusters: config.redisNodes,
      automaticFailoverEnabled: replicated,
      multiAzEnabled: replicated,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.redisSecurityGroup.securityGroupId],
      port: REDIS_PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      authToken: redisAuthToken.secretValue.unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
      snapshotRetentionLimit: config.redisSnapshotDays,
      ...(config.redisSnapshotDays > 0 ? { snapshotWindow: '03:00-04:00' } : {}),
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
    });
    redis.applyRemovalPolicy(config.stage === 'prod' ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY);
    acknowledge(redis, 'AwsSolutions-AEC5', 'Redis keeps its default port: it sits in isolated subnets behind a security group open only to the three task groups on 6379, and clients take the port from the endpoint.');
    if (!replicated) {
      acknowledge(redis, 'AwsSolutions-AEC4', 'The dev stage runs one Redis node to save cost; prod runs a primary and a replica in two AZs with automatic failover.');
    }
    this.redis = {
      url: `rediss://${redis.attrPrimaryEndPointAddress}:${redis.attrPrimaryEndPointPort}`,
      authToken: redisAuthToken,
      replicationGroupId,
    };

    new CfnOutput(this, 'RawBucketName', { value: this.rawBucket.bucketName });
    new CfnOutput(this, 'SeriesBucketName', { value: this.seriesBucket.bucketName });
    new CfnOutput(this, 'CleanBucketName', { value: this.cleanBucket.bucketName });
    new CfnOutput(this, 'HelixSecretName', {
      description: 'Put the Twitch app credentials here: {"client_id": "...", "client_secret": "..."}',
      value: this.helixCredentials.secretName,
    });
    new CfnOutput(this, 'AdminPasswordSecretName', {
      description: 'Password of the admin login "admin"',
      value: this.adminPassword.secretName,
    });

    // --- events ------------------------------------------------------------------------------------------------
    if (config.seriesReadyEvents) {
      this.eventBus = new events.EventBus(this, 'EventBus', {
        eventBusName: `streamlens-${config.stage}`,
        description: 'Streamlens SeriesReady and RankingsUpdated events (source "streamlens")',
      });
    }
  }
}
