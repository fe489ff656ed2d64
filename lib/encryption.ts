// The pipeline's KMS key and Glue security configuration: encrypted Glue logs and job bookmarks, the alarm topic's key.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { perDeploymentName } from './deployment-id';
import { allowGlueRoleToUseKey } from './glue-access';
import { allowCloudWatchLogsToUseKey } from './iam/key-policy';

export interface PipelineEncryptionProps {
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN - the key outlives the stack, so encrypted logs stay readable
   */
  readonly removalPolicy?: RemovalPolicy;
}

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
    allowCloudWatchLogsToUseKey(this.key);
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
    allowGlueRoleToUseKey(role, this.key);
  }
}
