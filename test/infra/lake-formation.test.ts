// Lake Formation (lakeFormation.enabled): grants for the deploying role, the crawler, each job, the table optimizers, QuickSight and Athena users; none when off.
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

  test('the crawler may create tables in the database and alter the processed tables it keeps up to date', () => {
    const crawler = of(roleArn(built.stack.catalog.crawlerRole));
    expect(crawler.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['CREATE_TABLE', 'DESCRIBE']],
      ...built.config.datasets.map((d) => [table(datasetLayout(d).processedTable), ['ALTER', 'DESCRIBE']]),
    ]);
  });

  test.each(['signups', 'orders'])('the %s job may create its final table and reads, writes, alters and deletes it; no other table', (name) => {
    const job = of(roleArn(built.stack.transform.jobs[name].role));
    const finalTable = built.stack.catalog.finalTables[name];
    expect(job.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['CREATE_TABLE', 'DESCRIBE']],
      [table(datasetLayout({ name }).finalTable), ['SELECT', 'INSERT', 'ALTER', 'DELETE', 'DESCRIBE']],
    ]);
    expect(job[1].dependsOn).toContain(logicalId(built, finalTable));
  });

  test('the optimizer role may alter, insert into and delete from each final table, after it', () => {
    const optimizers = of(roleArn(built.stack.tableMaintenance.role));
    expect(optimizers.map((g) => [g.resource, g.permissions])).toEqual([
      [database, ['DESCRIBE']],
      ...built.config.datasets.map((d) => [table(datasetLayout(d).finalTable), ['ALTER', 'DESCRIBE', 'INSERT', 'DELETE']]),
    ]);
    for (const [i, d] of built.config.datasets.entries())
      expect(optimizers[i + 1].dependsOn).toContain(logicalId(built, built.stack.catalog.finalTables[d.name]));
  });

  test('each table optimizer is created after the grants of its role (Glue checks the role when it creates the optimizer)', () => {
    const lakeFormation = built.stack.lakeFormation!;
    const optimizers = resourcesOfType(built.template, 'AWS::Glue::TableOptimizer');
    for (const d of built.config.datasets) {
      const expected = [lakeFormation.grants['Optimizers-Database'], lakeFormation.grants[`Optimizers-${d.name}-Final`]].map((g) => logicalId(built, g));
      const ofTable = Object.values(optimizers).filter((o) => o.Properties.TableName === datasetLayout(d).finalTable);
      expect(ofTable).toHaveLength(3);
      for (const optimizer of ofTable) expect(optimizer.DependsOn).toEqual(expect.arrayContaining(expected));
    }
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
