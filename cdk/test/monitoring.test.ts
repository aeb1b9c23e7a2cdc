/** `Streamlens-{Stage}-Monitoring`: alarms, the encrypted alarm topic, the dashboard. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { mentions, resourceNamed, resources, synth, VARIANTS } from './helpers';

const dev = () => synth({ stage: 'dev' }).monitoring;
const prod = () => synth({ stage: 'prod' }).monitoring;

describe('alarm topic', () => {
  it('SNS topic encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    dev().resourceCountIs('AWS::SNS::Topic', 1);
    dev().hasResourceProperties('AWS::SNS::Topic', { TopicName: 'streamlens-dev-alarms', KmsMasterKeyId: Match.anyValue() });
    dev().hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    dev().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('an e-mail subscription only when alarmEmail is given', () => {
    dev().resourceCountIs('AWS::SNS::Subscription', 0);
    synth(VARIANTS['prod, HTTPS, ECR image tag, CORS']).monitoring.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('alarms', () => {
  it('four alarms, each notifying the topic when it fires and when it clears', () => {
    for (const template of [dev(), prod()]) {
      template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
      for (const alarm of Object.values(resources(template, 'AWS::CloudWatch::Alarm'))) {
        assert.ok(mentions(alarm.Properties.AlarmActions, 'AlarmTopic'));
        assert.ok(mentions(alarm.Properties.OKActions, 'AlarmTopic'));
        assert.equal(alarm.Properties.TreatMissingData, 'notBreaching');
      }
    }
  });

  it('API 5xx rate: HTTPCode_Target_5XX_Count / RequestCount over 5 minutes above 1 %', () => {
    const alarm = resourceNamed(dev(), 'AWS::CloudWatch::Alarm', 'Api5xxRate').Properties;
    assert.equal(alarm.Threshold, 1);
    assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
    const expression = alarm.Metrics.find((m: any) => m.Expression);
    assert.match(expression.Expression, /100 \* FILL\(errors, 0\) \/ requests/);
    const metric = (id: string) => alarm.Metrics.find((m: any) => m.Id === id).MetricStat;
    assert.equal(metric('errors').Metric.MetricName, 'HTTPCode_Target_5XX_Count');
    assert.equal(metric('requests').Metric.MetricName, 'RequestCount');
    for (const id of ['errors', 'requests']) {
      assert.equal(metric(id).Period, 300);
      assert.equal(metric(id).Stat, 'Sum');
      assert.equal(metric(id).Metric.Namespace, 'AWS/ApplicationELB');
    }
  });

  it('queue alarms on the metrics the processes publish, in Streamlens/{Stage} with no dimensions', () => {
    for (const [template, namespace] of [[dev(), 'Streamlens/Dev'], [prod(), 'Streamlens/Prod']] as const) {
      const alarm = (id: string) => resourceNamed(template, 'AWS::CloudWatch::Alarm', id).Properties;
      const dead = alarm('DeadJobs');
      assert.deepEqual([dead.MetricName, dead.Namespace, dead.Threshold, dead.ComparisonOperator], ['DeadJobs', namespace, 0, 'GreaterThanThreshold']);
      const oldest = alarm('OldestJobAge');
      assert.deepEqual([oldest.MetricName, oldest.Threshold, oldest.ComparisonOperator], ['OldestJobAgeSeconds', 300, 'GreaterThanThreshold']);
      const pulls = alarm('PullFailures');
      assert.deepEqual(
        [pulls.MetricName, pulls.Statistic, pulls.Period, pulls.Threshold, pulls.ComparisonOperator],
        ['PullFailures', 'Sum', 300, 3, 'GreaterThanOrEqualToThreshold'],
      );
      for (const a of [dead, oldest, pulls]) {
        assert.equal(a.Namespace, namespace);
        assert.equal(a.Dimensions, undefined);
      }
    }
  });
});

describe('dashboard', () => {
  it('one dashboard with the API, queue, ECS, DynamoDB and Redis metrics', () => {
    dev().resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(resourceNamed(dev(), 'AWS::CloudWatch::Dashboard', 'Dashboard').Properties.DashboardBody);
    for (const metric of [
      'RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime', 'BacklogPerTask', 'QueueBacklog',
      'OldestJobAgeSeconds', 'DeadJobs', 'PullFailures', 'CPUUtilization', 'MemoryUtilization',
      'ReadThrottleEvents', 'WriteThrottleEvents', 'DatabaseMemoryUsagePercentage',
    ]) {
      assert.ok(body.includes(metric), metric);
    }
  });
});
