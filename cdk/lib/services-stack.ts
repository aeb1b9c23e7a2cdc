/**
 * `Streamlens-{Stage}-Services`: the ECS cluster and the three Fargate services (ARM64) that run the Streamlens
 * binaries, the API's load balancer, and the autoscaling of each.
 *
 * | service | tasks | scaling | reaches |
 * |---|---|---|---|
 * | `api` (GraphQL gateway, port 8080) | 1 dev / 2 prod | CPU, target 60 % | behind the internet-facing ALB; health check `/readyz` |
 * | `worker` (queued jobs) | 1..10 dev / 2..20 prod | `BacklogPerTask` (namespace `Streamlens/{Stage}`), target from context | no inbound |
 * | `scheduler` (cron, reconciler, upkeep) | exactly 1 | none | no inbound |
 *
 * The binaries elect a scheduler leader through Redis, so the brief overlap of two scheduler tasks during a deploy
 * is harmless. Every service deploys with the ECS circuit breaker, which rolls a failing deployment back.
 *
 * Images: by default built at deploy time from the repository's `Dockerfile` (targets `api`, `worker`,
 * `scheduler`, linux/arm64); with context `imageTag`, the tag pushed by CI to the ECR repositories
 * `streamlens-api`, `streamlens-worker` and `streamlens-scheduler`.
 *
 * The container environment is the contract with the binaries: only variables they read (the generated list in
 * `test/binary-variables.json`, checked by `test/environment.test.ts`), secrets through ECS `secrets` only.
 */
import * as path from 'path';
import { Annotations, CfnOutput, Duration, IgnoreMode, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BucketRole, bucketName, META_INDEX, StreamlensConfig, tableName } from './config';
import { DataStack } from './data-stack';
import { acknowledge, acknowledgeAll } from './nag';
import { API_PORT, NetworkStack } from './network-stack';

/** The repository root: the Docker build context of the images. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The three binaries, each its own Dockerfile target, ECR repository and ECS service. */
export type ServiceName = 'api' | 'worker' | 'scheduler';

export interface ServicesStackProps extends StackProps {
  readonly config: StreamlensConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
}

export class ServicesStack extends Stack {
  public readonly cluster: ecs.Cluster;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly apiTargetGroup: elbv2.ApplicationTargetGroup;
  public readonly services: Record<ServiceName, ecs.FargateService>;
  public readonly logGroups: Record<ServiceName, logs.LogGroup>;

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { config, network, data } = props;
    // The stores are referred to by name below; make the order explicit.
    this.addStackDependency(data);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: config.prefix,
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    // --- the stores, by name (see `bucketName` in config.ts) ---------------------------------------------------
    const buckets = {
      raw: s3.Bucket.fromBucketName(this, 'RawBucket', bucketName(config, 'raw')),
      series: s3.Bucket.fromBucketName(this, 'SeriesBucket', bucketName(config, 'series')),
      clean: s3.Bucket.fromBucketName(this, 'CleanBucket', bucketName(config, 'clean')),
    };
    const table = dynamodb.Table.fromTableAttributes(this, 'MetaTable', {
      tableName: tableName(config),
      globalIndexes: [META_INDEX],
    });
    const blobsUrl = (role: BucketRole) => `s3://${buckets[role].bucketName}`;

    // --- what every container is told ------------------------------------------------------------------------
    const redisUrl = data.redis.url;
    const shared: Record<string, string> = {
      STREAMLENS_META: `dynamodb://${config.prefix}`,
      STREAMLENS_QUEUE: redisUrl,
      STREAMLENS_PUBSUB: redisUrl,
      STREAMLENS_LOG_FORMAT: 'json',
      ...(config.logFilter ? { STREAMLENS_LOG: config.logFilter } : {}),
    };
    const sharedSecrets: Record<string, ecs.Secret> = {
      STREAMLENS_REDIS_PASSWORD: ecs.Secret.fromSecretsManager(data.redis.authToken),
    };
    // Every process gets the same sources: with Helix credentials the one source is `twitch` (the scheduler pulls
    // it, the worker runs the pulls, the API lists it and answers for it by default); without, the built-in
    // simulator. The API must see the same sources as the workers, so it gets the credentials too.
    const helixSecrets: Record<string, ecs.Secret> = config.helix
      ? {
          STREAMLENS_HELIX_CLIENT_ID: ecs.Secret.fromSecretsManager(data.helixCredentials, 'client_id'),
          STREAMLENS_HELIX_CLIENT_SECRET: ecs.Secret.fromSecretsManager(data.helixCredentials, 'client_secret'),
        }
      : {};

