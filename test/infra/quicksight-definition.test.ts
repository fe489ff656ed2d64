// The dashboard definition generator: config in, QuickSight definition out, checked visual by visual.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePipelineConfig } from '../../config/load';
import type { DatasetConfig, PipelineConfigInput } from '../../config/schema';
import { fieldKindOf, finalTable, QUICKSIGHT_TYPE_OF, rejectsTable } from '../../lib/quicksight/columns';
import { dashboardDefinition, DashboardDefinitionError, GRID_COLUMNS } from '../../lib/quicksight/dashboard-definition';

const ARNS = { final: 'arn:aws:quicksight:eu-west-1:123456789012:dataset/final', rejects: 'arn:aws:quicksight:eu-west-1:123456789012:dataset/rejects' };

// The definition is typed with CDK's unions of IResolvable; tests read it as plain JSON.
type Json = any;

function projectDataset(name: string): DatasetConfig {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../pipeline.config.json'), 'utf8'));
  return parsePipelineConfig(raw).datasets.find((d) => d.name === name)!;
}

/** An orders-like dataset whose dashboard section each test sets. */
function datasetWith(dashboard: NonNullable<PipelineConfigInput['datasets'][number]['dashboard']>): DatasetConfig {
  const input: PipelineConfigInput = {
    datasets: [
      {
        name: 'sales',
        columns: [
          { name: 'id', type: 'integer', required: true },
          { name: 'email', type: 'email' },
          { name: 'sold_at', type: 'timestamp', formats: ['YYYY-MM-DD HH:mm:ss'] },
          { name: 'sold_on', type: 'date', formats: ['YYYY-MM-DD'] },
          { name: 'amount', type: 'decimal' },
          { name: 'region', type: 'enum', values: ['north', 'south'] },
          { name: 'gift', type: 'boolean' },
        ],
        transforms: { derive: [{ name: 'sold_month', expr: 'substr(cast(sold_on as string), 1, 7)', type: 'string' }], partitionBy: ['sold_month'] },
        dashboard,
      },
    ],
  };
  return parsePipelineConfig(input, 'test').datasets[0];
}

function visuals(definition: Json): Json[] {
  return definition.sheets[0].visuals;
}

function visual(definition: Json, id: string): Json {
  const found = visuals(definition).find((v: Json) => Object.values(v).some((inner: Json) => inner.visualId === id));
  if (!found) throw new Error(`no visual ${id}`);
  return found;
}

