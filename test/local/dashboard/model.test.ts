// The dashboard's pure parts: periods for KPI comparisons, aggregate SQL, specs and page escaping.
import { categorySql, changePct, measureSql, periodsEndingAt, timeSeriesSql } from '../../../local/dashboard/model';
import { escapeHtml, renderDashboardPage } from '../../../local/dashboard/page';
import { tickValues, timeSpec } from '../../../local/dashboard/specs';

describe('periodsEndingAt', () => {
  it('takes the calendar month of the latest date and the month before, across a year end', () => {
    expect(periodsEndingAt('2025-01-15', 'MONTH')).toEqual({
      current: { label: 'January 2025', start: '2025-01-01', end: '2025-01-31' },
      previous: { label: 'December 2024', start: '2024-12-01', end: '2024-12-31' },
    });
  });

  it('starts weeks on Monday (ISO), as DuckDB and Athena date_trunc do', () => {
    // 2024-11-10 is a Sunday.
    expect(periodsEndingAt('2024-11-10', 'WEEK')).toEqual({
      current: { label: 'week of 2024-11-04', start: '2024-11-04', end: '2024-11-10' },
      previous: { label: 'week of 2024-10-28', start: '2024-10-28', end: '2024-11-03' },
    });
  });

  it('handles leap days', () => {
    expect(periodsEndingAt('2024-03-01', 'DAY').previous).toEqual({ label: '2024-02-29', start: '2024-02-29', end: '2024-02-29' });
    expect(periodsEndingAt('2024-03-31', 'MONTH').previous.end).toBe('2024-02-29');
  });
});

describe('aggregate SQL', () => {
  it('casts every measure to DOUBLE and quotes column names', () => {
    expect(measureSql({ aggregate: 'count' })).toBe('CAST(count(*) AS DOUBLE)');
    expect(measureSql({ aggregate: 'sum', column: 'amount' })).toBe('CAST(coalesce(sum("amount"), 0) AS DOUBLE)');
    expect(timeSeriesSql('orders', 'order_date', 'WEEK', { aggregate: 'count' })).toContain(`date_trunc('week', CAST("order_date" AS DATE))`);
    expect(categorySql('orders_rejects', 'reason_code', { aggregate: 'count' }, 20)).toContain('LIMIT 21');
  });

  it('gives no percentage against an empty previous period', () => {
    expect(changePct(5, 0)).toBeNull();
    expect(changePct(15, 10)).toBe(50);
  });
});

describe('specs and page', () => {
  const chart = {
    kind: 'time' as const,
    config: { id: 'c', title: 'C', type: 'line' as const, source: 'final' as const, time: 'd', granularity: 'DAY' as const, aggregate: 'count' as const },
    defaultGrain: 'DAY' as const,
    series: {
      DAY: Array.from({ length: 20 }, (_v, i) => ({ period: `2024-11-${String(i + 1).padStart(2, '0')}`, value: i })),
      WEEK: [{ period: '2024-10-28', value: 3 }],
      MONTH: [{ period: '2024-11-01', value: 190 }],
    },
  };

  it('puts at most 8 ticks on the periods themselves, in UTC', () => {
    const ticks = tickValues(chart.series.DAY);
    expect(ticks.length).toBeLessThanOrEqual(8);
    expect(ticks[0]).toBe(Date.UTC(2024, 10, 1));
    expect((timeSpec(chart, 'MONTH').data as { values: unknown[] }).values).toEqual(chart.series.MONTH);
  });

  it('escapes config text and cannot be broken out of by data', () => {
    expect(escapeHtml(`<b a="x">'&`)).toBe('&lt;b a=&quot;x&quot;&gt;&#39;&amp;');
    const html = renderDashboardPage(
      {
        generatedAt: '2024-11-09T00:00:00.000Z',
        lastRun: { files: [] },
        datasets: [{ name: 'd', title: '</script><script>alert(1)</script>', description: '', finalRows: 0, rejectedRows: 0, kpis: [], charts: [chart] }],
      },
      '/* library */',
    );
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<script/g)).toHaveLength(3);
  });
});
