// cfn-lint over every synthesized template (QuickSight off and on): zero errors. Warnings are printed, not failed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QUICKSIGHT_ON, synthPipeline } from './pipeline-fixture';

/** cfn-lint's exit status is a bit field: 1 fatal, 2 error, 4 warning, 8 informational. */
const FATAL_OR_ERROR = 1 | 2;

function cfnLint(templates: string[]): { status: number; output: string } {
  const run = spawnSync('cfn-lint', ['--format', 'parseable', ...templates], { encoding: 'utf8' });
  if (run.error) {
    throw new Error(`cfn-lint could not be run (${run.error.message}); install it with: pip install -r requirements-dev.txt`);
  }
  return { status: run.status ?? 1, output: `${run.stdout}${run.stderr}` };
}

describe('cfn-lint', () => {
  test.each([
    ['QuickSight off', {}, false],
    ['QuickSight on', QUICKSIGHT_ON, false],
    ['QuickSight on, disposable, account and region pinned', { ...QUICKSIGHT_ON, disposable: 'true' }, true],
    [
      'QuickSight and Lake Formation on',
      { ...QUICKSIGHT_ON, 'cfg.lakeFormation.enabled': 'true', 'cfg.lakeFormation.athenaPrincipalArns': ['arn:aws:iam::123456789012:role/analyst'] },
      false,
    ],
  ])('%s: the synthesized templates have no cfn-lint error', (_name, context, pinned) => {
    const saved = { ...process.env };
    if (pinned) Object.assign(process.env, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' });
    let built: ReturnType<typeof synthPipeline>;
    try {
      built = synthPipeline(context);
    } finally {
      process.env = saved;
    }
    const templates = fs
      .readdirSync(built.outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(built.outdir, f));
    expect(templates.length).toBeGreaterThan(0);
    const { status, output } = cfnLint(templates);
    if (output.trim()) console.log(`cfn-lint (${_name}):\n${output}`);
    const errors = output.split('\n').filter((line) => /:E\d{4}:|:E\d{4}\b|\bE\d{4}\b/.test(line));
    expect(errors).toEqual([]);
    expect(status & FATAL_OR_ERROR).toBe(0);
  });
});
