// The Analytics construct in a minimal stack: workgroup, named queries, QuickSight on/off, IAM scope, cdk-nag, cfn-lint.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Analytics } from '../../lib/analytics';
import { applyOverrides, parsePipelineConfig } from '../../config/load';
import { renderQuery } from '../../config/layout';
import type { PipelineConfig } from '../../config/schema';
import { DASHBOARD_OWNER_ACTIONS, DATA_SET_OWNER_ACTIONS, DATA_SOURCE_OWNER_ACTIONS } from '../../lib/quicksight/permissions';

const PRINCIPAL = 'arn:aws:quicksight:eu-west-1:123456789012:user/default/alice';
const DATABASE = 'csv_pipeline';

function projectConfig(overrides: Record<string, unknown> = {}): PipelineConfig {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../pipeline.config.json'), 'utf8'));
  return parsePipelineConfig(applyOverrides(raw, overrides), 'pipeline.config.json');
}

const QUICKSIGHT_ON = { 'quicksight.enabled': 'true', 'quicksight.principalArn': PRINCIPAL };

interface Built {
  app: App;
  stack: Stack;
  analytics: Analytics;
  template: Template;
  key?: kms.Key;
}

/** A stack with three buckets made here (the storage construct is not under test) and the Analytics construct. */
function build(config: PipelineConfig, opts: { kms?: boolean; nag?: boolean; outdir?: string; envAgnostic?: boolean } = {}): Omit<Built, 'template'> {
  const app = new App(opts.outdir ? { outdir: opts.outdir } : {});
  const stack = new Stack(app, 'AnalyticsTest', opts.envAgnostic ? {} : { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = opts.kms ? new kms.Key(stack, 'DataKey', { enableKeyRotation: true }) : undefined;
  const bucket = (id: string) => {
    const b = new s3.Bucket(stack, id, {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: key,
    });
    Validations.of(b).acknowledge({ id: 'AwsSolutions-S1', reason: 'Test fixture bucket; the storage construct owns access logging' });
    return b;
  };
  const analytics = new Analytics(stack, 'Analytics', {
    config,
    databaseName: DATABASE,
    resultsBucket: bucket('Results'),
    resultsPrefix: 'athena-results/',
    finalBucket: bucket('Final'),
    processedBucket: bucket('Processed'),
    encryptionKey: key,
  });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, analytics, key };
}

function built(config: PipelineConfig, opts: { kms?: boolean } = {}): Built {
  const b = build(config, opts);
  return { ...b, template: Template.fromStack(b.stack) };
}

function statements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('Athena workgroup', () => {
  test('enforced, encrypted with SSE_S3, capped per query, deletable when not empty, engine auto, metrics on', () => {
    const { template, analytics } = built(projectConfig({ 'athena.bytesScannedCutoffMb': '50' }));
    template.resourceCountIs('AWS::Athena::WorkGroup', 1);
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: analytics.workGroupName,
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 50 * 1024 * 1024,
        EngineVersion: { SelectedEngineVersion: 'AUTO' },
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          ExpectedBucketOwner: '123456789012',
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^Results') }, '/athena-results/']] },
        },
      },
    });
  });

  test('uses SSE_KMS with the given key', () => {
    const { template, stack, key } = built(projectConfig(), { kms: true });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: stack.resolve(key!.keyArn) } },
      },
    });
  });

  test('the workgroup name is unique per stack', () => {
    const a = build(projectConfig()).analytics.workGroupName;
    const app = new App();
    const other = new Stack(app, 'OtherStack');
    const b = new s3.Bucket(other, 'B');
    const name = new Analytics(other, 'Analytics', {
      config: projectConfig(),
      databaseName: DATABASE,
      resultsBucket: b,
      resultsPrefix: 'r/',
      finalBucket: b,
      processedBucket: b,
    }).workGroupName;
    expect(name).not.toBe(a);
    expect(name).toMatch(/^[a-zA-Z0-9._-]{1,128}$/);
  });

  test('refuses a results prefix that is not a folder path', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const b = new s3.Bucket(stack, 'B');
    expect(
      () =>
        new Analytics(stack, 'A', {
          config: projectConfig(),
          databaseName: DATABASE,
          resultsBucket: b,
          resultsPrefix: 'athena-results',
          finalBucket: b,
          processedBucket: b,
        }),
    ).toThrow(/resultsPrefix must be a folder path ending in "\/".*got "athena-results"/);
  });
});

