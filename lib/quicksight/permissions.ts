// The QuickSight owner action lists: without them on `permissions`, a principal does not see CloudFormation-made assets.
import type { CfnDashboard, CfnDataSet, CfnDataSource } from 'aws-cdk-lib/aws-quicksight';

/** Everything the console grants the owner of a data source. */
export const DATA_SOURCE_OWNER_ACTIONS = [
  'quicksight:DescribeDataSource',
  'quicksight:DescribeDataSourcePermissions',
  'quicksight:PassDataSource',
  'quicksight:UpdateDataSource',
  'quicksight:DeleteDataSource',
  'quicksight:UpdateDataSourcePermissions',
] as const;

/** Everything the console grants the owner of a data set (ingestion actions included, as the console does). */
export const DATA_SET_OWNER_ACTIONS = [
  'quicksight:DescribeDataSet',
  'quicksight:DescribeDataSetPermissions',
  'quicksight:PassDataSet',
  'quicksight:DescribeIngestion',
  'quicksight:ListIngestions',
  'quicksight:UpdateDataSet',
  'quicksight:DeleteDataSet',
  'quicksight:CreateIngestion',
  'quicksight:CancelIngestion',
  'quicksight:UpdateDataSetPermissions',
] as const;

/** Everything the console grants a dashboard co-owner. */
export const DASHBOARD_OWNER_ACTIONS = [
  'quicksight:DescribeDashboard',
  'quicksight:ListDashboardVersions',
  'quicksight:UpdateDashboardPermissions',
  'quicksight:QueryDashboard',
  'quicksight:UpdateDashboard',
  'quicksight:DeleteDashboard',
  'quicksight:DescribeDashboardPermissions',
  'quicksight:UpdateDashboardPublishedVersion',
] as const;

type Permission = CfnDataSource.ResourcePermissionProperty & CfnDataSet.ResourcePermissionProperty & CfnDashboard.ResourcePermissionProperty;

export function ownerPermissions(principal: string, actions: readonly string[]): Permission[] {
  return [{ principal, actions: [...actions] }];
}
