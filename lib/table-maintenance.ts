// Managed maintenance of the Iceberg final tables: one Glue table optimizer of each kind per table, run by one role.
import { Aws } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datasetLayout } from '../config/layout';
import type { CatalogConfig, DatasetConfig } from '../config/schema';
import { allowOptimizersOnFinalTables, optimizerPrincipal } from './iam/optimizer-access';

/** The optimizer types Glue offers for Iceberg tables (AWS::Glue::TableOptimizer Type). */
export const OPTIMIZER_TYPES = ['compaction', 'retention', 'orphan_file_deletion'] as const;
export type OptimizerType = (typeof OPTIMIZER_TYPES)[number];

export interface TableMaintenanceProps {
  /** Datasets from the validated config: one table each. */
  readonly datasets: readonly DatasetConfig[];
  /** Snapshot and orphan-file retention (`config.catalog`). */
  readonly catalog: CatalogConfig;
  readonly databaseName: string;
  /** The stack-defined final tables, keyed by dataset name (each optimizer is created after its table). */
  readonly finalTables: Readonly<Record<string, glue.CfnTable>>;
  /** Holds final_output/<dataset>/, the tables' data and metadata files. */
  readonly finalBucket: s3.IBucket;
}

/**
 * Compaction (bin-packs the small files each batch commits), snapshot retention (expires snapshots older than
 * `snapshotRetentionDays` and deletes the files only they referenced: the time-travel window) and orphan file deletion
 * (files a failed run left behind, after `orphanFileRetentionDays`) for every final table.
 */
export class TableMaintenance extends Construct {
  readonly role: iam.Role;
  /** Optimizers keyed by dataset name, then type. */
  readonly optimizers: Record<string, Record<OptimizerType, glue.CfnTableOptimizer>> = {};

  constructor(scope: Construct, id: string, props: TableMaintenanceProps) {
    super(scope, id);
    const { datasets, catalog, databaseName, finalTables, finalBucket } = props;
    this.role = new iam.Role(this, 'OptimizerRole', {
      assumedBy: optimizerPrincipal(),
      description: 'Glue table optimizers (compaction, snapshot retention, orphan file deletion) of the final Iceberg tables',
    });
    allowOptimizersOnFinalTables(this.role, finalBucket, databaseName, datasets);
    const policy = this.role.node.findChild('DefaultPolicy');

    const configuration = (type: OptimizerType): glue.CfnTableOptimizer.TableOptimizerConfigurationProperty => ({
      roleArn: this.role.roleArn,
      enabled: true,
      ...(type === 'compaction' ? { compactionConfiguration: { icebergConfiguration: { strategy: 'binpack' } } } : {}),
      ...(type === 'retention'
        ? { retentionConfiguration: { icebergConfiguration: { snapshotRetentionPeriodInDays: catalog.snapshotRetentionDays, cleanExpiredFiles: true } } }
        : {}),
      ...(type === 'orphan_file_deletion'
        ? { orphanFileDeletionConfiguration: { icebergConfiguration: { orphanFileRetentionPeriodInDays: catalog.orphanFileRetentionDays } } }
        : {}),
    });
    for (const dataset of datasets) {
      const table = finalTables[dataset.name];
      if (!table) throw new Error(`TableMaintenance: no final table for dataset "${dataset.name}"; pass finalTables with one table per configured dataset`);
      const byType = {} as Record<OptimizerType, glue.CfnTableOptimizer>;
      for (const type of OPTIMIZER_TYPES) {
        const optimizer = new glue.CfnTableOptimizer(this, `${type}-${dataset.name}`, {
          catalogId: Aws.ACCOUNT_ID,
          databaseName,
          tableName: datasetLayout(dataset).finalTable,
          type,
          tableOptimizerConfiguration: configuration(type),
        });
        // Glue checks the table and the role's permissions when the optimizer is created (RoleArn already orders it after the role).
        optimizer.addResourceDependency(table);
        optimizer.node.addDependency(policy);
        byType[type] = optimizer;
      }
      this.optimizers[dataset.name] = byType;
    }
  }
}