describe('dashboardDefinition on the project config', () => {
  const signups = projectDataset('signups');
  const definition: Json = dashboardDefinition(signups, ARNS);

  test('one visual per KPI and per chart, of the configured kind, in config order', () => {
    const kinds = visuals(definition).map((v: Json) => Object.keys(v)[0]);
    const ids = visuals(definition).map((v: Json) => (Object.values(v)[0] as Json).visualId);
    expect(kinds).toEqual(['kpiVisual', 'lineChartVisual', 'barChartVisual', 'barChartVisual']);
    expect(ids).toEqual(['total_signups', 'signups_over_time', 'signups_by_status', 'rejects_by_reason']);
  });

  test('the KPI "Total sign-ups" counts rows and compares the latest month with the one before on signup_date', () => {
    const kpi = visual(definition, 'total_signups').kpiVisual;
    expect(kpi.title.formatText.plainText).toBe('Total sign-ups');
    const wells = kpi.chartConfiguration.fieldWells;
    expect(wells.values).toEqual([
      {
        categoricalMeasureField: {
          fieldId: 'total_signups.value',
          column: { dataSetIdentifier: 'signups', columnName: 'source_file' },
          aggregationFunction: 'COUNT',
        },
      },
    ]);
    expect(wells.trendGroups).toEqual([
      {
        dateDimensionField: { fieldId: 'total_signups.period', column: { dataSetIdentifier: 'signups', columnName: 'signup_date' }, dateGranularity: 'MONTH' },
      },
    ]);
    expect(kpi.chartConfiguration.kpiOptions.comparison).toEqual({ comparisonMethod: 'PERCENT_DIFFERENCE' });
    expect(kpi.chartConfiguration.sortConfiguration.trendGroupSort).toEqual([{ fieldSort: { fieldId: 'total_signups.period', direction: 'ASC' } }]);
  });

  test('sign-ups over time is a line chart over signup_date by day, sorted by date', () => {
    const line = visual(definition, 'signups_over_time').lineChartVisual;
    const wells = line.chartConfiguration.fieldWells.lineChartAggregatedFieldWells;
    expect(wells.category[0].dateDimensionField).toMatchObject({ column: { dataSetIdentifier: 'signups', columnName: 'signup_date' }, dateGranularity: 'DAY' });
    expect(wells.values[0].categoricalMeasureField.aggregationFunction).toBe('COUNT');
    expect(line.chartConfiguration.sortConfiguration.categorySort[0].fieldSort).toEqual({ fieldId: 'signups_over_time.time', direction: 'ASC' });
  });

  test('the breakdown by status is a bar chart on the final data set; rejects by reason reads the rejects data set', () => {
    const byStatus = visual(definition, 'signups_by_status').barChartVisual.chartConfiguration.fieldWells.barChartAggregatedFieldWells;
    expect(byStatus.category[0].categoricalDimensionField.column).toEqual({ dataSetIdentifier: 'signups', columnName: 'status' });
    const byReason = visual(definition, 'rejects_by_reason').barChartVisual.chartConfiguration.fieldWells.barChartAggregatedFieldWells;
    expect(byReason.category[0].categoricalDimensionField.column).toEqual({ dataSetIdentifier: 'signups_rejects', columnName: 'reason_code' });
    expect(byReason.values[0].categoricalMeasureField.column).toEqual({ dataSetIdentifier: 'signups_rejects', columnName: 'source_file' });
  });

  test('declares exactly the data sets its visuals use, with the ARNs given', () => {
    expect(definition.dataSetIdentifierDeclarations).toEqual([
      { identifier: 'signups', dataSetArn: ARNS.final },
      { identifier: 'signups_rejects', dataSetArn: ARNS.rejects },
    ]);
    const used = new Set<string>();
    JSON.stringify(definition, (key, value) => {
      if (key === 'dataSetIdentifier') used.add(value);
      return value;
    });
    expect([...used].sort()).toEqual(['signups', 'signups_rejects']);
  });

  test('the grid places every visual once, inside 36 columns, without overlaps', () => {
    const elements: Json[] = definition.sheets[0].layouts[0].configuration.gridLayout.elements;
    expect(elements.map((e) => e.elementId).sort()).toEqual(
      visuals(definition)
        .map((v: Json) => (Object.values(v)[0] as Json).visualId)
        .sort(),
    );
    const cells = new Set<string>();
    for (const e of elements) {
      expect(e.columnIndex + e.columnSpan).toBeLessThanOrEqual(GRID_COLUMNS);
      for (let r = e.rowIndex; r < e.rowIndex + e.rowSpan; r++) {
        for (let c = e.columnIndex; c < e.columnIndex + e.columnSpan; c++) {
          expect(cells.has(`${r}:${c}`)).toBe(false);
          cells.add(`${r}:${c}`);
        }
      }
    }
  });

  test('is pure: the same config gives the same definition and the config is not changed', () => {
    const before = JSON.stringify(signups);
    expect(dashboardDefinition(signups, ARNS)).toEqual(definition);
    expect(JSON.stringify(signups)).toBe(before);
  });

  test('orders: a pie chart by currency and a revenue KPI that sums amount', () => {
    const orders: Json = dashboardDefinition(projectDataset('orders'), ARNS);
    const pie = visual(orders, 'orders_by_currency').pieChartVisual.chartConfiguration.fieldWells.pieChartAggregatedFieldWells;
    expect(pie.category[0].categoricalDimensionField.column.columnName).toBe('currency');
    const revenue = visual(orders, 'revenue').kpiVisual.chartConfiguration.fieldWells.values[0];
    expect(revenue).toEqual({
      numericalMeasureField: {
        fieldId: 'revenue.value',
        column: { dataSetIdentifier: 'orders', columnName: 'amount' },
        aggregationFunction: { simpleNumericalAggregation: 'SUM' },
      },
    });
  });
});

