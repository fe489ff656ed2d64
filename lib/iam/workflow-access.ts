// What EventBridge's role may do to the Glue workflow: send it events, nothing else.
import * as iam from 'aws-cdk-lib/aws-iam';

/** Lets EventBridge (the rules' role) notify this one workflow of new events, which starts a batch of it. */
export function allowEventsToNotifyWorkflow(role: iam.IRole, workflowArn: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'NotifyWorkflow', actions: ['glue:notifyEvent'], resources: [workflowArn] }));
}
