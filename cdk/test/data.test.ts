/** `Streamlens-{Stage}-Data`: buckets, the metadata table, Redis, secrets, the event bus. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { mentions, resourceNamed, resources, synth } from './helpers';

const dev = () => synth({ stage: 'dev' }).data;
const prod = () => synth({ stage: 'prod' }).data;

function bucket(template: ReturnType<typeof dev>, prefix: string) {
  return resourceNamed(template, 'AWS::S3::Bucket', prefix).Properties;
}

describe('S3 buckets', () => {
  it('four buckets: raw, series, clean and the access logs', () => {
    dev().resourceCountIs('AWS::S3::Bucket', 4);
    prod().resourceCountIs('AWS::S3::Bucket', 4);
  });

  it('every bucket is encrypted, blocks all public access and refuses plain HTTP', () => {
    for (const template of [dev(), prod()]) {
      for (const [id, b] of Object.entries(resources(template, 'AWS::S3::Bucket'))) {
        assert.deepEqual(
          b.Properties.BucketEncryption,
          { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          `${id} encryption`,
        );
        assert.deepEqual(
          b.Properties.PublicAccessBlockConfiguration,
          { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          `${id} public access block`,
        );
      }
      const policies = Object.values(resources(template, 'AWS::S3::BucketPolicy'));
      assert.equal(policies.length, 4, 'one policy per bucket');
      for (const policy of policies) {
        const denies = policy.Properties.PolicyDocument.Statement.filter(
          (s: any) => s.Effect === 'Deny' && mentions(s.Condition, 'aws:SecureTransport'),
        );
        assert.equal(denies.length, 1, 'denies requests without TLS');
      }
    }
  });

  it('the data buckets have fixed names and log their access to the logs bucket', () => {
    for (const role of ['Raw', 'Series', 'Clean']) {
      const props = bucket(dev(), `${role}Bucket`);
      assert.ok(mentions(props.BucketName, `streamlens-dev-${role.toLowerCase()}-`), `${role} name`);
      assert.ok(mentions(props.LoggingConfiguration.DestinationBucketName, 'LogsBucket'), `${role} access logs`);
      assert.equal(props.LoggingConfiguration.LogFilePrefix, `s3/${role.toLowerCase()}/`);
    }
  });

  it('raw is versioned; series and clean are not', () => {
    assert.deepEqual(bucket(dev(), 'RawBucket').VersioningConfiguration, { Status: 'Enabled' });
    assert.equal(bucket(dev(), 'SeriesBucket').VersioningConfiguration, undefined);
    assert.equal(bucket(dev(), 'CleanBucket').VersioningConfiguration, undefined);
  });

  it('raw moves to Standard-IA after 30 days and to Glacier after 90; replaced versions expire', () => {
    const rules = bucket(prod(), 'RawBucket').LifecycleConfiguration.Rules;
    const cold = rules.find((r: any) => r.Id === 'raw-to-colder-storage');
    assert.deepEqual(cold.Transitions, [
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER', TransitionInDays: 90 },
    ]);
    assert.equal(cold.Status, 'Enabled');
    assert.ok(rules.some((r: any) => r.NoncurrentVersionExpiration?.NoncurrentDays === 30));
    assert.equal(bucket(prod(), 'RawBucket').LifecycleConfiguration.TransitionDefaultMinimumObjectSize, 'all_storage_classes_128K');
  });

  it('the raw transitions and the series retention come from context', () => {
    const template = synth({ stage: 'dev', rawInfrequentAccessDays: '45', rawGlacierDays: '180', seriesRetentionDays: '7' }).data;
    const raw = bucket(template, 'RawBucket').LifecycleConfiguration.Rules.find((r: any) => r.Id === 'raw-to-colder-storage');
    assert.deepEqual(raw.Transitions.map((t: any) => t.TransitionInDays), [45, 180]);
    const series = bucket(template, 'SeriesBucket').LifecycleConfiguration.Rules.find((r: any) => r.Id === 'expire-series');
    assert.equal(series.ExpirationInDays, 7);
  });

  it('series objects expire after 30 days by default; every bucket aborts stale multipart uploads', () => {
    const rules = bucket(dev(), 'SeriesBucket').LifecycleConfiguration.Rules;
    assert.equal(rules.find((r: any) => r.Id === 'expire-series').ExpirationInDays, 30);
    for (const role of ['Raw', 'Series', 'Clean', 'Logs']) {
      assert.ok(
        bucket(dev(), `${role}Bucket`).LifecycleConfiguration.Rules.some((r: any) => r.AbortIncompleteMultipartUpload),
        `${role} aborts incomplete uploads`,
      );
    }
  });

  it('prod retains buckets; dev deletes them with their objects', () => {
    for (const b of Object.values(prod().findResources('AWS::S3::Bucket'))) {
      assert.equal(b.DeletionPolicy, 'Retain');
    }
    for (const b of Object.values(dev().findResources('AWS::S3::Bucket'))) {
      assert.equal(b.DeletionPolicy, 'Delete');
    }
    dev().resourceCountIs('Custom::S3AutoDeleteObjects', 4);
    prod().resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('DynamoDB metadata table', () => {
  it('one table {prefix}-meta with pk/sk, gsi1 (all attributes), TTL on expires_at, on demand, PITR', () => {
    for (const [stage, template] of [['dev', dev()], ['prod', prod()]] as const) {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `streamlens-${stage}-meta`,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('deletion protection and retention in prod only', () => {
    prod().hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    prod().hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    dev().hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});

describe('ElastiCache Redis', () => {
  it('TLS in transit (required), encrypted at rest, AUTH token from the generated secret', () => {
    for (const template of [dev(), prod()]) {
      template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
      const redis = resourceNamed(template, 'AWS::ElastiCache::ReplicationGroup', 'Redis').Properties;
      assert.equal(redis.Engine, 'redis');
      assert.equal(redis.TransitEncryptionEnabled, true);
      assert.equal(redis.TransitEncryptionMode, 'required');
      assert.equal(redis.AtRestEncryptionEnabled, true);
      assert.equal(redis.Port, 6379);
      assert.match(JSON.stringify(redis.AuthToken), /\{\{resolve:secretsmanager:/);
      assert.ok(mentions(redis.AuthToken, 'RedisAuthToken'), 'the token is the stack-generated secret');
      assert.ok(mentions(redis.SecurityGroupIds, 'RedisSecurityGroup'));
    }
  });

  it('dev: one node; prod: two nodes across AZs with automatic failover', () => {
    const d = resourceNamed(dev(), 'AWS::ElastiCache::ReplicationGroup', 'Redis').Properties;
    assert.equal(d.NumCacheClusters, 1);
    assert.equal(d.AutomaticFailoverEnabled, false);
    const p = resourceNamed(prod(), 'AWS::ElastiCache::ReplicationGroup', 'Redis').Properties;
    assert.equal(p.NumCacheClusters, 2);
    assert.equal(p.AutomaticFailoverEnabled, true);
    assert.equal(p.MultiAZEnabled, true);
    assert.ok(p.SnapshotRetentionLimit > 0, 'prod keeps snapshots');
  });

  it('subnet group in the isolated subnets; no eviction (the job queue must not lose keys)', () => {
    const group = resourceNamed(dev(), 'AWS::ElastiCache::SubnetGroup', 'RedisSubnets').Properties;
    assert.equal(group.SubnetIds.length, 2);
    for (const subnet of group.SubnetIds) assert.ok(mentions(subnet, 'isolated'), 'isolated subnet');
    dev().hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'redis7',
      Properties: { 'maxmemory-policy': 'noeviction' },
    });
  });
});

describe('secrets and the event bus', () => {
  it('four generated secrets: Redis AUTH, JWT (64 characters), admin password, Helix credentials (JSON)', () => {
    const template = dev();
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'streamlens-dev/jwt-secret',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'streamlens-dev/redis-auth-token',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'streamlens-dev/helix',
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"client_id":"set-me"}', GenerateStringKey: 'client_secret' }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'streamlens-dev/admin-password' });
    for (const secret of Object.values(resources(template, 'AWS::SecretsManager::Secret'))) {
      assert.equal(secret.Properties.SecretString, undefined, 'no secret value in the template');
    }
  });

  it('the bus streamlens-{stage}, unless seriesReadyEvents is off', () => {
    dev().hasResourceProperties('AWS::Events::EventBus', { Name: 'streamlens-dev' });
    prod().hasResourceProperties('AWS::Events::EventBus', { Name: 'streamlens-prod' });
    synth({ stage: 'dev', seriesReadyEvents: 'false', helix: 'false' }).data.resourceCountIs('AWS::Events::EventBus', 0);
  });
});
