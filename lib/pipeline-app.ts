// Turns CDK context into a validated config and the pipeline stack, with cdk-nag's AwsSolutions checks on every synth.
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../config/load';
import type { PipelineConfig } from '../config/schema';
import { PipelineStack, type PipelineStackProps } from './pipeline-stack';

/** Stack name when context `stackName` is not set. */
export const DEFAULT_STACK_NAME = 'CsvPipeline';
/** Context keys passed to the config as overrides as they are; any `cfg.<dotted.key>` is passed as `<dotted.key>`. */
export const CONFIG_CONTEXT_KEYS = ['quicksight.enabled', 'quicksight.principalArn'] as const;
const CONFIG_CONTEXT_PREFIX = 'cfg.';

export interface PipelineAppSettings {
  readonly configPath: string;
  readonly overrides: Record<string, unknown>;
  readonly disposable: boolean;
  readonly stackName: string;
}

/** Reads the app's settings from context: `config`, `quicksight.*`, `cfg.*`, `disposable`, `stackName`. */
export function settingsFromContext(app: App): PipelineAppSettings {
  const context = (key: string): unknown => app.node.tryGetContext(key);
  const overrides: Record<string, unknown> = {};
  for (const key of CONFIG_CONTEXT_KEYS) if (context(key) !== undefined) overrides[key] = context(key);
  for (const [key, value] of Object.entries(allContext(app))) {
    if (key.startsWith(CONFIG_CONTEXT_PREFIX)) overrides[key.slice(CONFIG_CONTEXT_PREFIX.length)] = value;
  }
  const disposable = context('disposable');
  return {
    configPath: String(context('config') ?? DEFAULT_CONFIG_PATH),
    overrides,
    disposable: disposable === true || disposable === 'true',
    stackName: String(context('stackName') ?? DEFAULT_STACK_NAME),
  };
}

function allContext(app: App): Record<string, unknown> {
  return app.node.getAllContext() as Record<string, unknown>;
}

export interface PipelineApp {
  readonly config: PipelineConfig;
  readonly settings: PipelineAppSettings;
  readonly stack: PipelineStack;
}

/**
 * Builds the pipeline into `app`: loads and validates the config (a ConfigError says what is wrong),
 * creates the stack (account/region from CDK_DEFAULT_ACCOUNT/REGION when set, else environment-agnostic)
 * and registers cdk-nag.
 */
export function buildPipelineApp(app: App, options: Pick<PipelineStackProps, 'handlerEntry' | 'glueScripts'> = {}): PipelineApp {
  const settings = settingsFromContext(app);
  const config = loadPipelineConfig(settings.configPath, settings.overrides);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new PipelineStack(app, settings.stackName, {
    description: 'serverless-csv-pipeline: S3 -> Lambda -> Glue -> Athena (-> QuickSight), driven by one config file',
    env: account && region ? { account, region } : undefined,
    config,
    disposable: settings.disposable,
    ...options,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, settings, stack };
}
