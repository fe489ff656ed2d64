// Acknowledges cdk-nag findings one by one, each with the reason it is safe, so a new finding still fails synth.
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/** Acknowledges one cdk-nag rule (or one `Rule[finding]`) on a construct and everything under it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The AwsSolutions-IAM5 finding id for a resource ARN with a wildcard, spelled the way cdk-nag
 * spells it (`<Logical.Arn>/prefix/*`), so an acknowledgement names the exact resource it allows.
 */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
}

/** Acknowledges wildcard resources (object prefixes, log-group name patterns) a policy grants on purpose. */
export function acknowledgeWildcardResources(scope: IConstruct, arns: readonly string[], reason: string): void {
  for (const arn of new Set(arns)) acknowledge(scope, wildcardResourceFinding(scope, arn), reason);
}