describe('aggregations by column type', () => {
  test.each([
    ['sum', 'amount', { numericalMeasureField: { aggregationFunction: { simpleNumericalAggregation: 'SUM' } } }],
    ['avg', 'amount', { numericalMeasureField: { aggregationFunction: { simpleNumericalAggregation: 'AVERAGE' } } }],
    ['count', 'amount', { numericalMeasureField: { aggregationFunction: { simpleNumericalAggregation: 'COUNT' } } }],
    ['count_distinct', 'email', { categoricalMeasureField: { aggregationFunction: 'DISTINCT_COUNT' } }],
    ['count_distinct', 'sold_on', { dateMeasureField: { aggregationFunction: 'DISTINCT_COUNT' } }],
    ['count', '(rows)', { categoricalMeasureField: { aggregationFunction: 'COUNT', column: { columnName: 'source_file' } } }],
    ['count_distinct', 'gift', { categoricalMeasureField: { aggregationFunction: 'DISTINCT_COUNT' } }],
  ] as const)('%s of %s', (aggregate, column, expected) => {
    const dataset = datasetWith({
      title: 'Sales',
      kpis: [{ id: 'k', title: 'K', aggregate, column: column === '(rows)' ? undefined : column, compareToPreviousPeriod: false }],
    });
    const kpi: Json = visual(dashboardDefinition(dataset, ARNS), 'k').kpiVisual;
    expect(kpi.chartConfiguration.fieldWells.values[0]).toMatchObject(expected);
    expect(kpi.chartConfiguration.fieldWells.trendGroups).toBeUndefined();
  });

  test('sum over a text column is refused with the column, its type and the fix', () => {
    const dataset = datasetWith({ title: 'Sales', kpis: [{ id: 'k', title: 'K', aggregate: 'sum', column: 'region', compareToPreviousPeriod: false }] });
    expect(() => dashboardDefinition(dataset, ARNS)).toThrow(DashboardDefinitionError);
    expect(() => dashboardDefinition(dataset, ARNS)).toThrow(
      /kpis\[0\]\.column: aggregate "sum" needs a number column, but "region" is STRING; use count or count_distinct/,
    );
  });
});

