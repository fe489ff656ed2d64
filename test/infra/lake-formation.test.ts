// Lake Formation (lakeFormation.enabled): grants for the deploying role, the crawler, each job, QuickSight and Athena users; none when off.
import { datasetLayout } from '../../config/layout';
import { type BuiltPipeline, flat, logicalId, QUICKSIGHT_ON, resourcesOfType, synthPipeline } from './pipeline-fixture';

const ANALYST = 'arn:aws:iam::123456789012:role/analyst';

describe('Lake Formation grants', () => {
  let built: BuiltPipeline;
  beforeAll(() => {
    built = synthPipeline({ ...QUICKSIGHT_ON, 'cfg.lakeFormation.enabled': 'true', 'cfg.lakeFormation.athenaPrincipalArns': [ANALYST] });
  });

  type Grant = { principal: string; resource: any; permissions: string[]; dependsOn: string[] };
  const grants = (): Grant[] =>
    Object.values(resourcesOfType(built.template, 'AWS::LakeFormation::PrincipalPermissions')).map((r) => ({
      principal: flat(r.Properties.Principal.DataLakePrincipalIdentifier),
      resource: r.Properties.Resource,
      permissions: r.Properties.Permissions,
      dependsOn: r.DependsOn ?? [],
    }));
  const roleArn = (role: { node: { defaultChild?: unknown } }) => `<${logicalId(built, role)}.Arn>`;
  const DB = 'csvpipeline_db';
  const database = { Database: { CatalogId: { Ref: 'AWS::AccountId' }, Name: DB } };
  const allTables = { Table: { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseName: DB, TableWildcard: {} } };
  const table = (name: string) => ({ Table: { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseName: DB, Name: name } });
  const of = (principal: string) => grants().filter((g) => g.principal === principal);

  test('off by default: no grant at all', () => {
    synthPipeline().template.resourceCountIs('AWS::LakeFormation::PrincipalPermissions', 0);
  });

  test('the deploying role (CDK bootstrap cfn-exec role) gets ALL on the database and its tables', () => {
    const deploy = of('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}');
    expect(deploy.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['ALL']],
      [allTables, ['ALL']],
    ]);
  });

  test('the crawler may create tables in the database and alter them', () => {
    const crawler = of(roleArn(built.stack.catalog.crawlerRole));
    expect(crawler.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['CREATE_TABLE', 'DESCRIBE']],
      [allTables, ['ALTER', 'DESCRIBE']],
    ]);
  });

  test.each(['signups', 'orders'])('the %s job reads the crawled tables and reads, writes, alters and deletes its final table', (name) => {
    const job = of(roleArn(built.stack.transform.jobs[name].role));
    const finalTable = built.stack.catalog.finalTables[name];
    expect(job.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['DESCRIBE']],
      [allTables, ['SELECT', 'DESCRIBE']],
      [table(datasetLayout({ name }).finalTable), ['SELECT', 'INSERT', 'ALTER', 'DELETE', 'DESCRIBE']],
    ]);
    expect(job[2].dependsOn).toContain(logicalId(built, finalTable));
  });

  test.each([
    ['QuickSight role', () => roleArn(built.stack.analytics.quickSight!.role)],
    ['Athena user', () => ANALYST],
  ])('the %s may describe the database and select from every final and rejects table, nothing else', (_name, principal) => {
    const reader = of(principal());
    const expected: unknown[][] = [[database, ['DESCRIBE']]];
    for (const d of built.config.datasets) {
      expected.push([table(datasetLayout(d).finalTable), ['SELECT', 'DESCRIBE']], [table(datasetLayout(d).rejectsTable), ['SELECT', 'DESCRIBE']]);
    }
    expect(reader.map((g) => [g.resource, g.permissions])).toEqual(expected);
  });

  test('every grant waits for the database, and nothing registers an S3 location', () => {
    const db = logicalId(built, built.stack.catalog.database);
    for (const g of grants()) {
      if (g.resource.Database || g.resource.Table?.TableWildcard) expect(g.dependsOn).toContain(db);
      expect(g.permissions).not.toContain('DATA_LOCATION_ACCESS');
    }
    built.template.resourceCountIs('AWS::LakeFormation::Resource', 0);
    built.template.resourceCountIs('AWS::LakeFormation::DataLakeSettings', 0);
  });

  test('an Athena principal that is not an IAM user or role ARN fails at load with the fix', () => {
    expect(() => synthPipeline({ 'cfg.lakeFormation.athenaPrincipalArns': ['alice'] })).toThrow(
      /lakeFormation\.athenaPrincipalArns\[0\]: must be an IAM user or role ARN, e\.g\. arn:aws:iam::123456789012:role\/analyst \(got "alice"\)/,
    );
  });
});
