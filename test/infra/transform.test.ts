// Transform: one Glue 5 job per dataset with the config's workers, bookmarks, security configuration and a dataset-scoped role.
import { datasetJobSpec } from '../../config/job-spec';
import { datasetLayout } from '../../config/layout';
import { JOB_CATALOG_ACTIONS } from '../../lib/glue-access';
import { asArray, type BuiltPipeline, flat, logicalId, resourcesOfType, statementsOfRole, synthPipeline } from './pipeline-fixture';

/** How the tests see the per-deployment id: the stack UUID, the third "/" part of AWS::StackId. */
const STACK_UUID = '{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}';

describe('Transform', () => {
  let built: BuiltPipeline;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.transform.workers': '3', 'cfg.transform.timeoutMinutes': '45', 'cfg.transform.workerType': 'G.2X' });
  });

  const jobOf = (dataset: string) => resourcesOfType(built.template, 'AWS::Glue::Job')[logicalId(built, built.stack.transform.jobs[dataset])].Properties;

  test('one job per dataset, Glue 5.0, configured workers and worker type (not the construct default of 10), timeout, security configuration', () => {
    built.template.resourceCountIs('AWS::Glue::Job', built.config.datasets.length);
    for (const d of built.config.datasets) {
      const job = jobOf(d.name);
      expect(job.GlueVersion).toBe('5.0');
      expect(job.WorkerType).toBe('G.2X');
      expect(job.NumberOfWorkers).toBe(3);
      expect(job.Timeout).toBe(45);
      expect(job.Command.Name).toBe('glueetl');
      expect(job.SecurityConfiguration).toEqual({ Ref: logicalId(built, built.stack.encryption.glueSecurityConfiguration) });
    }
  });

  test('default arguments carry the dataset spec, names and paths the Glue script reads', () => {
    const finalBucket = logicalId(built, built.stack.storage.finalBucket);
    const scratch = logicalId(built, built.stack.storage.scratchBucket);
    const processed = logicalId(built, built.stack.storage.processedBucket);
    for (const d of built.config.datasets) {
      const args = jobOf(d.name).DefaultArguments;
      // The one spec builder's output (config/job-spec.ts), the same the local job and the fixtures get.
      expect(JSON.parse(args['--dataset_spec'])).toEqual(JSON.parse(JSON.stringify(datasetJobSpec(d))));
      expect(args['--database']).toBe('csvpipeline_db');
      expect(args['--final_table']).toBe(d.name);
      expect(flat(args['--final_path'])).toBe(`s3://<${finalBucket}>/final_output/${d.name}/`);
      expect(args['--processed_table']).toBeUndefined();
      expect(flat(args['--processed_path'])).toBe(`s3://<${processed}>/processed/${d.name}/`);
      expect(flat(args['--reports_path'])).toBe(`s3://<${processed}>/reports/${d.name}/`);
      // The ledger lives outside the table location, where the orphan-file optimizer would delete it.
      expect(flat(args['--ledger_path'])).toBe(`s3://<${finalBucket}>/job_state/${d.name}/ledger.json`);
      expect(args['--iceberg_catalog']).toBe('glue_catalog');
      expect(args['--datalake-formats']).toBe('iceberg');
      // Several Spark settings in Glue's one --conf value, chained with " --conf ".
      expect(flat(args['--conf']).split(' --conf ')).toEqual([
        'spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
        'spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog',
        'spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog',
        'spark.sql.catalog.glue_catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO',
        `spark.sql.catalog.glue_catalog.warehouse=s3://<${finalBucket}>/final_output/`,
      ]);
      // The job's ledger, not bookmarks, says which processed files are merged.
      expect(args['--job-bookmark-option']).toBe('job-bookmark-disable');
      expect(args['--enable-glue-datacatalog']).toBe('true');
      expect(flat(args['--TempDir'])).toBe(`s3://<${scratch}>/glue-temp/${d.name}/`);
      // Glue 5 logging: --custom-logGroup-prefix, not Glue 4.0's continuous-logging arguments.
      for (const glue4 of ['--enable-continuous-cloudwatch-log', '--continuous-log-logGroup', '--continuous-log-logStreamPrefix'])
        expect(args[glue4]).toBeUndefined();
      expect(flat(args['--custom-logGroup-prefix'])).toBe(`/aws-glue/jobs/CsvPipeline-${STACK_UUID}/${d.name}`);
      expect(args['--enable-metrics']).toBe('');
      // A zip holding pipeline_transforms.py: Glue puts it on the path as it is, so the module keeps its name.
      expect(flat(args['--extra-py-files'])).toMatch(/^s3:\/\/.*\/[0-9a-f]{64}\.zip$/);
    }
  });

  test("transform.executionClass sets the jobs' execution class: FLEX by default, STANDARD when configured", () => {
    for (const d of built.config.datasets) expect(jobOf(d.name).ExecutionClass).toBe('FLEX');
    const standard = synthPipeline({ 'cfg.transform.executionClass': 'STANDARD' });
    for (const job of Object.values(resourcesOfType(standard.template, 'AWS::Glue::Job'))) expect(job.Properties.ExecutionClass).toBe('STANDARD');
    expect(() => synthPipeline({ 'cfg.transform.executionClass': 'CHEAP' })).toThrow(/transform\.executionClass/);
  });

  test('the security configuration encrypts CloudWatch logs and bookmarks with the pipeline key', () => {
    const key = logicalId(built, built.stack.encryption.key);
    built.template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [key, 'Arn'] } },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [key, 'Arn'] } },
        S3Encryptions: [{ S3EncryptionMode: 'SSE-S3' }],
      },
    });
  });

  test("Glue 5 log groups: <prefix>/error and <prefix>/output per job, created with the key and the configured retention, under the roles' logs statement", () => {
    const key = logicalId(built, built.stack.encryption.key);
    for (const d of built.config.datasets) {
      const groups = built.stack.transform.jobLogGroups[d.name];
      for (const [suffix, group] of [
        ['error', groups.error],
        ['output', groups.output],
      ] as const) {
        const g = resourcesOfType(built.template, 'AWS::Logs::LogGroup')[logicalId(built, group)];
        expect(flat(g.Properties.LogGroupName)).toBe(`/aws-glue/jobs/CsvPipeline-${STACK_UUID}/${d.name}/${suffix}`);
        expect(g.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
        expect(g.Properties.RetentionInDays).toBe(30);
        expect(g.DeletionPolicy).toBe('Retain');
      }
      const roleId = built.stack.getLogicalId(built.stack.transform.jobs[d.name].role.node.defaultChild as any);
      const logs = statementsOfRole(built, roleId).find((s) => s.Sid === 'GlueRunLogs')!;
      expect(asArray(logs.Resource).map(flat)).toContain('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/jobs*');
    }
  });

  test('retained resources have names unique per deployment (from the stack id), so a re-deploy after destroy does not collide', () => {
    const retainedNamed = Object.entries(built.template.toJSON().Resources as Record<string, any>).filter(
      ([, r]) => r.DeletionPolicy === 'Retain' && (r.Properties?.LogGroupName || r.Properties?.Name || r.Properties?.BucketName),
    );
    expect(retainedNamed.length).toBeGreaterThan(0);
    for (const [, r] of retainedNamed) expect(flat(r.Properties.LogGroupName ?? r.Properties.Name ?? r.Properties.BucketName)).toContain(STACK_UUID);
    // The security configuration holds no data: unique per deployment and deleted with the stack.
    const config = resourcesOfType(built.template, 'AWS::Glue::SecurityConfiguration')[logicalId(built, built.stack.encryption.glueSecurityConfiguration)];
    expect(flat(config.Properties.Name)).toBe(`CsvPipeline-${STACK_UUID}`);
    expect(config.DeletionPolicy).toBe('Delete');
  });

  test('each job role may publish metrics in the Glue namespace only (--enable-metrics, observability metrics)', () => {
    for (const d of built.config.datasets) {
      const job = jobOf(d.name);
      expect(job.DefaultArguments['--enable-metrics']).toBe('');
      expect(job.DefaultArguments['--enable-observability-metrics']).toBe('true');
      const roleId = built.stack.getLogicalId(built.stack.transform.jobs[d.name].role.node.defaultChild as any);
      const metrics = statementsOfRole(built, roleId).find((s) => s.Sid === 'GlueJobMetrics')!;
      expect(metrics).toEqual({
        Sid: 'GlueJobMetrics',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
      });
    }
  });

  test.each(['signups', 'orders'])('the %s job role touches only its own dataset', (name) => {
    const processed = logicalId(built, built.stack.storage.processedBucket);
    const final = logicalId(built, built.stack.storage.finalBucket);
    const other = name === 'signups' ? 'orders' : 'signups';
    const roleId = built.stack.getLogicalId(built.stack.transform.jobs[name].role.node.defaultChild as any);
    const role = resourcesOfType(built.template, 'AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(built, roleId);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    // No wildcard action on the data buckets.
    for (const s of statements.filter((x) => JSON.stringify(x.Resource).match(/Storage/))) for (const a of asArray(s.Action)) expect(a).not.toMatch(/\*/);
    // The bare folder keys too: Spark's existence check is a HEAD on them (403 without GetObject, not 404).
    expect(asArray(bySid('ReadProcessed').Resource).map(flat).sort()).toEqual([
      `<${processed}.Arn>/processed/${name}`,
      `<${processed}.Arn>/processed/${name}/*`,
      `<${processed}.Arn>/reports/${name}/*`,
    ]);
    expect(bySid('ListProcessed').Condition).toEqual({
      StringLike: {
        's3:prefix': [`processed/${name}`, `processed/${name}/`, `processed/${name}/*`, `reports/${name}`, `reports/${name}/`, `reports/${name}/*`],
      },
    });
    expect(asArray(bySid('JobState').Resource).map(flat)).toEqual([`<${final}.Arn>/job_state/${name}/*`]);
    expect(asArray(bySid('JobState').Action).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(asArray(bySid('WriteFinal').Resource).map(flat).sort()).toEqual([
      `<${final}.Arn>/final_output/${name}`,
      `<${final}.Arn>/final_output/${name}/*`,
      `<${final}.Arn>/final_output/${name}_$folder$`,
    ]);
    expect(asArray(bySid('WriteFinal').Action).sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(bySid('ListFinal').Condition).toEqual({
      StringLike: {
        's3:prefix': [
          `final_output/${name}`,
          `final_output/${name}/`,
          `final_output/${name}/*`,
          `job_state/${name}`,
          `job_state/${name}/`,
          `job_state/${name}/*`,
        ],
      },
    });
    const catalog = bySid('CatalogOfThisDataset');
    expect(asArray(catalog.Action).sort()).toEqual([...JOB_CATALOG_ACTIONS].sort());
    const tables = asArray(catalog.Resource)
      .map(flat)
      .filter((r) => r.includes(':table/'))
      .map((r) => r.split(':table/')[1]);
    // Its own final table only (Iceberg's GlueCatalog loads, creates and commits it); processed files are read by path.
    expect(tables).toEqual([`csvpipeline_db/${datasetLayout({ name }).finalTable}`]);
    expect(asArray(catalog.Action).filter((a) => /Partition/.test(a))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain(`/${other}/`);
  });
});
