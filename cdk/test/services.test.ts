/** `Streamlens-{Stage}-Services`: cluster, task definitions, services, load balancer, autoscaling, logs, images. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../lib/services-stack';
import { CERTIFICATE_ARN, mentions, resourceNamed, resources, synth, VARIANTS } from './helpers';

const dev = () => synth({ stage: 'dev' }).services;
const prod = () => synth({ stage: 'prod' }).services;
const https = () => synth(VARIANTS['prod, HTTPS, ECR image tag, CORS']).services;

function service(template: ReturnType<typeof dev>, name: 'Api' | 'Worker' | 'Scheduler') {
  return resourceNamed(template, 'AWS::ECS::Service', `${name}Service`).Properties;
}

describe('ECS cluster and tasks', () => {
  it('one cluster with Container Insights', () => {
    dev().resourceCountIs('AWS::ECS::Cluster', 1);
    dev().hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'streamlens-dev',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('three Fargate task definitions, all Linux on ARM64', () => {
    for (const template of [dev(), prod(), https()]) {
      const tasks = Object.values(resources(template, 'AWS::ECS::TaskDefinition'));
      assert.equal(tasks.length, 3);
      for (const task of tasks) {
        assert.deepEqual(task.Properties.RuntimePlatform, { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
        assert.deepEqual(task.Properties.RequiresCompatibilities, ['FARGATE']);
        assert.equal(task.Properties.NetworkMode, 'awsvpc');
      }
    }
  });

  it('each container logs to its own log group through awslogs', () => {
    for (const name of ['api', 'worker', 'scheduler']) {
      const task = resourceNamed(dev(), 'AWS::ECS::TaskDefinition', `${name[0].toUpperCase()}${name.slice(1)}Task`).Properties;
      const [container] = task.ContainerDefinitions;
      assert.equal(container.Name, name);
      assert.equal(container.LogConfiguration.LogDriver, 'awslogs');
      assert.ok(mentions(container.LogConfiguration.Options['awslogs-group'], `${name[0].toUpperCase()}${name.slice(1)}Logs`));
    }
  });

  it('log groups per service: two weeks in dev, three months in prod', () => {
    for (const [template, days, stage] of [[dev(), 14, 'dev'], [prod(), 90, 'prod']] as const) {
      template.resourceCountIs('AWS::Logs::LogGroup', 3);
      for (const name of ['api', 'worker', 'scheduler']) {
        template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/streamlens/${stage}/${name}`, RetentionInDays: days });
      }
    }
  });
});

describe('images', () => {
  it('by default, built from the repository Dockerfile, one target per binary, linux/arm64', () => {
    const assembly = synth({ stage: 'dev' }).app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Streamlens-Dev-Services.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages ?? {}).map((i: any) => i.source);
    assert.deepEqual(images.map((i) => i.dockerBuildTarget).sort(), ['api', 'scheduler', 'worker']);
    for (const image of images) {
      assert.equal(image.platform, 'linux/arm64');
      assert.equal(image.dockerFile, 'Dockerfile');
      // The build context is the repository, without what .dockerignore leaves out (the CDK app among it).
      const context = path.join(assembly.directory, image.directory);
      assert.ok(fs.existsSync(path.join(context, 'Cargo.toml')));
      assert.ok(!fs.existsSync(path.join(context, 'cdk')));
      assert.ok(!fs.existsSync(path.join(context, 'target')));
    }
    for (const task of Object.values(resources(dev(), 'AWS::ECS::TaskDefinition'))) {
      assert.ok(mentions(task.Properties.ContainerDefinitions[0].Image, 'container-assets'));
    }
  });

  it('the repository Dockerfile has the three targets the services build', () => {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    for (const target of ['api', 'worker', 'scheduler']) {
      assert.match(dockerfile, new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${target}\\s*$`, 'im'), `stage ${target}`);
    }
  });

  it('with imageTag, the tag from the ECR repositories streamlens-{api,worker,scheduler}', () => {
    for (const name of ['api', 'worker', 'scheduler']) {
      const task = resourceNamed(https(), 'AWS::ECS::TaskDefinition', `${name[0].toUpperCase()}${name.slice(1)}Task`).Properties;
      const image = JSON.stringify(task.ContainerDefinitions[0].Image);
      assert.ok(image.includes(`/streamlens-${name}:v1.2.3`), image);
    }
  });
});

describe('services', () => {
  it('three services, private subnets, no public IP, circuit breaker with rollback', () => {
    for (const template of [dev(), prod()]) {
      template.resourceCountIs('AWS::ECS::Service', 3);
      for (const s of Object.values(resources(template, 'AWS::ECS::Service'))) {
        assert.equal(s.Properties.LaunchType, 'FARGATE');
        assert.equal(s.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
        assert.ok(mentions(s.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets, 'privateSubnet'));
        assert.deepEqual(s.Properties.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
      }
    }
  });

  it('desired counts: api 1 dev / 2 prod, worker 1 / 2, scheduler exactly 1', () => {
    assert.equal(service(dev(), 'Api').DesiredCount, 1);
    assert.equal(service(prod(), 'Api').DesiredCount, 2);
    assert.equal(service(dev(), 'Worker').DesiredCount, 1);
    assert.equal(service(prod(), 'Worker').DesiredCount, 2);
    assert.equal(service(dev(), 'Scheduler').DesiredCount, 1);
    assert.equal(service(prod(), 'Scheduler').DesiredCount, 1);
  });

  it('only the api is behind the load balancer, on container port 8080', () => {
    assert.deepEqual(service(dev(), 'Api').LoadBalancers.map((l: any) => [l.ContainerName, l.ContainerPort]), [['api', 8080]]);
    assert.deepEqual(service(dev(), 'Worker').LoadBalancers, []);
    assert.deepEqual(service(dev(), 'Scheduler').LoadBalancers, []);
  });
});

describe('load balancer', () => {
  it('internet-facing, access logs on, invalid headers dropped', () => {
    dev().resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    dev().hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    prod().hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
  });

  it('the api target group checks /readyz on port 8080', () => {
    dev().resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    dev().hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/readyz',
      Matcher: { HttpCode: '200' },
    });
  });

  it('without a certificate: one HTTP listener forwarding to the api', () => {
    dev().resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    dev().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('with certificateArn: HTTPS on 443 with the certificate, and HTTP redirected to HTTPS', () => {
    const template = https();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      SslPolicy: Match.stringLikeRegexp('TLS'),
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    synth(VARIANTS['prod, HTTPS, ECR image tag, CORS']).network.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ FromPort: 443, CidrIp: '0.0.0.0/0' })]),
    });
  });
});

describe('autoscaling', () => {
  function targetOf(template: ReturnType<typeof dev>, name: string) {
    return resourceNamed(template, 'AWS::ApplicationAutoScaling::ScalableTarget', `${name}ServiceTaskCountTarget`).Properties;
  }

  it('api: CPU target tracking between its minimum and maximum', () => {
    assert.deepEqual([targetOf(dev(), 'Api').MinCapacity, targetOf(dev(), 'Api').MaxCapacity], [1, 4]);
    assert.deepEqual([targetOf(prod(), 'Api').MinCapacity, targetOf(prod(), 'Api').MaxCapacity], [2, 10]);
    dev().hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
  });

  it('worker: target tracking on BacklogPerTask (Streamlens/{Stage}, no dimensions), 1..10 dev, 2..20 prod', () => {
    assert.deepEqual([targetOf(dev(), 'Worker').MinCapacity, targetOf(dev(), 'Worker').MaxCapacity], [1, 10]);
    assert.deepEqual([targetOf(prod(), 'Worker').MinCapacity, targetOf(prod(), 'Worker').MaxCapacity], [2, 20]);
    for (const [template, namespace] of [[dev(), 'Streamlens/Dev'], [prod(), 'Streamlens/Prod']] as const) {
      const policy = resourceNamed(template, 'AWS::ApplicationAutoScaling::ScalingPolicy', 'WorkerServiceTaskCountTargetBacklogPerTask').Properties;
      assert.equal(policy.PolicyType, 'TargetTrackingScaling');
      assert.deepEqual(policy.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification, {
        MetricName: 'BacklogPerTask',
        Namespace: namespace,
        Statistic: 'Average',
      });
      assert.equal(policy.TargetTrackingScalingPolicyConfiguration.TargetValue, 100);
      assert.ok(mentions(policy.ScalingTargetId, 'WorkerService'));
    }
  });

  it('worker: the target value comes from context backlogPerTaskTarget', () => {
    const template = synth({ stage: 'dev', backlogPerTaskTarget: '250' }).services;
    const policy = resourceNamed(template, 'AWS::ApplicationAutoScaling::ScalingPolicy', 'WorkerServiceTaskCountTargetBacklogPerTask').Properties;
    assert.equal(policy.TargetTrackingScalingPolicyConfiguration.TargetValue, 250);
  });

  it('scheduler: no scalable target and no scaling policy', () => {
    for (const template of [dev(), prod()]) {
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
      for (const t of Object.values(resources(template, 'AWS::ApplicationAutoScaling::ScalableTarget'))) {
        assert.ok(!mentions(t.Properties.ResourceId, 'SchedulerService'));
      }
    }
  });
});
