/**
 * `Streamlens-{Stage}-Network`: the VPC and the security groups of everything that lives in it.
 *
 * - Two AZs; public subnets (ALB, NAT gateways), private subnets with egress through NAT (ECS tasks: Twitch Helix,
 *   ECR, CloudWatch Logs, Secrets Manager, EventBridge), and isolated subnets (Redis).
 * - Gateway endpoints for S3 and DynamoDB, so the bulk of the traffic (blobs and metadata) does not pay NAT
 *   processing and never leaves the AWS network.
 * - VPC flow logs to CloudWatch Logs (rejected and accepted traffic), kept as long as the service logs.
 * - One security group per role: the ALB (80/443 from anywhere), the api tasks (8080 from the ALB only), the worker
 *   and scheduler tasks (no inbound), Redis (6379 from the three task groups only). They live here, not beside
 *   their resources, so the data stack (Redis) and the services stack can refer to each other's groups without a
 *   dependency cycle.
 */
import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StreamlensConfig } from './config';
import { acknowledge } from './nag';

/** The port the api container listens on (`STREAMLENS_LISTEN`). */
export const API_PORT = 8080;
/** The Redis port: the default, reachable only from the task security groups. */
export const REDIS_PORT = 6379;

export interface NetworkStackProps extends StackProps {
  readonly config: StreamlensConfig;
}

export class NetworkStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly albSecurityGroup: ec2.SecurityGroup;
  public readonly apiSecurityGroup: ec2.SecurityGroup;
  public readonly workerSecurityGroup: ec2.SecurityGroup;
  public readonly schedulerSecurityGroup: ec2.SecurityGroup;
  public readonly redisSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      restrictDefaultSecurityGroup: true,
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: this.vpc,
      description: `${config.prefix} load balancer of the API`,
      allowAllOutbound: false,
    });
    this.albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere (redirected to HTTPS when there is a certificate)');
    if (config.certificateArn) {
      this.albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    }
    acknowledge(this.albSecurityGroup, 'AwsSolutions-EC23', 'The API load balancer is public on purpose: it serves the GraphQL gateway on 80/443 to any client; nothing else is open.');

    this.apiSecurityGroup = new ec2.SecurityGroup(this, 'ApiSecurityGroup', {
      vpc: this.vpc,
      description: `${config.prefix} api tasks`,
      allowAllOutbound: true,
    });
    this.apiSecurityGroup.addIngressRule(this.albSecurityGroup, ec2.Port.tcp(API_PORT), 'HTTP from the load balancer');
    this.albSecurityGroup.addEgressRule(this.apiSecurityGroup, ec2.Port.tcp(API_PORT), 'to the api tasks');

    this.workerSecurityGroup = new ec2.SecurityGroup(this, 'WorkerSecurityGroup', {
      vpc: this.vpc,
      description: `${config.prefix} worker tasks (no inbound)`,
      allowAllOutbound: true,
    });
    this.schedulerSecurityGroup = new ec2.SecurityGroup(this, 'SchedulerSecurityGroup', {
      vpc: this.vpc,
      description: `${config.prefix} scheduler tasks (no inbound)`,
      allowAllOutbound: true,
    });

    this.redisSecurityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', {
      vpc: this.vpc,
      description: `${config.prefix} Redis (queue, locks, pub/sub, cache)`,
      allowAllOutbound: false,
    });
    for (const [name, group] of [
      ['api', this.apiSecurityGroup],
      ['worker', this.workerSecurityGroup],
      ['scheduler', this.schedulerSecurityGroup],
    ] as const) {
      this.redisSecurityGroup.addIngressRule(group, ec2.Port.tcp(REDIS_PORT), `Redis from the ${name} tasks`);
    }
  }
}
