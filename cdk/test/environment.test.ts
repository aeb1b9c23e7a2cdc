/**
 * The contract between the stacks and the binaries: every variable a container is given (in `environment` or
 * `secrets`) is one the binaries read, as listed in `binary-variables.json` (generated from the Rust settings
 * table). A typo or a removed setting fails here instead of being silently ignored in production.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { resources, synth, VARIANTS } from './helpers';

const known = new Set<string>(
  (JSON.parse(fs.readFileSync(path.join(__dirname, 'binary-variables.json'), 'utf8')) as { variables: string[] }).variables,
);

interface Container {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
}

/** Every container definition of every stack of a variant, with the task definition it belongs to. */
function containers(context: Record<string, string>): { where: string; container: Container }[] {
  const found: { where: string; container: Container }[] = [];
  for (const [stackName, template] of Object.entries(synth(context).templates)) {
    for (const [id, taskDefinition] of Object.entries(resources(template, 'AWS::ECS::TaskDefinition'))) {
      for (const container of taskDefinition.Properties.ContainerDefinitions as Container[]) {
        found.push({ where: `${stackName}/${id}/${container.Name}`, container });
      }
    }
  }
  return found;
}

function names(container: Container): string[] {
  return [...(container.Environment ?? []).map((e) => e.Name), ...(container.Secrets ?? []).map((s) => s.Name)];
}

function byService(context: Record<string, string>): Record<string, Container> {
  return Object.fromEntries(containers(context).map(({ container }) => [container.Name, container]));
}

