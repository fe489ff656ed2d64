// bin/app.ts and its settings: context -> config overrides, disposable flag, and a bad config failing synth with its message.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { settingsFromContext } from '../../lib/pipeline-app';
import { cdkJsonContext, REPO_ROOT } from './pipeline-fixture';

describe('settingsFromContext', () => {
  test('defaults: pipeline.config.json, retained, stack CsvPipeline, no overrides', () => {
    expect(settingsFromContext(new App())).toEqual({ configPath: 'pipeline.config.json', overrides: {}, disposable: false, stackName: 'CsvPipeline' });
  });

  test('QuickSight keys and any cfg.<dotted.key> become config overrides; disposable=true (string or boolean)', () => {
    const app = new App({
      context: {
        config: 'other.json',
        'quicksight.enabled': 'true',
        'quicksight.principalArn': 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice',
        'cfg.transform.workers': '4',
        disposable: 'true',
        stackName: 'CsvPipelineDev',
        unrelated: 'x',
      },
    });
    expect(settingsFromContext(app)).toEqual({
      configPath: 'other.json',
      overrides: {
        'quicksight.enabled': 'true',
        'quicksight.principalArn': 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice',
        'transform.workers': '4',
      },
      disposable: true,
      stackName: 'CsvPipelineDev',
    });
    expect(settingsFromContext(new App({ context: { disposable: true } })).disposable).toBe(true);
    expect(settingsFromContext(new App({ context: { disposable: 'false' } })).disposable).toBe(false);
  });
});

describe('bin/app.ts', () => {
  /** Runs the CDK app the way the CDK CLI does: context in CDK_CONTEXT_JSON, output dir in CDK_OUTDIR. */
  function runApp(context: Record<string, unknown>) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-pipeline-app-'));
    return spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--prefer-ts-exts', 'bin/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }), CDK_OUTDIR: outdir, NODE_ENV: 'production' },
    });
  }

  test('a bad config fails synth with the key, the value and the fix, and no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-pipeline-config-'));
    const bad = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'pipeline.config.json'), 'utf8'));
    bad.transform.workers = 1;
    bad.datasets[0].transforms.partitionBy = ['no_such_column'];
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    const run = runApp({ config: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Invalid pipeline config ${file}`);
    expect(run.stderr).toMatch(/transform\.workers: .*(1|>=2)/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  test('QuickSight on without a principal fails synth naming the context key to set', () => {
    const run = runApp({ 'quicksight.enabled': 'true' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('quicksight.principalArn: is required when quicksight.enabled is true');
    expect(run.stderr).toContain('-c quicksight.principalArn=');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  test('an unsupported log retention is a config error too', () => {
    const run = runApp({ 'cfg.monitoring.logRetentionDays': '10' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('monitoring.logRetentionDays: is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30');
    expect(run.stderr).toContain('(got 10)');
  });
});