describe('time and category fields', () => {
  test.each(['DAY', 'WEEK', 'MONTH'] as const)('a line chart with granularity %s groups its date field at that granularity', (granularity) => {
    const dataset = datasetWith({
      title: 'Sales',
      charts: [{ id: 'c', title: 'C', type: 'line', time: 'sold_at', granularity, aggregate: 'sum', column: 'amount' }],
    });
    const wells: Json = visual(dashboardDefinition(dataset, ARNS), 'c').lineChartVisual.chartConfiguration.fieldWells.lineChartAggregatedFieldWells;
    expect(wells.category[0].dateDimensionField.dateGranularity).toBe(granularity);
    expect(wells.category[0].dateDimensionField.column.columnName).toBe('sold_at');
    expect(wells.values[0].numericalMeasureField.aggregationFunction.simpleNumericalAggregation).toBe('SUM');
  });

  test.each(['DAY', 'WEEK', 'MONTH'] as const)('a KPI with period %s trends at that granularity over the dashboard date column', (period) => {
    const dataset = datasetWith({ title: 'Sales', dateColumn: 'sold_on', kpis: [{ id: 'k', title: 'K', period }] });
    const trend: Json = visual(dashboardDefinition(dataset, ARNS), 'k').kpiVisual.chartConfiguration.fieldWells.trendGroups[0];
    expect(trend.dateDimensionField).toMatchObject({ dateGranularity: period, column: { columnName: 'sold_on', dataSetIdentifier: 'sales' } });
  });

  test('a line chart over a text column is refused', () => {
    const dataset = datasetWith({ title: 'Sales', charts: [{ id: 'c', title: 'C', type: 'line', time: 'sold_month' }] });
    expect(() => dashboardDefinition(dataset, ARNS)).toThrow(/charts\[0\]\.time: "sold_month" is STRING, not a date/);
  });

  test('bar and pie categories use the field kind of their column (numeric, date, text, boolean)', () => {
    const dataset = datasetWith({
      title: 'Sales',
      charts: [
        { id: 'by_id', title: 'I', type: 'bar', category: 'id' },
        { id: 'by_gift', title: 'G', type: 'bar', category: 'gift' },
        { id: 'by_day', title: 'D', type: 'pie', category: 'sold_on' },
        { id: 'by_region', title: 'R', type: 'pie', category: 'region' },
      ],
    });
    const d: Json = dashboardDefinition(dataset, ARNS);
    expect(Object.keys(visual(d, 'by_id').barChartVisual.chartConfiguration.fieldWells.barChartAggregatedFieldWells.category[0])).toEqual([
      'numericalDimensionField',
    ]);
    expect(Object.keys(visual(d, 'by_gift').barChartVisual.chartConfiguration.fieldWells.barChartAggregatedFieldWells.category[0])).toEqual([
      'categoricalDimensionField',
    ]);
    expect(Object.keys(visual(d, 'by_day').pieChartVisual.chartConfiguration.fieldWells.pieChartAggregatedFieldWells.category[0])).toEqual([
      'dateDimensionField',
    ]);
    expect(Object.keys(visual(d, 'by_region').pieChartVisual.chartConfiguration.fieldWells.pieChartAggregatedFieldWells.category[0])).toEqual([
      'categoricalDimensionField',
    ]);
    expect(d.dataSetIdentifierDeclarations).toEqual([{ identifier: 'sales', dataSetArn: ARNS.final }]);
  });

  test('a dataset without a dashboard section is refused with the dataset name', () => {
    const dataset = { ...datasetWith({ title: 'x' }), dashboard: undefined };
    expect(() => dashboardDefinition(dataset, ARNS)).toThrow(/dataset "sales" has no "dashboard" section/);
  });
});

describe('QuickSight column types', () => {
  test('the final table maps config types to QuickSight types and puts partition columns last', () => {
    const table = finalTable(datasetWith({ title: 'x' }));
    expect(table.tableName).toBe('sales');
    expect(table.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'email', type: 'STRING' },
      { name: 'sold_at', type: 'DATETIME' },
      { name: 'sold_on', type: 'DATETIME' },
      { name: 'amount', type: 'DECIMAL' },
      { name: 'region', type: 'STRING' },
      { name: 'gift', type: 'BOOLEAN' },
      { name: 'source_file', type: 'STRING' },
      { name: 'ingested_at', type: 'DATETIME' },
      { name: 'sold_month', type: 'STRING' },
    ]);
  });

  test('a boolean column is a BOOLEAN input column and a categorical field (true / false to break down by)', () => {
    expect(QUICKSIGHT_TYPE_OF.boolean).toBe('BOOLEAN');
    expect(fieldKindOf('BOOLEAN')).toBe('categorical');
  });

  test('the rejects table reads everything as text except the line number', () => {
    const table = rejectsTable(datasetWith({ title: 'x' }));
    expect(table.tableName).toBe('sales_rejects');
    expect(table.columns.filter((c) => c.type !== 'STRING')).toEqual([{ name: 'line', type: 'INTEGER' }]);
    expect(table.columns.map((c) => c.name)).toEqual(['source_file', 'line', 'reason_code', 'column_name', 'reason', 'raw_record']);
  });
});
