/**
 * The stacks of one Streamlens stage, in deployment order:
 *
 * 1. `Streamlens-{Stage}-Network`: VPC (2 AZs, NAT, S3 and DynamoDB gateway endpoints, flow logs), security groups.
 * 2. `Streamlens-{Stage}-Data`: S3 buckets, the DynamoDB metadata table, ElastiCache Redis, secrets, EventBridge bus.
 * 3. `Streamlens-{Stage}-Services`: ECS cluster, the api/worker/scheduler Fargate services, the ALB, autoscaling.
 * 4. `Streamlens-{Stage}-Monitoring`: alarms, their SNS topic, the dashboard.
 *
 * Stateful resources sit apart from the services, so the services stack can be deleted and rebuilt (or rolled back
 * by CloudFormation) without touching data.
 */
import { App, Aspects, CfnResource, IAspect, Stack, Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { loadConfig, StreamlensConfig } from './config';
import { DataStack } from './data-stack';
import { MonitoringStack } from './monitoring-stack';
import { NetworkStack } from './network-stack';
import { ServicesStack } from './services-stack';

/** The stacks of the stage, by role. */
export interface StreamlensStacks {
  readonly config: StreamlensConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly services: ServicesStack;
  readonly monitoring: MonitoringStack;
  /** All four, in deployment order. */
  readonly all: Stack[];
}

/** Adds the stacks of the stage named by the app's context (`stage`, default `dev`) to `app`. */
export function buildStreamlens(app: App): StreamlensStacks {
  const config = loadConfig(app.node);
  const env = { region: config.region };
  const name = (role: string) => `Streamlens-${config.stageTitle}-${role}`;
  const description = (what: string) => `Streamlens ${config.stage}: ${what}`;

  const network = new NetworkStack(app, name('Network'), {
    config,
    env,
    description: description('VPC, endpoints and security groups'),
  });
  const data = new DataStack(app, name('Data'), {
    config,
    env,
    description: description('S3 buckets, DynamoDB table, Redis, secrets, event bus'),
    vpc: network.vpc,
    redisSecurityGroup: network.redisSecurityGroup,
  });
  const services = new ServicesStack(app, name('Services'), {
    config,
    env,
    description: description('ECS cluster, api/worker/scheduler services, load balancer'),
    network,
    data,
  });
  const monitoring = new MonitoringStack(app, name('Monitoring'), {
    config,
    env,
    description: description('alarms, alarm topic and dashboard'),
    data,
    services,
  });

  for (const stack of [network, data, services, monitoring]) {
    Tags.of(stack).add('project', 'streamlens');
    Tags.of(stack).add('stage', config.stage);
    Aspects.of(stack).add(new CdkProviderLintIgnores());
  }
  return { config, network, data, services, monitoring, all: [network, data, services, monitoring] };
}

/**
 * The custom resource providers aws-cdk-lib adds on its own (emptying dev buckets before deletion, stripping the
 * VPC's default security group) give their Lambda function an explicit DependsOn on its role as well as a GetAtt of
 * it, which cfn-lint reports as W3005 (redundant dependency). The template is correct and the construct is not
 * ours to change, so that one check is switched off on those functions only.
 */
class CdkProviderLintIgnores implements IAspect {
  public visit(node: IConstruct): void {
    if (
      node instanceof CfnResource &&
      node.cfnResourceType === 'AWS::Lambda::Function' &&
      node.node.scopes.some((scope) => /^Custom::.+CustomResourceProvider$/.test(scope.node.id))
    ) {
      node.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
    }
  }
}
