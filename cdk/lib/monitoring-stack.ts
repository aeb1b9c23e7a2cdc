/**
 * `Streamlens-{Stage}-Monitoring`: the alarms, the SNS topic they notify, and one CloudWatch dashboard.
 *
 * | alarm | fires when |
 * |---|---|
 * | `{prefix}-api-5xx-rate` | the API's targets answer more than 1 % of requests with a 5xx over 5 minutes (`HTTPCode_Target_5XX_Count / RequestCount`) |
 * | `{prefix}-dead-jobs` | a job is dead-lettered (`DeadJobs` > 0): it failed every attempt and waits for an admin |
 * | `{prefix}-oldest-job-age` | a job has waited more than 5 minutes (`OldestJobAgeSeconds` > 300 for 3 minutes running) |
 * | `{prefix}-pull-failures` | 3 or more pulls failed within 5 minutes (`PullFailures`): the source is down or the credentials are wrong |
 *
 * The queue metrics (`QueueBacklog`, `BacklogPerTask`, `OldestJobAgeSeconds`, `DeadJobs`, `PullFailures`, in the
 * namespace `Streamlens/{Stage}` with no dimensions) are published by the worker and scheduler processes as
 * CloudWatch Embedded Metric Format log lines. The topic is encrypted with a customer-managed KMS key, the only kind
 * CloudWatch alarms may publish to.
 */
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { StreamlensConfig } from './config';
import { DataStack } from './data-stack';
import { ServicesStack } from './services-stack';

export interface MonitoringStackProps extends StackProps {
  readonly config: StreamlensConfig;
  readonly data: DataStack;
  readonly services: ServicesStack;
}

export class MonitoringStack extends Stack {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, data, services } = props;

    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${config.prefix} alarm topic encryption`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${config.prefix}-alarms`,
      displayName: `Streamlens ${config.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (config.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    }
    const notify = new actions.SnsAction(this.topic);

    // --- metrics -----------------------------------------------------------------------------------------------
    const alb = services.loadBalancer;
    const fiveMinutes = Duration.minutes(5);
    const oneMinute = Duration.minutes(1);
    const requests = alb.metrics.requestCount({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    const target5xx = alb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
      period: fiveMinutes,
      statistic: cloudwatch.Stats.SUM,
    });
    const errorRate = new cloudwatch.MathExpression({
      label: 'API 5xx rate (%)',
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests, errors: target5xx },
      period: fiveMinutes,
    });
    const queueMetric = (metricName: string, statistic: string, period = oneMinute) =>
      new cloudwatch.Metric({ namespace: config.metricsNamespace, metricName, statistic, period });

    // --- alarms ------------------------------------------------------------------------------------------------
    const alarm = (id: string, props: cloudwatch.CreateAlarmOptions & { metric: cloudwatch.IMetric }) => {
      const created = new cloudwatch.Alarm(this, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };
    alarm('Api5xxRate', {
      alarmName: `${config.prefix}-api-5xx-rate`,
      alarmDescription: 'More than 1% of API requests answered with a 5xx by the api tasks over 5 minutes.',
      metric: errorRate,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('DeadJobs', {
      alarmName: `${config.prefix}-dead-jobs`,
      alarmDescription: 'Jobs failed every attempt and are dead-lettered: see the deadJobs query, fix, then requeueDeadJobs.',
      metric: queueMetric('DeadJobs', cloudwatch.Stats.MAXIMUM),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('OldestJobAge', {
      alarmName: `${config.prefix}-oldest-job-age`,
      alarmDescription: 'A queued job has waited more than 5 minutes: workers are down, failing or at their maximum count.',
      metric: queueMetric('OldestJobAgeSeconds', cloudwatch.Stats.MAXIMUM),
      threshold: 300,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    alarm('PullFailures', {
      alarmName: `${config.prefix}-pull-failures`,
      alarmDescription: '3 or more pulls failed within 5 minutes: the source is unreachable or its credentials are wrong.',
      metric: queueMetric('PullFailures', cloudwatch.Stats.SUM, fiveMinutes),
      threshold: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    // --- dashboard ---------------------------------------------------------------------------------------------
    const table = data.table;
    const serviceNames = ['api', 'worker', 'scheduler'] as const;
    const redisNodes = Array.from({ length: config.redisNodes }, (_, i) => `${data.redis.replicationGroupId}-${String(i + 1).padStart(3, '0')}`);
    const redisMetric = (metricName: string, node: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: node },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: oneMinute,
        label: `${metricName} ${node}`,
      });
    const throttles = (metricName: string, index?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: index ? { TableName: table.tableName, GlobalSecondaryIndexName: index } : { TableName: table.tableName },
        statistic: cloudwatch.Stats.SUM,
        period: oneMinute,
        label: index ? `${metricName} (${index})` : metricName,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.prefix}`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and 5xx (per 5 min)',
        left: [requests],
        right: [target5xx, alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: fiveMinutes, statistic: cloudwatch.Stats.SUM })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API 5xx rate (%)',
        left: [errorRate],
        leftAnnotations: [{ value: 1, label: 'alarm', color: cloudwatch.Color.RED }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (s)',
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          alb.metrics.targetResponseTime({ statistic, period: oneMinute, label: `latency ${statistic}` }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue backlog',
        left: [queueMetric('QueueBacklog', cloudwatch.Stats.MAXIMUM), queueMetric('BacklogPerTask', cloudwatch.Stats.AVERAGE)],
        leftAnnotations: [{ value: config.backlogPerTaskTarget, label: 'BacklogPerTask target' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Oldest job age (s)',
        left: [queueMetric('OldestJobAgeSeconds', cloudwatch.Stats.MAXIMUM)],
        leftAnnotations: [{ value: 300, label: 'alarm', color: cloudwatch.Color.RED }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead jobs, pull failures',
        left: [queueMetric('DeadJobs', cloudwatch.Stats.MAXIMUM)],
        right: [queueMetric('PullFailures', cloudwatch.Stats.SUM, fiveMinutes)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'ECS CPU (%)',
        left: serviceNames.map((name) => services.services[name].metricCpuUtilization({ period: oneMinute, label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'ECS memory (%)',
        left: serviceNames.map((name) => services.services[name].metricMemoryUtilization({ period: oneMinute, label: name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Running tasks',
        left: serviceNames.map(
          (name) =>
            new cloudwatch.Metric({
              namespace: 'ECS/ContainerInsights',
              metricName: 'RunningTaskCount',
              dimensionsMap: { ClusterName: services.cluster.clusterName, ServiceName: services.services[name].serviceName },
              statistic: cloudwatch.Stats.AVERAGE,
              period: oneMinute,
              label: name,
            }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB throttles',
        left: [throttles('ReadThrottleEvents'), throttles('WriteThrottleEvents'), throttles('WriteThrottleEvents', 'gsi1'), throttles('ReadThrottleEvents', 'gsi1')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB consumed capacity (per minute)',
        left: [
          table.metricConsumedReadCapacityUnits({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
          table.metricConsumedWriteCapacityUnits({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Redis memory and CPU (%)',
        left: redisNodes.flatMap((node) => [redisMetric('DatabaseMemoryUsagePercentage', node), redisMetric('EngineCPUUtilization', node)]),
        width: 8,
      }),
    );
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${config.prefix}`,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });
  }
}
