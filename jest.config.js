// Jest runs the TypeScript tests in test/ through ts-jest, in three tiers that a file's place and name decide:
// - unit: everything else; no Java, no Chromium, no moto, no CDK synthesis (`npm run test:unit`, the quick loop);
// - infra: test/infra/, the synthesized CloudFormation (snapshots, cdk-nag, cfn-lint; bundles the Lambda with esbuild);
// - integration: *.moto.test.ts (moto server), *.spark.test.ts (pyspark on Java), *.browser.test.ts (Chromium).
// `npm test` runs all three (then pytest); slow suites set their own timeouts.
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
const globalSetup = '<rootDir>/test/support/global-setup.ts';
const INTEGRATION = ['\\.moto\\.test\\.ts$', '\\.spark\\.test\\.ts$', '\\.browser\\.test\\.ts$'];

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      globalSetup,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/infra/', ...INTEGRATION],
    },
    { ...common, displayName: 'infra', roots: ['<rootDir>/test/infra'], testMatch: ['**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      globalSetup,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.moto.test.ts', '**/*.spark.test.ts', '**/*.browser.test.ts'],
    },
  ],
};