    // --- api ---------------------------------------------------------------------------------------------------
    const api = this.taskDefinition(config, 'api', { cpu: 512, memoryLimitMiB: 1024 });
    api.container.addPortMappings({ containerPort: API_PORT, name: 'http', protocol: ecs.Protocol.TCP });
    this.setEnvironment(api.container, {
      ...shared,
      STREAMLENS_LISTEN: `0.0.0.0:${API_PORT}`,
      STREAMLENS_BLOBS_SERIES: blobsUrl('series'),
      STREAMLENS_BLOBS_CLEAN: blobsUrl('clean'),
      STREAMLENS_CACHE: redisUrl,
      STREAMLENS_EXPLORER: String(config.explorer),
      STREAMLENS_ANONYMOUS: String(config.anonymous),
      STREAMLENS_ADMIN_LOGIN: 'admin',
      ...(config.corsOrigins ? { STREAMLENS_CORS_ORIGINS: config.corsOrigins } : {}),
    }, {
      ...sharedSecrets,
      ...helixSecrets,
      STREAMLENS_JWT_SECRET: ecs.Secret.fromSecretsManager(data.jwtSecret),
      STREAMLENS_ADMIN_PASSWORD: ecs.Secret.fromSecretsManager(data.adminPassword),
    });
    // The API reads series and clean blobs; it writes users, API keys, groups and re-run records in the table.
    buckets.series.grantRead(api.taskDefinition.taskRole);
    buckets.clean.grantRead(api.taskDefinition.taskRole);
    table.grantReadWriteData(api.taskDefinition.taskRole);
    this.acknowledgeGrants(config, api.taskDefinition.taskRole, { read: ['series', 'clean'], write: [] });

    // --- worker ------------------------------------------------------------------------------------------------
    const worker = this.taskDefinition(config, 'worker', { cpu: 1024, memoryLimitMiB: 2048 });
    this.setEnvironment(worker.container, {
      ...shared,
      STREAMLENS_BLOBS_RAW: blobsUrl('raw'),
      STREAMLENS_BLOBS_SERIES: blobsUrl('series'),
      STREAMLENS_BLOBS_CLEAN: blobsUrl('clean'),
      STREAMLENS_CLOUDWATCH_NAMESPACE: config.metricsNamespace,
      ...(data.eventBus ? { STREAMLENS_EVENTBRIDGE_BUS: data.eventBus.eventBusName } : {}),
    }, { ...sharedSecrets, ...helixSecrets });
    for (const role of ['raw', 'series', 'clean'] as const) {
      buckets[role].grantReadWrite(worker.taskDefinition.taskRole);
    }
    table.grantReadWriteData(worker.taskDefinition.taskRole);
    data.eventBus?.grantPutEventsTo(worker.taskDefinition.taskRole);
    this.acknowledgeGrants(config, worker.taskDefinition.taskRole, { read: [], write: ['raw', 'series', 'clean'] });

    // --- scheduler ---------------------------------------------------------------------------------------------
    // It enqueues through Redis and reads and writes metadata (reconciler, purge of expired items); it never
    // touches a blob, so it gets no bucket and no S3 permission.
    const scheduler = this.taskDefinition(config, 'scheduler', { cpu: 256, memoryLimitMiB: 512 });
    this.setEnvironment(scheduler.container, {
      ...shared,
      STREAMLENS_CLOUDWATCH_NAMESPACE: config.metricsNamespace,
    }, { ...sharedSecrets, ...helixSecrets });
    table.grantReadWriteData(scheduler.taskDefinition.taskRole);
    this.acknowledgeGrants(config, scheduler.taskDefinition.taskRole, { read: [], write: [] });

