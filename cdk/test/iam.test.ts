/**
 * Least privilege, role by role: what each task role may do, on which resources, and what it may not.
 * The task roles are what the binaries run with; the execution roles only pull images, write logs and read the
 * secrets ECS injects.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { mentions, resources, synth, VARIANTS } from './helpers';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
function statements(template: Template, rolePrefix: string): Statement[] {
  const found: Statement[] = [];
  for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
    const roles = JSON.stringify(policy.Properties.Roles);
    if (roles.includes(`"${rolePrefix}`)) found.push(...policy.Properties.PolicyDocument.Statement);
  }
  return found;
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The actions a role is allowed on resources mentioning `resource`. */
function actionsOn(template: Template, rolePrefix: string, resource: string): string[] {
  return statements(template, rolePrefix)
    .filter((s) => s.Effect === 'Allow' && resourcesOf(s).some((r) => mentions(r, resource)))
    .flatMap(actionsOf)
    .sort();
}

function allActions(template: Template, rolePrefix: string): string[] {
  return statements(template, rolePrefix).flatMap(actionsOf);
}

const S3_READ = ['s3:GetBucket*', 's3:GetObject*', 's3:List*'];
const S3_READ_WRITE = [...S3_READ, 's3:Abort*', 's3:DeleteObject*', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'].sort();
const TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem',
  'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:PutItem',
  'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem',
];

for (const stage of ['dev', 'prod'] as const) {
  describe(`task roles (${stage})`, () => {
    const services = () => synth({ stage }).services;
    const bucket = (role: string) => `streamlens-${stage}-${role}-`;
    const table = `table/streamlens-${stage}-meta`;

    it('api: reads the series and clean buckets, nothing on raw, no S3 write at all', () => {
      assert.deepEqual(actionsOn(services(), 'ApiTaskTaskRole', bucket('series')), [...S3_READ].sort());
      assert.deepEqual(actionsOn(services(), 'ApiTaskTaskRole', bucket('clean')), [...S3_READ].sort());
      assert.deepEqual(actionsOn(services(), 'ApiTaskTaskRole', bucket('raw')), []);
      const writes = allActions(services(), 'ApiTaskTaskRole').filter((a) => /^s3:(Put|Delete|Abort)/.test(a));
      assert.deepEqual(writes, [], 'the api cannot write any blob');
    });

    it('api: reads and writes the table and its index (users, API keys, re-runs)', () => {
      assert.deepEqual(actionsOn(services(), 'ApiTaskTaskRole', table), TABLE_READ_WRITE);
      assert.ok(statements(services(), 'ApiTaskTaskRole').some((s) => resourcesOf(s).some((r) => mentions(r, `${table}/index/*`))));
    });

    it('worker: reads and writes all three buckets and the table with its index', () => {
      for (const role of ['raw', 'series', 'clean']) {
        assert.deepEqual(actionsOn(services(), 'WorkerTaskTaskRole', bucket(role)), S3_READ_WRITE, role);
      }
      assert.deepEqual(actionsOn(services(), 'WorkerTaskTaskRole', table), TABLE_READ_WRITE);
    });

    it('worker: may put events on the Streamlens bus only; nobody else may', () => {
      const put = statements(services(), 'WorkerTaskTaskRole').filter((s) => actionsOf(s).includes('events:PutEvents'));
      assert.equal(put.length, 1);
      assert.deepEqual(actionsOf(put[0]), ['events:PutEvents']);
      assert.equal(resourcesOf(put[0]).length, 1);
      assert.ok(mentions(put[0].Resource, 'EventBus'), 'the bus of the data stack');
      for (const role of ['ApiTaskTaskRole', 'SchedulerTaskTaskRole']) {
        assert.ok(!allActions(services(), role).some((a) => a.startsWith('events:')), role);
      }
    });

    it('scheduler: the table only, no S3 permission', () => {
      assert.deepEqual(actionsOn(services(), 'SchedulerTaskTaskRole', table), TABLE_READ_WRITE);
      assert.deepEqual(allActions(services(), 'SchedulerTaskTaskRole').filter((a) => a.startsWith('s3:')), []);
    });

    it('no task role can publish metrics directly (EMF goes through the logs) or read secrets', () => {
      for (const role of ['ApiTaskTaskRole', 'WorkerTaskTaskRole', 'SchedulerTaskTaskRole']) {
        const actions = allActions(services(), role);
        assert.ok(!actions.includes('cloudwatch:PutMetricData'), role);
        assert.ok(!actions.some((a) => a.startsWith('secretsmanager:')), role);
      }
    });

    it('no "*" resource anywhere but ecr:GetAuthorizationToken, which has no resource-level permission', () => {
      for (const template of Object.values(synth({ stage }).templates)) {
        for (const policy of Object.values(resources(template, 'AWS::IAM::Policy'))) {
          for (const s of policy.Properties.PolicyDocument.Statement as Statement[]) {
            if (resourcesOf(s).includes('*')) {
              assert.deepEqual(actionsOf(s), ['ecr:GetAuthorizationToken']);
            }
          }
        }
      }
    });

    it('execution roles read exactly the secrets their container is given', () => {
      const secretsOf = (rolePrefix: string) =>
        statements(services(), rolePrefix)
          .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
          .flatMap(resourcesOf)
          .map((r) => JSON.stringify(r).match(/PublishOutputRef(\w+?)[0-9A-F]{8}/)?.[1] ?? JSON.stringify(r))
          .sort();
      assert.deepEqual(secretsOf('ApiTaskExecutionRole'), ['AdminPassword', 'HelixCredentials', 'JwtSecret', 'RedisAuthToken']);
      assert.deepEqual(secretsOf('WorkerTaskExecutionRole'), ['HelixCredentials', 'RedisAuthToken']);
      assert.deepEqual(secretsOf('SchedulerTaskExecutionRole'), ['HelixCredentials', 'RedisAuthToken']);
    });
  });
}

describe('task roles with context switches', () => {
  it('without the event bus, the worker has no events permission', () => {
    const services = synth(VARIANTS['dev, no events, simulator source']).services;
    assert.ok(!allActions(services, 'WorkerTaskTaskRole').some((a) => a.startsWith('events:')));
  });

  it('with an image tag, execution roles pull only from their own streamlens-* repository', () => {
    const services = synth(VARIANTS['prod, HTTPS, ECR image tag, CORS']).services;
    for (const name of ['Api', 'Worker', 'Scheduler']) {
      const pulls = statements(services, `${name}TaskExecutionRole`).filter((s) => actionsOf(s).includes('ecr:BatchGetImage'));
      assert.equal(pulls.length, 1);
      assert.ok(mentions(pulls[0].Resource, `repository/streamlens-${name.toLowerCase()}`), JSON.stringify(pulls[0].Resource));
    }
  });
});