describe('named queries', () => {
  const config = projectConfig();
  const { template, analytics } = built(config);

  test('one per configured query per dataset, with the rendered SQL, in the workgroup and database', () => {
    const expected = config.datasets.flatMap((d) =>
      d.queries.map((q) => ({
        name: `${d.name}.${q.name}`,
        sql: renderQuery(q.sql, { database: DATABASE, table: d.name, rejectsTable: `${d.name}_rejects` }),
        description: q.description,
      })),
    );
    expect(expected.length).toBe(5);
    template.resourceCountIs('AWS::Athena::NamedQuery', expected.length);
    const workGroupId = template.getResourceId('AWS::Athena::WorkGroup', {});
    for (const q of expected) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: q.name,
        Description: q.description,
        Database: DATABASE,
        QueryString: q.sql,
        WorkGroup: { Ref: workGroupId },
      });
    }
    expect(Object.keys(analytics.namedQueries).sort()).toEqual(expected.map((q) => q.name).sort());
  });

  test('placeholders are replaced: the rejects query reads <ds>_rejects and the others the final table', () => {
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')).map((r: any) => r.Properties);
    expect(queries.every((q: any) => !q.QueryString.includes('{{'))).toBe(true);
    expect(queries.find((q: any) => q.Name === 'signups.rejected_rows_by_reason').QueryString).toContain('FROM signups_rejects GROUP BY reason_code');
    expect(queries.find((q: any) => q.Name === 'signups.signups_by_status').QueryString).toContain('FROM signups GROUP BY status');
  });
});

describe('QuickSight off', () => {
  test('no QuickSight resources, no IAM role, no dashboard ids', () => {
    const { template, analytics } = built(projectConfig());
    for (const type of ['AWS::QuickSight::DataSource', 'AWS::QuickSight::DataSet', 'AWS::QuickSight::Dashboard', 'AWS::IAM::Role']) {
      template.resourceCountIs(type, 0);
    }
    expect(analytics.quickSightDashboardIds).toEqual([]);
    expect(analytics.quickSight).toBeUndefined();
  });
});

