// Builds the real pipeline app the way `cdk synth` does (cdk.json context, cdk-nag), for the infra tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipelineApp, type PipelineApp } from '../../lib/pipeline-app';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const QUICKSIGHT_PRINCIPAL = 'arn:aws:quicksight:us-east-1:123456789012:user/default/alice';
export const QUICKSIGHT_ON = { 'quicksight.enabled': 'true', 'quicksight.principalArn': QUICKSIGHT_PRINCIPAL };

/** The context cdk.json gives every `cdk synth` (feature flags, default config path). */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

export interface BuiltPipeline extends PipelineApp {
  readonly app: App;
  readonly template: Template;
  readonly outdir: string;
}

/** Synthesizes the pipeline with cdk.json's context plus `context` (strings, as `-c key=value` gives them). */
export function synthPipeline(context: Record<string, unknown> = {}): BuiltPipeline {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-pipeline-synth-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), ...context } });
  const built = buildPipelineApp(app);
  // Synthesizing the app runs cdk-nag; in jest (NODE_ENV=test) an unacknowledged finding throws here.
  app.synth();
  return { ...built, app, outdir, template: Template.fromStack(built.stack) };
}

/** A stack's resources of one type, keyed by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, { Properties: Record<string, any>; [k: string]: any }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, any> }>;
}

/** Logical id of a construct's CloudFormation resource in its stack. */
export function logicalId(built: BuiltPipeline, construct: { node: { defaultChild?: unknown } } | any): string {
  const child = construct.node?.defaultChild ?? construct;
  return built.stack.getLogicalId(child);
}

/** Every IAM policy statement attached to a role (inline policies of AWS::IAM::Policy resources), resolved. */
export function statementsOfRole(built: BuiltPipeline, roleLogicalId: string): Array<Record<string, any>> {
  const policies = resourcesOfType(built.template, 'AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as any[]).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Flattens a CloudFormation value (Fn::Join, Ref, GetAtt) to a readable string: `<Logical.Arn>/prefix/*`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flat).join(v['Fn::Join'][0]);
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
    if (v['Fn::Sub']) return String(v['Fn::Sub']);
  }
  return JSON.stringify(value);
}
