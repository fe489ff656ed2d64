// Turns a dataset's `dashboard` config into a QuickSight dashboard definition: a pure function, config in, definition out.
import type { CfnDashboard } from 'aws-cdk-lib/aws-quicksight';
import type { ChartConfig, DatasetConfig, KpiConfig } from '../../config/schema';
import { fieldKindOf, ROW_COUNT_COLUMN, tableOf, type FieldKind, type QuickSightColumn, type TableSource } from './columns';

type Definition = CfnDashboard.DashboardVersionDefinitionProperty;
type Visual = CfnDashboard.VisualProperty;
type MeasureField = CfnDashboard.MeasureFieldProperty;
type DimensionField = CfnDashboard.DimensionFieldProperty;
type Granularity = KpiConfig['period'];
type Aggregate = KpiConfig['aggregate'];

/** ARNs of the two QuickSight data sets a dataset's dashboard reads. */
export interface DashboardDataSetArns {
  readonly final: string;
  readonly rejects: string;
}

/** A dashboard config the generator cannot turn into visuals (the schema alone cannot see column types). */
export class DashboardDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DashboardDefinitionError';
  }
}

/** The identifier a visual uses for a data set inside the definition: the catalog table name. */
export function dataSetIdentifier(dataset: DatasetConfig, source: TableSource): string {
  return tableOf(dataset, source).tableName;
}

/** QuickSight grid layouts are 36 columns wide. */
export const GRID_COLUMNS = 36;
const KPI_SIZE = { columnSpan: 12, rowSpan: 6 };
const CHART_SIZE = { columnSpan: 18, rowSpan: 12 };

/** Our aggregates, as QuickSight names them per field kind (undefined: not allowed for that kind). */
const AGGREGATION: Record<Aggregate, Partial<Record<FieldKind, string>>> = {
  count: { categorical: 'COUNT', numerical: 'COUNT', date: 'COUNT' },
  count_distinct: { categorical: 'DISTINCT_COUNT', numerical: 'DISTINCT_COUNT', date: 'DISTINCT_COUNT' },
  sum: { numerical: 'SUM' },
  avg: { numerical: 'AVERAGE' },
};

/** Resolves names against one table of one dataset and reports mistakes with the config path. */
class TableColumns {
  private readonly byName: Map<string, QuickSightColumn>;
  readonly identifier: string;

  constructor(
    private readonly dataset: DatasetConfig,
    readonly source: TableSource,
  ) {
    const table = tableOf(dataset, source);
    this.byName = new Map(table.columns.map((c) => [c.name, c]));
    this.identifier = table.tableName;
  }

  column(name: string, at: string): { identifier: CfnDashboard.ColumnIdentifierProperty; kind: FieldKind; type: string } {
    const found = this.byName.get(name);
    if (!found) {
      throw new DashboardDefinitionError(
        `${at}: column "${name}" is not in the ${this.source} table "${this.identifier}" of dataset "${this.dataset.name}"; ` +
          `columns: ${[...this.byName.keys()].join(', ')}`,
      );
    }
    return { identifier: { dataSetIdentifier: this.identifier, columnName: name }, kind: fieldKindOf(found.type), type: found.type };
  }
}

function measureField(table: TableColumns, fieldId: string, aggregate: Aggregate, columnName: string | undefined, at: string): MeasureField {
  // A plain count counts rows: the lineage/source column is on every row and never empty.
  const { identifier: column, kind, type } = table.column(columnName ?? ROW_COUNT_COLUMN, at);
  const fn = AGGREGATION[aggregate][kind];
  if (!fn) {
    throw new DashboardDefinitionError(
      `${at}: aggregate "${aggregate}" needs a number column, but "${columnName}" is ${type}; use count or count_distinct, or a numeric column`,
    );
  }
  switch (kind) {
    case 'numerical':
      return { numericalMeasureField: { fieldId, column, aggregationFunction: { simpleNumericalAggregation: fn } } };
    case 'date':
      return { dateMeasureField: { fieldId, column, aggregationFunction: fn } };
    case 'categorical':
      return { categoricalMeasureField: { fieldId, column, aggregationFunction: fn } };
  }
}

function dateDimension(table: TableColumns, fieldId: string, columnName: string, granularity: Granularity, at: string): DimensionField {
  const { identifier: column, kind, type } = table.column(columnName, at);
  if (kind !== 'date') {
    throw new DashboardDefinitionError(`${at}: "${columnName}" is ${type}, not a date; time series need a date or timestamp column`);
  }
  return { dateDimensionField: { fieldId, column, dateGranularity: granularity } };
}

