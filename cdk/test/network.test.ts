/** `Streamlens-{Stage}-Network`: VPC, endpoints, flow logs, security groups. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { mentions, resources, synth } from './helpers';

const dev = () => synth({ stage: 'dev' }).network;
const prod = () => synth({ stage: 'prod' }).network;

describe('VPC', () => {
  it('two AZs: public, private and isolated subnets in each', () => {
    for (const template of [dev(), prod()]) {
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::Subnet', 6);
      const azs = new Set(Object.values(resources(template, 'AWS::EC2::Subnet')).map((s) => JSON.stringify(s.Properties.AvailabilityZone)));
      assert.equal(azs.size, 2);
    }
  });

  it('one NAT gateway in dev, one per AZ in prod', () => {
    dev().resourceCountIs('AWS::EC2::NatGateway', 1);
    prod().resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('gateway endpoints for S3 and DynamoDB', () => {
    const endpoints = Object.values(resources(dev(), 'AWS::EC2::VPCEndpoint'));
    assert.equal(endpoints.length, 2);
    for (const endpoint of endpoints) assert.equal(endpoint.Properties.VpcEndpointType, 'Gateway');
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName)).sort();
    assert.ok(services[0].includes('.dynamodb') && services[1].includes('.s3'), services.join(' '));
  });

  it('flow logs to CloudWatch Logs, with the stage retention', () => {
    dev().hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    dev().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    prod().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('security groups', () => {
  const ingress = () => Object.values(resources(dev(), 'AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);

  it('Redis: 6379 from the api, worker and scheduler groups only; nothing else, no CIDR', () => {
    const redis = ingress().filter((r) => mentions(r.GroupId, 'RedisSecurityGroup'));
    assert.equal(redis.length, 3);
    for (const rule of redis) {
      assert.deepEqual([rule.FromPort, rule.ToPort, rule.IpProtocol], [6379, 6379, 'tcp']);
      assert.equal(rule.CidrIp, undefined);
    }
    const sources = redis.map((r) => JSON.stringify(r.SourceSecurityGroupId)).sort().join(' ');
    for (const group of ['ApiSecurityGroup', 'WorkerSecurityGroup', 'SchedulerSecurityGroup']) {
      assert.ok(sources.includes(group), group);
    }
    const inline = Object.entries(resources(dev(), 'AWS::EC2::SecurityGroup')).find(([id]) => id.startsWith('RedisSecurityGroup'))?.[1];
    assert.equal(inline?.Properties.SecurityGroupIngress, undefined, 'no inline ingress on the Redis group');
  });

  it('api tasks: 8080 from the load balancer only; worker and scheduler: no inbound at all', () => {
    const api = ingress().filter((r) => mentions(r.GroupId, 'ApiSecurityGroup'));
    assert.equal(api.length, 1);
    assert.deepEqual([api[0].FromPort, api[0].ToPort], [8080, 8080]);
    assert.ok(mentions(api[0].SourceSecurityGroupId, 'AlbSecurityGroup'));
    assert.equal(ingress().filter((r) => mentions(r.GroupId, 'WorkerSecurityGroup') || mentions(r.GroupId, 'SchedulerSecurityGroup')).length, 0);
  });

  it('load balancer: HTTP from anywhere (and HTTPS only with a certificate)', () => {
    dev().hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 })],
    });
  });
});
