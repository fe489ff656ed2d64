// Orchestration: processed/ events -> Glue workflow EVENT trigger (batched) -> all dataset jobs (no crawler in between).
import { asArray, type BuiltPipeline, flat, logicalId, resourcesOfType, statementsOfRole, synthPipeline } from './pipeline-fixture';

describe('Orchestration', () => {
  let built: BuiltPipeline;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.transform.batchSize': '7', 'cfg.transform.batchWindowSeconds': '120' });
  });

  test('an EVENT trigger batches processed-file events from config and starts every dataset job: no crawler in the batch path', () => {
    const workflow = logicalId(built, built.stack.orchestration.workflow);
    built.template.hasResourceProperties('AWS::Glue::Trigger', {
      Type: 'EVENT',
      WorkflowName: { Ref: workflow },
      EventBatchingCondition: { BatchSize: 7, BatchWindow: 120 },
      Actions: built.config.datasets.map((d) => ({ JobName: { Ref: logicalId(built, built.stack.transform.jobs[d.name]) } })),
    });
  });

  test('the workflow is event -> jobs: its only trigger is the EVENT trigger, and no trigger names the crawler', () => {
    const triggers = Object.values(resourcesOfType(built.template, 'AWS::Glue::Trigger'));
    expect(triggers.map((t) => t.Properties.Type)).toEqual(['EVENT']);
    expect(JSON.stringify(triggers)).not.toMatch(/Crawler/);
    // The jobs read processed files by path instead of the crawled table.
    for (const d of built.config.datasets) {
      const job = resourcesOfType(built.template, 'AWS::Glue::Job')[logicalId(built, built.stack.transform.jobs[d.name])].Properties;
      expect(flat(job.DefaultArguments['--processed_path'])).toBe(`s3://<${logicalId(built, built.stack.storage.processedBucket)}>/processed/${d.name}/`);
    }
  });

  test('an EventBridge rule on Object Created under processed/ notifies the workflow with a role limited to glue:notifyEvent', () => {
    const processed = logicalId(built, built.stack.storage.processedBucket);
    const rule = resourcesOfType(built.template, 'AWS::Events::Rule')[logicalId(built, built.stack.orchestration.rule)].Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: processed }] }, object: { key: [{ prefix: 'processed/' }] } },
    });
    expect(rule.Targets).toHaveLength(1);
    expect(flat(rule.Targets[0].Arn)).toMatch(/:workflow\/<OrchestrationWorkflow[0-9A-F]+>$/);
    const roleId = rule.Targets[0].RoleArn['Fn::GetAtt'][0];
    const statements = statementsOfRole(built, roleId);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('glue:notifyEvent');
    expect(asArray(statements[0].Resource).map(flat)).toEqual([flat(rule.Targets[0].Arn)]);
  });

  test('the backstop is an EventBridge schedule on transform.backstopSchedule (default daily) to the same workflow, through the same role', () => {
    // A Glue workflow has one start trigger (the EVENT trigger), so the backstop is one more event to it.
    const startTriggers = Object.values(resourcesOfType(built.template, 'AWS::Glue::Trigger')).filter((t) => t.Properties.Type !== 'CONDITIONAL');
    expect(startTriggers.map((t) => t.Properties.Type)).toEqual(['EVENT']);
    const rules = Object.values(resourcesOfType(built.template, 'AWS::Events::Rule'));
    const eventRule = rules.find((r) => JSON.stringify(r.Properties.Targets ?? []).includes(':workflow/') && r.Properties.EventPattern);
    const scheduled = rules.filter((r) => r.Properties.ScheduleExpression);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0].Properties.ScheduleExpression).toBe('cron(0 3 * * ? *)');
    expect(scheduled[0].Properties.Targets).toEqual(eventRule!.Properties.Targets);
    const custom = synthPipeline({ 'cfg.transform.backstopSchedule': 'cron(30 */6 * * ? *)' });
    custom.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 */6 * * ? *)' });
  });

  test('nothing else polls the batch path: the backstop is the only EventBridge schedule and no trigger is scheduled (the crawler has its own, catalog.crawlerSchedule)', () => {
    const schedules = Object.values(resourcesOfType(built.template, 'AWS::Glue::Trigger')).filter((t) => t.Properties.Schedule);
    expect(schedules).toEqual([]);
    const scheduledRules = Object.values(resourcesOfType(built.template, 'AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression);
    expect(scheduledRules.map((r) => r.Properties.Description)).toEqual([expect.stringMatching(/^Backstop/)]);
  });
});
