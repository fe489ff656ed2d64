// From new processed files to fresh final tables with no polling: EventBridge -> Glue workflow (batched) -> dataset jobs (no crawler in between).
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Aws } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PREFIXES } from '../config/layout';
import type { TransformJobConfig } from '../config/schema';
import { allowEventsToNotifyWorkflow } from './iam/workflow-access';

export interface OrchestrationProps {
  /** Event batching and the backstop schedule from the validated config (`config.transform.batchSize`, `batchWindowSeconds`, `backstopSchedule`). */
  readonly transform: TransformJobConfig;
  /** Bucket whose `Object Created` events (EventBridge enabled) under processed/ start the workflow. */
  readonly processedBucket: s3.IBucket;
  /** The dataset jobs, started together by each batch of events (they read processed files by path: no crawler first). */
  readonly jobNames: readonly string[];
}

export class Orchestration extends Construct {
  readonly workflow: glue.CfnWorkflow;
  readonly workflowName: string;
  readonly workflowArn: string;
  /** Starts every dataset job once `batchSize` events arrived or `batchWindowSeconds` passed since the first. */
  readonly eventTrigger: glue.CfnTrigger;
  /**
   * Sends the workflow an event on `backstopSchedule`: Glue does not guarantee that EventBridge events reach the
   * workflow, so a lost event delays data by at most this period plus the batch window (a run with nothing new
   * changes nothing). An EventBridge schedule, not a SCHEDULED trigger: a workflow has one start trigger.
   */
  readonly backstopRule: events.Rule;
  /** Forwards processed/ Object Created events to the workflow. */
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const { transform, processedBucket, jobNames } = props;

    this.workflow = new glue.CfnWorkflow(this, 'Workflow', {
      description: 'CSV pipeline: run every dataset job on a batch of new processed files',
      maxConcurrentRuns: 1,
    });
    this.workflowName = this.workflow.ref;
    this.workflowArn = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:workflow/${this.workflowName}`;

    this.eventTrigger = new glue.CfnTrigger(this, 'OnProcessedFiles', {
      type: 'EVENT',
      workflowName: this.workflowName,
      description: `Run the dataset jobs after ${transform.batchSize} new processed files or ${transform.batchWindowSeconds} s after the first`,
      eventBatchingCondition: { batchSize: transform.batchSize, batchWindow: transform.batchWindowSeconds },
      actions: jobNames.map((jobName) => ({ jobName })),
    });

    const startRole = new iam.Role(this, 'EventsToWorkflowRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets EventBridge notify the pipeline workflow of new processed files',
    });
    allowEventsToNotifyWorkflow(startRole, this.workflowArn);

    const workflowArn = this.workflowArn;
    this.rule = new events.Rule(this, 'ProcessedObjectCreated', {
      description: 'New objects under processed/ start (a batch of) the Glue workflow',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [processedBucket.bucketName] }, object: { key: events.Match.prefix(PREFIXES.processed) } },
      },
      targets: [{ bind: () => ({ arn: workflowArn, role: startRole }) }],
    });
    // The workflow's one start trigger is the EVENT trigger; the backstop is one more event to it, on a schedule.
    this.backstopRule = new events.Rule(this, 'BackstopSchedule', {
      description: `Backstop: starts the workflow on ${transform.backstopSchedule} (UTC), in case an EventBridge event did not reach it`,
      schedule: events.Schedule.expression(transform.backstopSchedule),
      targets: [{ bind: () => ({ arn: workflowArn, role: startRole }) }],
    });
  }
}
