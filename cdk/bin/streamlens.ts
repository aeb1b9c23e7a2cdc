#!/usr/bin/env node
/**
 * Entry point of the Streamlens CDK app (`cdk.json` runs it with `node --import tsx`).
 *
 *   npx cdk synth -c stage=dev                      # the four stacks of dev, no AWS account needed
 *   npx cdk synth -c stage=prod -c certificateArn=arn:aws:acm:…   # prod behind HTTPS
 *   npx cdk deploy --all -c stage=prod -c imageTag=1a2b3c4        # images pushed by CI
 *
 * The AwsSolutions rules of cdk-nag run on every synth; an unacknowledged finding stops it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStreamlens } from '../lib/streamlens';

const app = new App();
buildStreamlens(app);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
