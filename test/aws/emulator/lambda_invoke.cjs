// Invokes a Lambda handler from an extracted code asset as the Node.js runtime does: argv = code dir, Handler
// ("file.export"), event file, result file. Logs go to stdout/stderr as in CloudWatch.
const path = require('node:path');
const fs = require('node:fs');

async function main() {
  const [codeDir, handlerSpec, eventFile, resultFile] = process.argv.slice(2);
  const dot = handlerSpec.lastIndexOf('.');
  const module = require(path.join(codeDir, handlerSpec.slice(0, dot)));
  const handler = module[handlerSpec.slice(dot + 1)];
  if (typeof handler !== 'function') throw new Error(`Handler ${handlerSpec} is not a function in ${codeDir}`);
  const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: process.env.EMULATED_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: `emulated-${Date.now()}`,
    getRemainingTimeInMillis: () => 900000,
  };
  const result = await handler(event, context);
  fs.writeFileSync(resultFile, JSON.stringify(result ?? null));
}

main().catch((err) => {
  console.error(err?.stack ? err.stack : String(err));
  process.exit(1);
});