function categoryDimension(table: TableColumns, fieldId: string, columnName: string, at: string): DimensionField {
  const { identifier: column, kind } = table.column(columnName, at);
  switch (kind) {
    case 'categorical':
      return { categoricalDimensionField: { fieldId, column } };
    case 'numerical':
      return { numericalDimensionField: { fieldId, column } };
    case 'date':
      return { dateDimensionField: { fieldId, column, dateGranularity: 'DAY' } };
  }
}

function title(text: string): CfnDashboard.VisualTitleLabelOptionsProperty {
  return { visibility: 'VISIBLE', formatText: { plainText: text } };
}

/** What a measure is called on an axis: "Rows" reads better than "Count of source_file". */
function measureLabel(aggregate: Aggregate, column: string | undefined): string {
  if (aggregate === 'count') return column ? `Count of ${column}` : 'Rows';
  if (aggregate === 'count_distinct') return `Distinct ${column}`;
  return `${aggregate === 'sum' ? 'Sum' : 'Average'} of ${column}`;
}

function valueAxisLabel(
  table: TableColumns,
  fieldId: string,
  aggregate: Aggregate,
  columnName: string | undefined,
): CfnDashboard.ChartAxisLabelOptionsProperty {
  return {
    visibility: 'VISIBLE',
    axisLabelOptions: [
      {
        customLabel: measureLabel(aggregate, columnName),
        applyTo: { fieldId, column: { dataSetIdentifier: table.identifier, columnName: columnName ?? ROW_COUNT_COLUMN } },
      },
    ],
  };
}

const PERIOD_WORD: Record<Granularity, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };

function kpiVisual(dataset: DatasetConfig, kpi: KpiConfig, at: string, dateColumnAt: string): Visual {
  const table = new TableColumns(dataset, 'final');
  const valueId = `${kpi.id}.value`;
  const dateColumn = dataset.dashboard?.dateColumn;
  const compare = kpi.compareToPreviousPeriod && dateColumn !== undefined;
  const trendId = `${kpi.id}.period`;
  const fieldWells: CfnDashboard.KPIFieldWellsProperty = {
    values: [measureField(table, valueId, kpi.aggregate, kpi.column, `${at}.column`)],
    // With a date trend group, the KPI shows the latest period and compares it with the period before.
    ...(compare ? { trendGroups: [dateDimension(table, trendId, dateColumn, kpi.period, dateColumnAt)] } : {}),
  };
  const word = PERIOD_WORD[kpi.period];
  return {
    kpiVisual: {
      visualId: kpi.id,
      title: title(kpi.title),
      ...(compare ? { subtitle: { visibility: 'VISIBLE', formatText: { plainText: `Latest ${word} compared with the ${word} before` } } } : {}),
      chartConfiguration: {
        fieldWells,
        ...(compare
          ? {
              sortConfiguration: { trendGroupSort: [{ fieldSort: { fieldId: trendId, direction: 'ASC' } }] },
              kpiOptions: {
                comparison: { comparisonMethod: 'PERCENT_DIFFERENCE' },
                primaryValueDisplayType: 'ACTUAL',
                secondaryValue: { visibility: 'VISIBLE' },
                trendArrows: { visibility: 'VISIBLE' },
                sparkline: { type: 'AREA', visibility: 'VISIBLE', tooltipVisibility: 'VISIBLE' },
              },
            }
          : { kpiOptions: { primaryValueDisplayType: 'ACTUAL' } }),
      },
    },
  };
}