    // --- services ----------------------------------------------------------------------------------------------
    const service = (name: ServiceName, taskDefinition: ecs.FargateTaskDefinition, securityGroup: ec2.ISecurityGroup, desiredCount: number) =>
      new ecs.FargateService(this, `${title(name)}Service`, {
        serviceName: `${config.prefix}-${name}`,
        cluster: this.cluster,
        taskDefinition,
        desiredCount,
        securityGroups: [securityGroup],
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        assignPublicIp: false,
        platformVersion: ecs.FargatePlatformVersion.LATEST,
        // New tasks start before old ones stop; a deployment whose tasks keep failing is rolled back.
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { enable: true, rollback: true },
        propagateTags: ecs.PropagatedTagSource.SERVICE,
        enableECSManagedTags: true,
      });
    const apiService = service('api', api.taskDefinition, network.apiSecurityGroup, config.apiMinTasks);
    const workerService = service('worker', worker.taskDefinition, network.workerSecurityGroup, config.workerMinTasks);
    const schedulerService = service('scheduler', scheduler.taskDefinition, network.schedulerSecurityGroup, 1);
    this.services = { api: apiService, worker: workerService, scheduler: schedulerService };
    this.logGroups = { api: api.logGroup, worker: worker.logGroup, scheduler: scheduler.logGroup };

