// The pipeline's KMS key and Glue security configuration: encrypted Glue logs and job bookmarks, the alarm topic's key.
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { perDeploymentName } from './deployment-id';

export interface PipelineEncryptionProps {
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN - the key outlives the stack, so encrypted logs stay readable
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Confused-deputy conditions for a service principal in the key policy: the request must come from this account,
 * from a source whose ARN matches `sourceArnPattern`. They use ...IfExists: whether a service forwards
 * aws:SourceAccount / aws:SourceArn when it calls KMS for us is not documented for every service, and a missing key
 * must not silently break log or alarm encryption; when a service does send them, they must match.
 */
export function keyPolicyConfusedDeputyConditions(sourceArnPattern: string): Record<string, Record<string, string>> {
  return {
    StringEqualsIfExists: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLikeIfExists: { 'aws:SourceArn': sourceArnPattern },
  };
}

/** Actions a service needs to write and read data under the key (no wildcards). */
export const KEY_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'];

export class PipelineEncryption extends Construct {
  /** Customer managed key (rotated yearly) for Glue logs, bookmarks, the Glue job log group and the alarm topic. */
  readonly key: kms.Key;
  /** Glue security configuration: KMS-encrypted CloudWatch logs, client-side KMS job bookmarks, SSE-S3 output. */
  readonly glueSecurityConfiguration: glue.SecurityConfiguration;

  constructor(scope: Construct, id: string, props: PipelineEncryptionProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'CSV pipeline: Glue logs and job bookmarks, alarm topic',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch Logs encrypts the Glue log groups (security configuration) and the jobs' log groups with this key.
    const logGroupsOfThisAccount = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: KEY_USE_ACTIONS,
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupsOfThisAccount },
          ...keyPolicyConfusedDeputyConditions(logGroupsOfThisAccount),
        },
      }),
    );
    this.glueSecurityConfiguration = new glue.SecurityConfiguration(this, 'GlueSecurityConfiguration', {
      // Unique per deployment, and deleted with the stack: it holds no data (the key, retained, is what reads old logs).
      securityConfigurationName: perDeploymentName(this),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(this.key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(this.key),
      s3Encryption: glue.S3Encryption.s3Managed(),
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Lets a Glue role use the key for its encrypted logs and bookmarks. */
  grantGlueRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GlueSecurityConfigurationKey',
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
      }),
    );
  }
}
