// Bad configs fail with the promised message: the key path, the value found, and what to do instead.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as logs from 'aws-cdk-lib/aws-logs';
import { applyOverrides, ConfigError, loadPipelineConfig, parsePipelineConfig } from '../../config/load';
import { isAwsCron, LOG_RETENTION_DAYS } from '../../config/schema';

const PROJECT_CONFIG = path.join(__dirname, '..', '..', 'pipeline.config.json');
const base = () => JSON.parse(fs.readFileSync(PROJECT_CONFIG, 'utf8'));

function problemsOf(raw: unknown): string {
  try {
    parsePipelineConfig(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('the config was accepted');
}

describe('config validation messages', () => {
  test('the project config is valid', () => {
    expect(parsePipelineConfig(base()).datasets.map((d) => d.name)).toEqual(['signups', 'orders']);
  });

  test.each<[string, Record<string, unknown>, RegExp[]]>([
    ['a misspelt key', { 'datasets.0.colums': [] }, [/datasets\[0\]: unknown key "colums"; remove or correct the spelling/]],
    [
      'an unknown column type',
      { 'datasets.0.columns.0.type': 'int' },
      [/datasets\[0\]\.columns\[0\]\.type: must be one of "string", "integer"/, /\(got "int"\)/],
    ],
    ['too few Glue workers', { 'transform.workers': 1 }, [/transform\.workers: .*>=2/, /\(got 1\)/]],
    ['a bad alarm address', { 'monitoring.alarmEmail': 'not-an-email' }, [/monitoring\.alarmEmail: /, /\(got "not-an-email"\)/]],
    [
      'a principal that is not an ARN',
      { 'quicksight.principalArn': 'alice' },
      [/quicksight\.principalArn: must be a QuickSight user or group ARN, e\.g\. arn:aws:quicksight:/, /\(got "alice"\)/],
    ],
    [
      'a log retention CloudWatch Logs does not offer',
      { 'monitoring.logRetentionDays': 10 },
      [/monitoring\.logRetentionDays: is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, /, /\(got 10\)/],
    ],
    [
      'a backstop schedule that is not a cron expression',
      { 'transform.backstopSchedule': 'daily' },
      [
        /transform\.backstopSchedule: must be a cron expression \(EventBridge and Glue format\) with six fields .*e\.g\. "cron\(0 3 \* \* \? \*\)"/,
        /\(got "daily"\)/,
      ],
    ],
    [
      'a five-field (Unix) cron backstop schedule',
      { 'transform.backstopSchedule': 'cron(0 3 * * *)' },
      [/transform\.backstopSchedule: must be a cron expression /, /\(got "cron\(0 3 \* \* \*\)"\)/],
    ],
    [
      'orphan-file retention no longer than a job may run',
      { 'catalog.orphanFileRetentionDays': 1, 'transform.timeoutMinutes': 1440 },
      [
        /catalog\.orphanFileRetentionDays: keeps unreferenced files 1 day\(s\), not longer than a job may run \(transform\.timeoutMinutes 1440\).*raise orphanFileRetentionDays above 1 or lower transform\.timeoutMinutes/,
        /\(got 1\)/,
      ],
    ],
    [
      'QuickSight on without a principal',
      { 'quicksight.enabled': true },
      [/quicksight\.principalArn: is required when quicksight\.enabled is true/, /-c quicksight\.principalArn=/],
    ],
    [
      'a column pattern RE2 cannot compile (look-ahead)',
      { 'datasets.0.columns.1.pattern': '(?=x)\\w+' },
      [
        /datasets\[0\]\.columns\[1\]\.pattern: is not a pattern RE2 can compile \(invalid or unsupported Perl syntax: `\(\?=`\); .*rewrite the pattern without them/,
        /\(got "\(\?=x\)\\\\w\+"\)/,
      ],
    ],
  ])('%s', (_name, overrides, expected) => {
    const message = problemsOf(applyOverrides(base(), overrides));
    expect(message).toMatch(/^Invalid pipeline config test\.json \(1 problem\):/);
    for (const pattern of expected) expect(message).toMatch(pattern);
  });

  test('the backstop schedule defaults to daily and accepts Glue cron expressions only', () => {
    expect(parsePipelineConfig(base()).transform.backstopSchedule).toBe('cron(0 3 * * ? *)');
    for (const ok of ['cron(0 3 * * ? *)', 'cron(15 */6 * * ? *)', 'cron(0 8 ? * MON-FRI *)']) expect(isAwsCron(ok)).toBe(true);
    for (const bad of ['rate(1 day)', 'cron(0 3 * * * *)', 'cron(0 3 ? * ? *)', 'cron(0 3 * *)', '0 3 * * ? *']) expect(isAwsCron(bad)).toBe(false);
  });

  test('the accepted log retentions are exactly those of aws-cdk-lib (CloudWatch Logs)', () => {
    const cdkRetentions = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdkRetentions.sort((a, b) => a - b));
  });

  test('cross-key problems are all listed, each with the known names', () => {
    const raw = base();
    raw.datasets[1].rawPrefix = 'raw/signups/sub/';
    raw.datasets[0].transforms.partitionBy = ['nope'];
    raw.datasets[0].dashboard.charts[0].time = 'when';
    const message = problemsOf(raw);
    expect(message).toContain('(3 problems)');
    expect(message).toContain(
      'datasets[1].rawPrefix: overlaps the raw prefix "raw/signups/" of datasets[0]; each file must route to one dataset (got "raw/signups/sub/")',
    );
    expect(message).toMatch(/datasets\[0\]\.transforms\.partitionBy\[0\]: is not a final column; known columns: user_id, .* \(got "nope"\)/);
    expect(message).toMatch(/datasets\[0\]\.dashboard\.charts\[0\]\.time: is not a column of the final table; known columns: .* \(got "when"\)/);
  });

  test('a missing file and a broken file say so, with the way to point at another file', () => {
    expect(() => loadPipelineConfig(path.join(os.tmpdir(), 'no-such-pipeline-config.json'))).toThrow(
      /\(file\): cannot be read .*; pass an existing file with -c config=PATH/,
    );
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-pipeline-config-')), 'broken.json');
    fs.writeFileSync(broken, '{"datasets": [');
    expect(() => loadPipelineConfig(broken)).toThrow(/\(file\): is not valid JSON/);
  });

  test('context overrides are applied before validation (strings from -c become booleans and numbers)', () => {
    const config = loadPipelineConfig(PROJECT_CONFIG, { 'transform.workers': '5', 'quicksight.enabled': 'false' });
    expect(config.transform.workers).toBe(5);
    expect(config.quicksight.enabled).toBe(false);
  });
});
