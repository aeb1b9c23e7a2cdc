/**
 * cdk-nag acknowledgements. The app runs the AwsSolutions rule pack on every synth (see `bin/streamlens.ts`), and a
 * finding that is not acknowledged stops the synth. Each acknowledgement names one finding on one construct (and
 * what is below it) and says why the finding does not apply or is accepted; `test/nag.test.ts` checks that the
 * stacks of both stages produce no unacknowledged finding.
 */
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Acknowledges the cdk-nag finding `id` (a rule id, or `RuleId[finding]`) on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`the acknowledgement of ${id} on ${scope.node.path} needs a real reason`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges several findings on `scope` for the same reason. */
export function acknowledgeAll(scope: IConstruct, ids: readonly string[], reason: string): void {
  for (const id of ids) acknowledge(scope, id, reason);
}
