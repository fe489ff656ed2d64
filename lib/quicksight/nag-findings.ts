// Names cdk-nag findings exactly: cdk-nag 3 acknowledges one finding id at a time, and IAM5 ids embed the flattened resource.
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// The function cdk-nag itself uses to turn a resource reference into the text of an IAM5 finding id.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/** The id AwsSolutions-IAM5 reports for a wildcard in a statement's resource ARN (a string that may hold tokens). */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
}