describe('QuickSight on', () => {
  const config = projectConfig(QUICKSIGHT_ON);
  const { template, analytics, stack } = built(config);
  const roleId = template.getResourceId('AWS::IAM::Role', {});

  test('an Athena data source in the pipeline workgroup with its own role, SSL on', () => {
    template.resourceCountIs('AWS::QuickSight::DataSource', 1);
    template.hasResourceProperties('AWS::QuickSight::DataSource', {
      Type: 'ATHENA',
      AwsAccountId: '123456789012',
      DataSourceParameters: { AthenaParameters: { WorkGroup: analytics.workGroupName, RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } } },
      SslProperties: { DisableSsl: false },
    });
    template.hasResource('AWS::QuickSight::DataSource', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('AthenaAccessRoleDefaultPolicy'), template.getResourceId('AWS::Athena::WorkGroup', {})]),
    });
  });

  test('a DIRECT_QUERY data set on each final table and each rejects table, columns typed for QuickSight', () => {
    template.resourceCountIs('AWS::QuickSight::DataSet', 4);
    const tables = Object.values(template.findResources('AWS::QuickSight::DataSet')).map((r: any) => {
      expect(r.Properties.ImportMode).toBe('DIRECT_QUERY');
      const physical = Object.values(r.Properties.PhysicalTableMap) as any[];
      expect(physical).toHaveLength(1);
      return physical[0].RelationalTable;
    });
    expect(tables.map((t) => t.Name).sort()).toEqual(['orders', 'orders_rejects', 'signups', 'signups_rejects']);
    for (const t of tables) {
      expect(t).toMatchObject({
        Catalog: 'AwsDataCatalog',
        Schema: DATABASE,
        DataSourceArn: { 'Fn::GetAtt': [template.getResourceId('AWS::QuickSight::DataSource', {}), 'Arn'] },
      });
    }
    const signups = tables.find((t) => t.Name === 'signups');
    expect(signups.InputColumns).toEqual([
      { Name: 'user_id', Type: 'INTEGER' },
      { Name: 'full_name', Type: 'STRING' },
      { Name: 'email', Type: 'STRING' },
      { Name: 'signup_date', Type: 'DATETIME' },
      { Name: 'status', Type: 'STRING' },
      { Name: 'source_file', Type: 'STRING' },
      { Name: 'ingested_at', Type: 'DATETIME' },
      { Name: 'signup_month', Type: 'STRING' },
    ]);
    // A boolean config column is a BOOLEAN input column (not INTEGER).
    const orders = tables.find((t) => t.Name === 'orders');
    expect(orders.InputColumns).toContainEqual({ Name: 'paid', Type: 'BOOLEAN' });
  });

  test('one dashboard per dataset with a dashboard section, ids exposed, definition generated from config', () => {
    const dashboards = template.findResources('AWS::QuickSight::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(2);
    const ids = Object.values(dashboards).map((d: any) => d.Properties.DashboardId);
    expect(analytics.quickSightDashboardIds.slice().sort()).toEqual(ids.slice().sort());
    expect(ids).toContain('AnalyticsTest-signups-dashboard');
    const signups: any = Object.values(dashboards).find((d: any) => d.Properties.DashboardId === 'AnalyticsTest-signups-dashboard');
    expect(signups.Properties.Name).toBe('Sign-ups');
    const visualKinds = signups.Properties.Definition.Sheets[0].Visuals.map((v: any) => Object.keys(v)[0]);
    expect(visualKinds).toEqual(['KPIVisual', 'LineChartVisual', 'BarChartVisual', 'BarChartVisual']);
    const finalSetId = template.getResourceId('AWS::QuickSight::DataSet', { Properties: { DataSetId: 'AnalyticsTest-signups' } });
    expect(signups.Properties.Definition.DataSetIdentifierDeclarations[0]).toEqual({
      Identifier: 'signups',
      DataSetArn: { 'Fn::GetAtt': [finalSetId, 'Arn'] },
    });
  });

  test('every QuickSight resource gives the principal the full owner action list', () => {
    const expectations: [string, readonly string[], number][] = [
      ['AWS::QuickSight::DataSource', DATA_SOURCE_OWNER_ACTIONS, 1],
      ['AWS::QuickSight::DataSet', DATA_SET_OWNER_ACTIONS, 4],
      ['AWS::QuickSight::Dashboard', DASHBOARD_OWNER_ACTIONS, 2],
    ];
    for (const [type, actions, count] of expectations) {
      const resources = Object.values(template.findResources(type));
      expect(resources).toHaveLength(count);
      for (const r of resources as any[]) expect(r.Properties.Permissions).toEqual([{ Principal: PRINCIPAL, Actions: [...actions] }]);
    }
  });

  test('the role is assumed by QuickSight only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'quicksight.amazonaws.com' } }] },
    });
  });

  test('least privilege: no wildcard action, no "*" resource, S3 objects only under the datasets\' and results\' prefixes', () => {
    const all = statements(template);
    for (const s of all) {
      for (const action of [s.Action].flat()) expect(action).not.toContain('*');
      for (const resource of [s.Resource].flat()) expect(resource).not.toBe('*');
    }
    const objectPaths = all
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:') && a.includes('Object')))
      .flatMap((s) => [s.Resource].flat())
      .map((r: any) => r['Fn::Join'][1][1]);
    expect(objectPaths.sort()).toEqual([
      '/athena-results/*',
      '/final_output/orders/*',
      '/final_output/signups/*',
      '/quarantine/orders/rows/*',
      '/quarantine/signups/rows/*',
    ]);
    const writes = all.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(writes[0].Resource['Fn::Join'][1][1]).toBe('/athena-results/*');
  });

  test('Athena on the workgroup only, Glue read on the catalog, database and the queried tables only', () => {
    const all = statements(template);
    const athena = all.find((s) => s.Sid === 'AthenaQueriesInPipelineWorkgroup');
    expect(stack.resolve(athena.Resource)['Fn::Join'][1][2]).toBe(`:athena:eu-west-1:123456789012:workgroup/${analytics.workGroupName}`);
    const glue = all.find((s) => s.Sid === 'GlueReadPipelineTables');
    expect(glue.Action.every((a: string) => /^glue:(Get|BatchGet)/.test(a))).toBe(true);
    const glueArns = glue.Resource.map((r: any) => r['Fn::Join'][1][2]);
    expect(glueArns).toEqual([
      ':glue:eu-west-1:123456789012:catalog',
      `:glue:eu-west-1:123456789012:database/${DATABASE}`,
      `:glue:eu-west-1:123456789012:table/${DATABASE}/signups`,
      `:glue:eu-west-1:123456789012:table/${DATABASE}/signups_rejects`,
      `:glue:eu-west-1:123456789012:table/${DATABASE}/orders`,
      `:glue:eu-west-1:123456789012:table/${DATABASE}/orders_rejects`,
    ]);
  });

  test('with a KMS key, the role may decrypt and generate data keys on that key only', () => {
    const withKey = built(config, { kms: true });
    const kmsStatements = statements(withKey.template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
    expect(kmsStatements).toHaveLength(1);
    expect(kmsStatements[0].Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kmsStatements[0].Resource).toEqual(withKey.stack.resolve(withKey.key!.keyArn));
    expect(statements(template).some((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')))).toBe(false);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['QuickSight off', {}, false],
    ['QuickSight on', QUICKSIGHT_ON, false],
    ['QuickSight on, KMS', QUICKSIGHT_ON, true],
  ] as const)('%s: no unacknowledged finding', (_name, overrides, withKms) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-nag-'));
    const { app } = build(projectConfig(overrides), { kms: withKms, nag: true, outdir });
    let failure = '';
    try {
      app.synth();
    } catch (err) {
      const report = path.join(outdir, 'validation-report.json');
      failure = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : String(err);
    }
    expect(failure).toBe('');
  });

  test('each acknowledgement on the QuickSight role names one exact finding and gives a reason', () => {
    const { analytics } = build(projectConfig(QUICKSIGHT_ON));
    const acks = analytics
      .quickSight!.role.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, any>));
    expect(acks.length).toBe(5);
    for (const [id, value] of acks) {
      expect(id).toMatch(/AwsSolutions-IAM5\[Resource::<\w+\.Arn>\/(final_output\/\w+|quarantine\/\w+\/rows|athena-results)\/\*\]$/);
      expect(JSON.stringify(value)).toMatch(/narrowest scope/);
    }
  });
});

describe('cfn-lint', () => {
  test.each([
    ['QuickSight off', {}, false, false],
    ['QuickSight on, KMS', QUICKSIGHT_ON, true, false],
    ['QuickSight on, environment-agnostic stack', QUICKSIGHT_ON, false, true],
  ] as const)('%s: the synthesized template has zero errors', (_name, overrides, withKms, envAgnostic) => {
    const { app, stack } = build(projectConfig(overrides), { kms: withKms, envAgnostic });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-lint-'));
    const file = path.join(dir, 'template.json');
    fs.writeFileSync(file, JSON.stringify(app.synth().getStackByName(stack.stackName).template));
    const run = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    const errors = run.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    expect(run.status! & 2).toBe(0);
  });
});