    // --- load balancer -----------------------------------------------------------------------------------------
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: network.vpc,
      internetFacing: true,
      securityGroup: network.albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      deletionProtection: config.stage === 'prod',
      // Subscriptions are long-lived websockets; keep idle ones open between events.
      idleTimeout: Duration.seconds(300),
    });
    this.loadBalancer.logAccessLogs(data.logsBucket, 'alb');

    this.apiTargetGroup = new elbv2.ApplicationTargetGroup(this, 'ApiTargets', {
      vpc: network.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: API_PORT,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: '/readyz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    apiService.attachToApplicationTargetGroup(this.apiTargetGroup);

    if (config.certificateArn) {
      this.loadBalancer.addListener('Https', {
        protocol: elbv2.ApplicationProtocol.HTTPS,
        port: 443,
        open: false,
        certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.apiTargetGroup],
      });
      this.loadBalancer.addListener('Http', {
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      // No certificate: plain HTTP (docs/DEPLOY.md says how to add one). Fine for a dev stage; tokens and
      // passwords cross the internet in clear text, so prod should always be given a certificate.
      if (config.stage === 'prod') {
        Annotations.of(this.loadBalancer).addWarningV2(
          'streamlens:prodWithoutHttps',
          'prod without context certificateArn: the API is served over plain HTTP; pass -c certificateArn=arn:aws:acm:… to serve HTTPS',
        );
      }
      this.loadBalancer.addListener('Http', {
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: 80,
        open: false,
        defaultTargetGroups: [this.apiTargetGroup],
      });
    }

    new CfnOutput(this, 'ApiUrl', {
      description: 'The GraphQL gateway (GraphQL at /graphql, health at /readyz); point a DNS name at the load balancer',
      value: `${config.certificateArn ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`,
    });
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });

    // --- autoscaling -------------------------------------------------------------------------------------------
    apiService
      .autoScaleTaskCount({ minCapacity: config.apiMinTasks, maxCapacity: config.apiMaxTasks })
      .scaleOnCpuUtilization('Cpu', {
        targetUtilizationPercent: 60,
        scaleOutCooldown: Duration.seconds(60),
        scaleInCooldown: Duration.seconds(180),
      });

    // The workers publish BacklogPerTask (jobs waiting / running worker tasks) every minute as CloudWatch Embedded
    // Metric Format log lines; CloudWatch Logs turns them into the metric this policy tracks.
    workerService
      .autoScaleTaskCount({ minCapacity: config.workerMinTasks, maxCapacity: config.workerMaxTasks })
      .scaleToTrackCustomMetric('BacklogPerTask', {
        metric: new cloudwatch.Metric({
          namespace: config.metricsNamespace,
          metricName: 'BacklogPerTask',
          statistic: cloudwatch.Stats.AVERAGE,
          period: Duration.minutes(1),
        }),
        targetValue: config.backlogPerTaskTarget,
        scaleOutCooldown: Duration.seconds(60),
        scaleInCooldown: Duration.seconds(300),
      });
  }

  /** A Fargate task definition on ARM64 with its container and log group; the task role starts with nothing. */
  private taskDefinition(
    config: StreamlensConfig,
    name: ServiceName,
    size: { cpu: number; memoryLimitMiB: number },
  ): { taskDefinition: ecs.FargateTaskDefinition; container: ecs.ContainerDefinition; logGroup: logs.LogGroup } {
    const logGroup = new logs.LogGroup(this, `${title(name)}Logs`, {
      logGroupName: `/streamlens/${config.stage}/${name}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, `${title(name)}Task`, {
      family: `${config.prefix}-${name}`,
      cpu: size.cpu,
      memoryLimitMiB: size.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const container = taskDefinition.addContainer(name, {
      containerName: name,
      image: this.image(config, name),
      essential: true,
      logging: ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix: name,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      // A worker lets running jobs finish for up to 30 s after SIGTERM.
      stopTimeout: Duration.seconds(45),
    });
    acknowledge(taskDefinition, 'AwsSolutions-ECS2', 'The environment holds only non-secret settings (store URLs, listen address, switches); every secret comes from Secrets Manager through ECS secrets.');
    acknowledge(taskDefinition.obtainExecutionRole(), 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken, which the execution role needs to pull the image, has no resource-level permissions; every other statement names its repository, log group or secret.');
    return { taskDefinition, container, logGroup };
  }

  /** The image of a binary: built from the repository's Dockerfile, or pulled from ECR with context `imageTag`. */
  private image(config: StreamlensConfig, name: ServiceName): ecs.ContainerImage {
    if (config.imageTag) {
      const repository = ecr.Repository.fromRepositoryName(this, `${title(name)}Repository`, `streamlens-${name}`);
      return ecs.ContainerImage.fromEcrRepository(repository, config.imageTag);
    }
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: 'Dockerfile',
      target: name,
      platform: Platform.LINUX_ARM64,
      ignoreMode: IgnoreMode.DOCKER,
      // The repository's .dockerignore is applied first; these keep the context small even without it.
      exclude: ['.git/', 'target/', 'cdk/', 'data/', '.venv/'],
    });
  }

  /**
   * Acknowledges the wildcards cdk-nag (IAM5) finds in a task role's grants, each by name: the action groups of
   * `grantRead`/`grantReadWrite` (GetObject*, GetBucket*, List*; plus DeleteObject* and Abort* for writers) on the
   * role's own buckets, the objects of those buckets (`bucket/*`), and the indexes of the metadata table.
   */
  private acknowledgeGrants(config: StreamlensConfig, role: iam.IRole, grants: { read: BucketRole[]; write: BucketRole[] }): void {
    const account = '<AWS::AccountId>';
    const buckets = [...grants.read, ...grants.write];
    if (buckets.length > 0) {
      acknowledgeAll(role, ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*'].map((f) => `AwsSolutions-IAM5[${f}]`),
        'The grantRead action groups (GetObject* for objects with their versions and tags, GetBucket* and List* for bucket location and listings) are granted on this service\'s own buckets only.');
      for (const role_ of buckets) {
        acknowledge(role, `AwsSolutions-IAM5[Resource::arn:${config.partition}:s3:::${config.prefix}-${role_}-${account}-${config.region}/*]`,
          `The ${role_} blob area is this bucket; the service reads${grants.write.includes(role_) ? ' and writes' : ''} objects under any key of it.`);
      }
    }
    if (grants.write.length > 0) {
      acknowledgeAll(role, ['Action::s3:DeleteObject*', 'Action::s3:Abort*'].map((f) => `AwsSolutions-IAM5[${f}]`),
        'The blob store deletes and replaces objects and aborts failed multipart uploads, on this service\'s own buckets only.');
    }
    acknowledge(role, `AwsSolutions-IAM5[Resource::arn:${config.partition}:dynamodb:${config.region}:${account}:table/${config.prefix}-meta/index/*]`,
      'The metadata store queries the table\'s one index, gsi1; the wildcard covers only the indexes of this table.');
  }

  /** Sets a container's environment and secrets. */
  private setEnvironment(container: ecs.ContainerDefinition, environment: Record<string, string>, secrets: Record<string, ecs.Secret>): void {
    for (const [key, value] of Object.entries(environment)) container.addEnvironment(key, value);
    for (const [key, value] of Object.entries(secrets)) container.addSecret(key, value);
  }
}

function title(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
