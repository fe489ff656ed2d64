// The Spark engine runner: how it calls glue-scripts/local_job.py and how it explains failures.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explainFailure, repositoryRoot, transformWithSpark } from '../../../local/spark-transform';
import { configWith, SIGNUPS, tempDir, writeProcessed } from './helpers';

jest.setTimeout(180_000);

describe('transformWithSpark', () => {
  test('a missing python3 says how to install Python and pyspark', async () => {
    const config = configWith([SIGNUPS]);
    const dir = tempDir('spark-');
    await expect(
      transformWithSpark(
        { config, dataset: config.datasets[0], inputDir: dir, outputDir: path.join(dir, 'out') },
        { python: '/nonexistent/bin/python3', onLog: () => undefined },
      ),
    ).rejects.toThrow(/python3 was not found: install Python 3\.11\+.*pip install -r requirements-dev\.txt/);
  });

  test('a dataset the config loader refuses is refused before Spark starts (one place checks a spec), nothing written', async () => {
    const config = configWith([SIGNUPS]);
    const dataset = structuredClone(config.datasets[0]);
    // Changed after loading: derive may not reuse a column; the plan builder runs the loader's checks.
    dataset.transforms.derive = [{ name: 'email', expr: 'upper(full_name)', type: 'string' }];
    const dir = tempDir('spark-');
    writeProcessed(path.join(dir, 'signups'), { 'a.csv': 'id,name,email,signup_date,status\n1,J,j@x.com,2024-11-01,active\n' });
    const logs: string[] = [];
    await expect(
      transformWithSpark({ config, dataset, inputDir: path.join(dir, 'signups'), outputDir: path.join(dir, 'out') }, { onLog: (l) => logs.push(l) }),
    ).rejects.toThrow(/transforms\.derive\[0\]\.name: "email" is already a column/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
    expect(logs).toEqual([]);
  });

  test('an expression over an unknown column fails before Spark starts, with the column list and nothing written', async () => {
    const config = configWith([SIGNUPS]);
    const dataset = structuredClone(config.datasets[0]);
    dataset.transforms.derive = [{ name: 'signup_month', expr: 'substr(cast(no_such_column as string), 1, 7)', type: 'string' }];
    const dir = tempDir('spark-');
    const logs: string[] = [];
    await expect(
      transformWithSpark({ config, dataset, inputDir: path.join(dir, 'signups'), outputDir: path.join(dir, 'out') }, { onLog: (l) => logs.push(l) }),
    ).rejects.toThrow(/derive\[0\]\.expr: unknown column "no_such_column"; it may use these columns: user_id, full_name/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
    expect(logs).toEqual([]);
  });
});

describe('explainFailure', () => {
  test('maps a missing pyspark or Java to how to install them, and other failures to the log tail', () => {
    expect(explainFailure(1, "Traceback...\nModuleNotFoundError: No module named 'pyspark'\n", 'signups')).toMatch(/pip install -r requirements-dev\.txt/);
    expect(explainFailure(3, 'error: Java was not found (Spark needs it). Install a JDK 17\n', 'signups')).toBe(
      'Java was not found (Spark needs it). Install a JDK 17',
    );
    expect(explainFailure(1, 'JAVA_HOME is not set\n', 'signups')).toMatch(/install a JDK 17/);
    expect(explainFailure(2, 'INFO reading\nerror: transforms.select[0] "x" is not a column\n', 'orders')).toBe(
      'transform (spark) of dataset "orders": transforms.select[0] "x" is not a column',
    );
    expect(explainFailure(1, 'line 1\nboom\n', 'orders')).toMatch(/local_job\.py failed \(exit 1\); its last output:\nline 1\nboom/);
  });

  test('finds the repository root holding the script', () => {
    expect(fs.existsSync(path.join(repositoryRoot(), 'glue-scripts', 'local_job.py'))).toBe(true);
  });
});
