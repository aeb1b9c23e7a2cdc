/**
 * Test helpers: synthesize the app of a stage with the same feature flags as `cdk.json` (so tests see what
 * `cdk synth` produces), once per set of context values.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStreamlens, StreamlensStacks } from '../lib/streamlens';

/** The context of `cdk.json` (feature flags): every test app starts from it, as `cdk synth` does. */
export const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** A certificate ARN of the right shape (no AWS call is made for it). */
export const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

/** The app of one stage, synthesized, with its stacks' templates. */
export interface Synthesized {
  readonly app: App;
  readonly stacks: StreamlensStacks;
  readonly network: Template;
  readonly data: Template;
  readonly services: Template;
  readonly monitoring: Template;
  /** Every stack's template, by stack name. */
  readonly templates: Record<string, Template>;
}

const cache = new Map<string, Synthesized>();

/** Synthesizes the app with `context` (e.g. `{ stage: 'prod' }`), once per distinct context. */
export function synth(context: Record<string, string> = {}): Synthesized {
  const key = JSON.stringify(Object.entries(context).sort());
  const cached = cache.get(key);
  if (cached) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamlens-cdk-test-'));
  const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
  const stacks = buildStreamlens(app);
  const assembly = app.synth();
  const template = (name: string) => Template.fromJSON(assembly.getStackByName(name).template);
  const templates = Object.fromEntries(stacks.all.map((s) => [s.stackName, template(s.stackName)]));
  const result: Synthesized = {
    app,
    stacks,
    network: templates[stacks.network.stackName],
    data: templates[stacks.data.stackName],
    services: templates[stacks.services.stackName],
    monitoring: templates[stacks.monitoring.stackName],
    templates,
  };
  cache.set(key, result);
  return result;
}

/** The variants the app must synthesize cleanly: both stages, and the context switches that change resources. */
export const VARIANTS: Record<string, Record<string, string>> = {
  dev: { stage: 'dev' },
  prod: { stage: 'prod' },
  'prod, HTTPS, ECR image tag, CORS': {
    stage: 'prod',
    certificateArn: CERTIFICATE_ARN,
    imageTag: 'v1.2.3',
    corsOrigins: 'https://app.example.com',
    alarmEmail: 'ops@example.com',
    logFilter: 'info,streamlens_jobs=debug',
  },
  'dev, no events, simulator source': { stage: 'dev', seriesReadyEvents: 'false', helix: 'false' },
};

/** The resources of `type` in a template, by logical id. */
export function resources(template: Template, type: string): Record<string, { Properties: Record<string, any> }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, any> }>;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
export function resourceNamed(template: Template, type: string, prefix: string): { Properties: Record<string, any> } {
  const matches = Object.entries(resources(template, type)).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named ${prefix}…, found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  }
  return matches[0][1];
}

/** Whether a CloudFormation value (string or intrinsic) mentions `text` anywhere. */
export function mentions(value: unknown, text: string): boolean {
  return JSON.stringify(value).includes(text);
}
