// Names unique per deployment: a retained resource must not keep a name that a re-created stack of the same name would reuse.
import { Aws, Fn, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The UUID CloudFormation gives the stack when it is created (the last part of AWS::StackId,
 * `arn:...:stack/<name>/<uuid>`). Unlike `Names.uniqueId` / `Names.uniqueResourceName`, which are stable for a
 * construct path and so the same again after `cdk destroy` and a new `cdk deploy`, it is new for every stack created.
 */
export function deploymentId(): string {
  return Fn.select(2, Fn.split('/', Aws.STACK_ID));
}

/** `<stack name>-<deployment id>`: a name no later stack of the same name will use again. */
export function perDeploymentName(scope: IConstruct): string {
  return `${Stack.of(scope).stackName}-${deploymentId()}`;
}
