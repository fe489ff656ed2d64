#!/usr/bin/env node
// CDK entry point: builds the pipeline app from context; a bad config fails synth with its message, not a stack trace.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../config/load';
import { buildPipelineApp } from '../lib/pipeline-app';

const app = new App();
try {
  buildPipelineApp(app);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