describe('container environment contract', () => {
  it('the generated list of variables is there and not empty', () => {
    assert.ok(known.size > 10, 'binary-variables.json lists the variables the binaries read');
  });

  for (const [variant, context] of Object.entries(VARIANTS)) {
    it(`${variant}: every environment and secret name of every container is a variable the binaries read`, () => {
      const all = containers(context);
      assert.equal(all.length, 3, 'three containers: api, worker, scheduler');
      for (const { where, container } of all) {
        const given = names(container);
        assert.ok(given.length > 0, `${where} has an environment`);
        const unknown = given.filter((name) => !known.has(name));
        assert.deepEqual(unknown, [], `${where} sets variables the binaries do not read`);
        assert.deepEqual(given.filter((name) => name.startsWith('AWS_')), [], `${where} must leave AWS_* to Fargate`);
        assert.equal(new Set(given).size, given.length, `${where} sets a variable twice`);
      }
    });
  }

  it('secrets reach the containers only through ECS secrets, never as plain environment', () => {
    for (const context of Object.values(VARIANTS)) {
      for (const { where, container } of containers(context)) {
        const plain = (container.Environment ?? []).map((e) => e.Name);
        for (const secret of ['STREAMLENS_REDIS_PASSWORD', 'STREAMLENS_JWT_SECRET', 'STREAMLENS_ADMIN_PASSWORD', 'STREAMLENS_HELIX_CLIENT_ID', 'STREAMLENS_HELIX_CLIENT_SECRET']) {
          assert.ok(!plain.includes(secret), `${where} has ${secret} in plain environment`);
        }
      }
    }
  });

  it('each service gets the settings it needs', () => {
    const c = byService({ stage: 'dev' });
    assert.deepEqual(names(c.api).sort(), [
      'STREAMLENS_ADMIN_LOGIN', 'STREAMLENS_ADMIN_PASSWORD', 'STREAMLENS_ANONYMOUS', 'STREAMLENS_BLOBS_CLEAN',
      'STREAMLENS_BLOBS_SERIES', 'STREAMLENS_CACHE', 'STREAMLENS_EXPLORER', 'STREAMLENS_HELIX_CLIENT_ID',
      'STREAMLENS_HELIX_CLIENT_SECRET', 'STREAMLENS_JWT_SECRET', 'STREAMLENS_LISTEN', 'STREAMLENS_LOG_FORMAT',
      'STREAMLENS_META', 'STREAMLENS_PUBSUB', 'STREAMLENS_QUEUE', 'STREAMLENS_REDIS_PASSWORD',
    ]);
    assert.deepEqual(names(c.worker).sort(), [
      'STREAMLENS_BLOBS_CLEAN', 'STREAMLENS_BLOBS_RAW', 'STREAMLENS_BLOBS_SERIES', 'STREAMLENS_CLOUDWATCH_NAMESPACE',
      'STREAMLENS_EVENTBRIDGE_BUS', 'STREAMLENS_HELIX_CLIENT_ID', 'STREAMLENS_HELIX_CLIENT_SECRET', 'STREAMLENS_LOG_FORMAT',
      'STREAMLENS_META', 'STREAMLENS_PUBSUB', 'STREAMLENS_QUEUE', 'STREAMLENS_REDIS_PASSWORD',
    ]);
    assert.deepEqual(names(c.scheduler).sort(), [
      'STREAMLENS_CLOUDWATCH_NAMESPACE', 'STREAMLENS_HELIX_CLIENT_ID', 'STREAMLENS_HELIX_CLIENT_SECRET',
      'STREAMLENS_LOG_FORMAT', 'STREAMLENS_META', 'STREAMLENS_PUBSUB', 'STREAMLENS_QUEUE', 'STREAMLENS_REDIS_PASSWORD',
    ]);
  });

  it('values: listen address, store URLs, TLS Redis, JSON logs, namespace, stage switches', () => {
    const value = (container: Container, name: string) => JSON.stringify(container.Environment?.find((e) => e.Name === name)?.Value);
    for (const stage of ['dev', 'prod'] as const) {
      const c = byService({ stage });
      const title = stage === 'dev' ? 'Dev' : 'Prod';
      assert.equal(value(c.api, 'STREAMLENS_LISTEN'), '"0.0.0.0:8080"');
      for (const container of Object.values(c)) {
        assert.equal(value(container, 'STREAMLENS_META'), `"dynamodb://streamlens-${stage}"`);
        assert.equal(value(container, 'STREAMLENS_LOG_FORMAT'), '"json"');
        assert.match(value(container, 'STREAMLENS_QUEUE'), /"rediss:\/\/"/, 'the queue URL is TLS (rediss://)');
        assert.match(value(container, 'STREAMLENS_QUEUE'), /PrimaryEndPointAddress/);
        assert.match(value(container, 'STREAMLENS_QUEUE'), /PrimaryEndPointPort/);
        assert.equal(value(container, 'STREAMLENS_PUBSUB'), value(container, 'STREAMLENS_QUEUE'));
      }
      assert.equal(value(c.api, 'STREAMLENS_CACHE'), value(c.api, 'STREAMLENS_QUEUE'));
      for (const role of ['raw', 'series', 'clean']) {
        assert.match(value(c.worker, `STREAMLENS_BLOBS_${role.toUpperCase()}`), new RegExp(`s3://streamlens-${stage}-${role}-`));
      }
      assert.equal(value(c.worker, 'STREAMLENS_CLOUDWATCH_NAMESPACE'), `"Streamlens/${title}"`);
      assert.equal(value(c.scheduler, 'STREAMLENS_CLOUDWATCH_NAMESPACE'), `"Streamlens/${title}"`);
      assert.equal(value(c.api, 'STREAMLENS_EXPLORER'), stage === 'dev' ? '"true"' : '"false"');
      assert.equal(value(c.api, 'STREAMLENS_ANONYMOUS'), stage === 'dev' ? '"true"' : '"false"');
      assert.equal(value(c.api, 'STREAMLENS_ADMIN_LOGIN'), '"admin"');
      assert.match(value(c.worker, 'STREAMLENS_EVENTBRIDGE_BUS'), /EventBus/);
    }
  });

  it('context switches: CORS origins on the API, the log filter; no bus and no Helix credentials when switched off', () => {
    const withCors = byService(VARIANTS['prod, HTTPS, ECR image tag, CORS']);
    assert.deepEqual(withCors.api.Environment?.find((e) => e.Name === 'STREAMLENS_CORS_ORIGINS')?.Value, 'https://app.example.com');
    for (const container of Object.values(withCors)) {
      assert.equal(container.Environment?.find((e) => e.Name === 'STREAMLENS_LOG')?.Value, 'info,streamlens_jobs=debug');
    }
    const off = byService(VARIANTS['dev, no events, simulator source']);
    for (const container of Object.values(off)) {
      assert.ok(!names(container).includes('STREAMLENS_EVENTBRIDGE_BUS'));
      assert.ok(!names(container).some((n) => n.startsWith('STREAMLENS_HELIX_')));
    }
  });
});