function chartVisual(dataset: DatasetConfig, chart: ChartConfig, at: string): Visual {
  const table = new TableColumns(dataset, chart.source);
  const valueId = `${chart.id}.value`;
  const value = measureField(table, valueId, chart.aggregate, chart.column, `${at}.column`);
  const axisLabel = valueAxisLabel(table, valueId, chart.aggregate, chart.column);
  const sortByValueDesc = [{ fieldSort: { fieldId: valueId, direction: 'DESC' } }];

  if (chart.type === 'line') {
    const timeId = `${chart.id}.time`;
    if (!chart.time) throw new DashboardDefinitionError(`${at}.time: a line chart needs a date column`);
    return {
      lineChartVisual: {
        visualId: chart.id,
        title: title(chart.title),
        chartConfiguration: {
          fieldWells: {
            lineChartAggregatedFieldWells: {
              category: [dateDimension(table, timeId, chart.time, chart.granularity, `${at}.time`)],
              values: [value],
            },
          },
          sortConfiguration: { categorySort: [{ fieldSort: { fieldId: timeId, direction: 'ASC' } }] },
          primaryYAxisLabelOptions: axisLabel,
        },
      },
    };
  }

  if (!chart.category) throw new DashboardDefinitionError(`${at}.category: a ${chart.type} chart needs a category column`);
  const categoryId = `${chart.id}.category`;
  const category = [categoryDimension(table, categoryId, chart.category, `${at}.category`)];
  if (chart.type === 'bar') {
    return {
      barChartVisual: {
        visualId: chart.id,
        title: title(chart.title),
        chartConfiguration: {
          fieldWells: { barChartAggregatedFieldWells: { category, values: [value] } },
          orientation: 'HORIZONTAL',
          barsArrangement: 'CLUSTERED',
          sortConfiguration: { categorySort: sortByValueDesc },
          valueLabelOptions: axisLabel,
          dataLabels: { visibility: 'VISIBLE' },
        },
      },
    };
  }
  return {
    pieChartVisual: {
      visualId: chart.id,
      title: title(chart.title),
      chartConfiguration: {
        fieldWells: { pieChartAggregatedFieldWells: { category, values: [value] } },
        sortConfiguration: { categorySort: sortByValueDesc },
        valueLabelOptions: axisLabel,
        dataLabels: { visibility: 'VISIBLE' },
      },
    },
  };
}

/** Places KPIs three to a row, then charts two to a row, on QuickSight's 36-column grid. */
function gridElements(kpiIds: readonly string[], chartIds: readonly string[]): CfnDashboard.GridLayoutElementProperty[] {
  const elements: CfnDashboard.GridLayoutElementProperty[] = [];
  let row = 0;
  for (const [ids, size] of [
    [kpiIds, KPI_SIZE],
    [chartIds, CHART_SIZE],
  ] as const) {
    const perRow = GRID_COLUMNS / size.columnSpan;
    ids.forEach((id, i) => {
      elements.push({
        elementId: id,
        elementType: 'VISUAL',
        columnIndex: (i % perRow) * size.columnSpan,
        rowIndex: row + Math.floor(i / perRow) * size.rowSpan,
        ...size,
      });
    });
    row += Math.ceil(ids.length / perRow) * size.rowSpan;
  }
  return elements;
}

/**
 * The dashboard definition for one dataset: one sheet with a KPI per `dashboard.kpis` entry and a line, bar or pie
 * chart per `dashboard.charts` entry; final-table visuals read the dataset's final data set, `source: "rejects"`
 * charts its rejected-rows data set. Throws DashboardDefinitionError on a column that does not fit its use.
 */
export function dashboardDefinition(dataset: DatasetConfig, arns: DashboardDataSetArns): Definition {
  const dashboard = dataset.dashboard;
  if (!dashboard) {
    throw new DashboardDefinitionError(`dataset "${dataset.name}" has no "dashboard" section; add one or leave the dataset out of the QuickSight dashboards`);
  }
  const where = `datasets[${dataset.name}].dashboard`;
  const visuals = [
    ...dashboard.kpis.map((k, i) => kpiVisual(dataset, k, `${where}.kpis[${i}]`, `${where}.dateColumn`)),
    ...dashboard.charts.map((c, i) => chartVisual(dataset, c, `${where}.charts[${i}]`)),
  ];
  const usesRejects = dashboard.charts.some((c) => c.source === 'rejects');
  return {
    dataSetIdentifierDeclarations: [
      { identifier: dataSetIdentifier(dataset, 'final'), dataSetArn: arns.final },
      ...(usesRejects ? [{ identifier: dataSetIdentifier(dataset, 'rejects'), dataSetArn: arns.rejects }] : []),
    ],
    sheets: [
      {
        sheetId: `${dataset.name}-overview`,
        name: dashboard.title,
        title: dashboard.title,
        contentType: 'INTERACTIVE',
        visuals,
        layouts: [
          {
            configuration: {
              gridLayout: {
                elements: gridElements(
                  dashboard.kpis.map((k) => k.id),
                  dashboard.charts.map((c) => c.id),
                ),
                canvasSizeOptions: { screenCanvasSizeOptions: { resizeOption: 'RESPONSIVE' } },
              },
            },
          },
        ],
      },
    ],
  };
}
