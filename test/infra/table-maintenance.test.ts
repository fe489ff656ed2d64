// Table maintenance: compaction, snapshot retention (days from config) and orphan file deletion per final Iceberg table, run by one least-privilege role.
import { asArray, type BuiltPipeline, flat, logicalId, resourcesOfType, statementsOfRole, synthPipeline } from './pipeline-fixture';

describe('TableMaintenance', () => {
  let built: BuiltPipeline;
  let role: string;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.catalog.snapshotRetentionDays': '14', 'cfg.catalog.orphanFileRetentionDays': '5' });
    role = logicalId(built, built.stack.tableMaintenance.role);
  });

  const optimizers = (b: BuiltPipeline) => Object.values(resourcesOfType(b.template, 'AWS::Glue::TableOptimizer'));

  test('three optimizers per final table (compaction, retention, orphan_file_deletion), enabled, with the one role, after the table', () => {
    const all = optimizers(built);
    expect(all).toHaveLength(3 * built.config.datasets.length);
    for (const d of built.config.datasets) {
      const ofTable = all.filter((o) => o.Properties.TableName === d.name);
      expect(ofTable.map((o) => o.Properties.Type).sort()).toEqual(['compaction', 'orphan_file_deletion', 'retention']);
      for (const o of ofTable) {
        expect(o.Properties.DatabaseName).toBe('csvpipeline_db');
        expect(o.Properties.CatalogId).toEqual({ Ref: 'AWS::AccountId' });
        expect(o.Properties.TableOptimizerConfiguration.Enabled).toBe(true);
        expect(o.Properties.TableOptimizerConfiguration.RoleArn).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
        expect(o.DependsOn).toContain(logicalId(built, built.stack.catalog.finalTables[d.name]));
      }
    }
  });

  test('retention keeps catalog.snapshotRetentionDays of snapshots and deletes expired files; orphan files go after orphanFileRetentionDays', () => {
    const byType = (b: BuiltPipeline, type: string) => optimizers(b).filter((o) => o.Properties.Type === type)[0].Properties.TableOptimizerConfiguration;
    expect(byType(built, 'retention').RetentionConfiguration).toEqual({ IcebergConfiguration: { SnapshotRetentionPeriodInDays: 14, CleanExpiredFiles: true } });
    expect(byType(built, 'orphan_file_deletion').OrphanFileDeletionConfiguration).toEqual({ IcebergConfiguration: { OrphanFileRetentionPeriodInDays: 5 } });
    expect(byType(built, 'compaction').CompactionConfiguration).toEqual({ IcebergConfiguration: { Strategy: 'binpack' } });
    // The documented defaults: 7 days of snapshots, 3 days for orphan files.
    const defaults = synthPipeline();
    expect(byType(defaults, 'retention').RetentionConfiguration.IcebergConfiguration.SnapshotRetentionPeriodInDays).toBe(7);
    expect(byType(defaults, 'orphan_file_deletion').OrphanFileDeletionConfiguration.IcebergConfiguration.OrphanFileRetentionPeriodInDays).toBe(3);
  });

  test('the role trusts glue.amazonaws.com only on behalf of this account and region (confused-deputy conditions)', () => {
    const trust = resourcesOfType(built.template, 'AWS::IAM::Role')[role].Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0].Principal).toEqual({ Service: 'glue.amazonaws.com' });
    expect(trust[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(flat(trust[0].Condition.ArnLike['aws:SourceArn'])).toBe('arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:*');
    expect(resourcesOfType(built.template, 'AWS::IAM::Role')[role].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('least privilege: the final prefixes, the final tables, the optimizer log groups; no wildcard action, nothing else', () => {
    const final = logicalId(built, built.stack.storage.finalBucket);
    const statements = statementsOfRole(built, role);
    for (const s of statements) for (const a of asArray(s.Action)) expect(a).not.toMatch(/\*/);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(statements.map((s) => s.Sid).sort()).toEqual(['FinalTableCatalog', 'FinalTableFiles', 'ListFinalTableFolders', 'OptimizerLogs']);
    expect(asArray(bySid('FinalTableFiles').Resource).map(flat).sort()).toEqual(
      built.config.datasets.map((d) => `<${final}.Arn>/final_output/${d.name}/*`).sort(),
    );
    expect(bySid('ListFinalTableFolders').Condition.StringLike['s3:prefix'].sort()).toEqual(
      built.config.datasets.flatMap((d) => [`final_output/${d.name}/`, `final_output/${d.name}/*`]).sort(),
    );
    expect(asArray(bySid('FinalTableCatalog').Action).sort()).toEqual(['glue:GetTable', 'glue:UpdateTable']);
    const tables = asArray(bySid('FinalTableCatalog').Resource)
      .map(flat)
      .filter((r) => r.includes(':table/'))
      .map((r) => r.split(':table/')[1]);
    expect(tables.sort()).toEqual(built.config.datasets.map((d) => `csvpipeline_db/${d.name}`).sort());
    expect(asArray(bySid('OptimizerLogs').Resource).map(flat).sort()).toEqual(
      ['iceberg-compaction', 'iceberg-orphan-file-deletion', 'iceberg-retention'].map(
        (kind) => `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/${kind}/logs:*`,
      ),
    );
    const text = JSON.stringify(statements);
    expect(text).not.toContain(logicalId(built, built.stack.storage.processedBucket));
    expect(text).not.toContain('processed_');
  });

  test('a retention of 0 days is refused at load with the range', () => {
    expect(() => synthPipeline({ 'cfg.catalog.snapshotRetentionDays': '0' })).toThrow(/catalog\.snapshotRetentionDays/);
  });
});
