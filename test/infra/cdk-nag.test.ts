// cdk-nag's AwsSolutions pack runs on every synth: zero unacknowledged findings, and a new finding does fail synth.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { buildPipelineApp } from '../../lib/pipeline-app';
import { cdkJsonContext, QUICKSIGHT_ON, synthPipeline } from './pipeline-fixture';

function violations(outdir: string): unknown[] {
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations?: unknown[] }> };
  return report.pluginReports.flatMap((r) => r.violations ?? []);
}

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['QuickSight off', {}],
    ['QuickSight on', QUICKSIGHT_ON],
    ['disposable, QuickSight on, alarm e-mail', { ...QUICKSIGHT_ON, disposable: 'true', 'cfg.monitoring.alarmEmail': 'ops@example.com' }],
    ['QuickSight and Lake Formation on', { ...QUICKSIGHT_ON, 'cfg.lakeFormation.enabled': 'true' }],
  ])('%s: no unacknowledged finding', (_name, context) => {
    const built = synthPipeline(context);
    expect(violations(built.outdir)).toEqual([]);
  });

  test('an unacknowledged wildcard permission fails synth with the rule id', () => {
    const app = new App({ context: cdkJsonContext() });
    const { stack } = buildPipelineApp(app);
    stack.ingest.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:Get*'], resources: [stack.storage.finalBucket.arnForObjects('*')] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:Get\*\]/);
  });
});
