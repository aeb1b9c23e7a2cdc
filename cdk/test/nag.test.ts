/**
 * cdk-nag's AwsSolutions rules over every stack of every variant: no finding may be left unacknowledged, and every
 * acknowledgement carries its reason.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { synth, VARIANTS } from './helpers';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib acknowledges some of its own CloudFormation validation rules; only cdk-nag's are ours.
        if (!/^annotation::AwsSolutions-/i.test(id)) continue;
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  for (const [variant, context] of Object.entries(VARIANTS)) {
    it(`${variant}: no unacknowledged error or warning`, () => {
      const { app } = synth(context);
      const report = new AwsSolutionsChecks().validateScope(app);
      const open = report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      assert.deepEqual(open, []);
      assert.equal(report.success, true);
    });
  }

  it('the rules do run: a finding appears when an acknowledgement is missing', () => {
    // A bucket without access logs in an otherwise clean stack.
    const { App, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const s3 = require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3');
    const app = new App();
    new s3.Bucket(new Stack(app, 'Probe'), 'Bucket', { enforceSSL: true });
    app.synth();
    const rules = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    assert.ok(rules.includes('AwsSolutions-S1'), rules.join(', '));
  });

  it('every acknowledgement names a finding and gives a reason', () => {
    const all = Object.values(VARIANTS).flatMap((context) => acknowledgements(synth(context).app));
    assert.ok(all.length > 0);
    for (const { path, id, reason } of all) {
      assert.match(id, /^AwsSolutions-[A-Z]+\d+(\[.+\])?$/, `${path}: ${id}`);
      assert.ok(reason.trim().length >= 40, `${path}: ${id} needs a real reason`);
    }
  });
});
