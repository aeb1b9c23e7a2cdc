/** Context parsing: defaults per stage, and clear errors for values that cannot be used. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../lib/config';
import { buildStreamlens } from '../lib/streamlens';
import { cdkJson } from './helpers';

const config = (context: Record<string, unknown>) => loadConfig(new App({ context }).node);

describe('configuration from context', () => {
  it('defaults: dev in us-east-1, prefix streamlens-dev, namespace Streamlens/Dev, events and Helix on', () => {
    const c = config({});
    assert.equal(c.stage, 'dev');
    assert.equal(c.region, 'us-east-1');
    assert.equal(c.prefix, 'streamlens-dev');
    assert.equal(c.metricsNamespace, 'Streamlens/Dev');
    assert.equal(c.backlogPerTaskTarget, 100);
    assert.equal(c.seriesRetention.toDays(), 30);
    assert.equal(c.seriesReadyEvents, true);
    assert.equal(c.helix, true);
    assert.equal(c.certificateArn, undefined);
    assert.equal(c.imageTag, undefined);
  });

  it('stack names carry the stage, and the region of every stack comes from context', () => {
    const app = new App({ context: { ...cdkJson.context, stage: 'prod', region: 'eu-west-1' } });
    const stacks = buildStreamlens(app);
    assert.deepEqual(stacks.all.map((s) => s.stackName), [
      'Streamlens-Prod-Network', 'Streamlens-Prod-Data', 'Streamlens-Prod-Services', 'Streamlens-Prod-Monitoring',
    ]);
    for (const stack of stacks.all) assert.equal(stack.region, 'eu-west-1');
  });

  it('switches accept true/false in the usual spellings', () => {
    assert.equal(config({ seriesReadyEvents: 'false' }).seriesReadyEvents, false);
    assert.equal(config({ seriesReadyEvents: 'off' }).seriesReadyEvents, false);
    assert.equal(config({ helix: '0' }).helix, false);
    assert.equal(config({ helix: 'true' }).helix, true);
  });

  it('settings of one stage from context stages.{stage}; a plain key wins over them', () => {
    const stages = { prod: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123', backlogPerTaskTarget: 50 } };
    assert.equal(config({ stage: 'prod', stages } ).certificateArn, stages.prod.certificateArn);
    assert.equal(config({ stage: 'prod', stages } ).backlogPerTaskTarget, 50);
    assert.equal(config({ stage: 'dev', stages } ).certificateArn, undefined);
    assert.equal(config({ stage: 'prod', stages, backlogPerTaskTarget: '75' } ).backlogPerTaskTarget, 75);
  });

  it('refuses what it cannot use, naming the key', () => {
    const refuses = (context: Record<string, unknown>, key: RegExp) => assert.throws(() => config(context), key);
    refuses({ stage: 'staging' }, /stage/);
    refuses({ seriesReadyEvents: 'maybe' }, /seriesReadyEvents/);
    refuses({ backlogPerTaskTarget: '0' }, /backlogPerTaskTarget/);
    refuses({ backlogPerTaskTarget: 'many' }, /backlogPerTaskTarget/);
    refuses({ certificateArn: 'not-an-arn' }, /certificateArn/);
    refuses({ imageTag: 'bad tag' }, /imageTag/);
    refuses({ region: 'moon' }, /region/);
    refuses({ rawInfrequentAccessDays: '10' }, /rawInfrequentAccessDays/);
    refuses({ rawInfrequentAccessDays: '30', rawGlacierDays: '45' }, /rawGlacierDays/);
    refuses({ stage: 'prod', stages: { prod: { certificateArn: 'nope' } } }, /certificateArn/);
  });
});
