// Re-uploads on the DuckDB engine follow the Glue job's rules (pipeline_batch.py newest_per_source, merge_into):
// source_file is the raw key from the file's preprocessing report, only the newest processed file of a raw object
// is read, and the raw object's earlier rows are replaced (rows it no longer holds included).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { describeInputFiles, newestPerSource } from '../../../local/engine/files';
import { configWith, readFinal, tempDir } from './helpers';

const AT = new Date('2025-01-02T03:04:05.000Z');

const ITEMS = {
  name: 'items',
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'label', type: 'string' },
  ],
};

/** A workdir as the preprocessing leaves it: processed/<ds>/<name>.csv with reports/<ds>/<name>.json naming the raw key. */
class Workdir {
  readonly root = tempDir('reupload-');
  private mtime = 1_730_000_000;

  constructor(private readonly dataset: Record<string, unknown>) {}

  get processed(): string {
    return path.join(this.root, 'processed', String(this.dataset.name));
  }

  get final(): string {
    return path.join(this.root, 'final_output', String(this.dataset.name));
  }

  /** Writes one processed file (newer than every earlier one) and, unless `report` is false, its report. */
  write(name: string, content: string, rawKey: string | false): void {
    fs.mkdirSync(this.processed, { recursive: true });
    const file = path.join(this.processed, name);
    fs.writeFileSync(file, content);
    this.mtime += 60;
    fs.utimesSync(file, this.mtime, this.mtime);
    const reports = path.join(this.root, 'reports', String(this.dataset.name));
    fs.mkdirSync(reports, { recursive: true });
    if (rawKey !== false) fs.writeFileSync(path.join(reports, name.replace(/\.csv$/, '.json')), JSON.stringify({ source: rawKey, outcome: 'processed' }));
  }

  async run() {
    const config = configWith([this.dataset]);
    return transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: this.processed, outputDir: this.final, ingestedAt: AT });
  }

  async rows(): Promise<Record<string, unknown>[]> {
    return (await readFinal(this.final, 'id, label')).map(({ ingested_at: _i, ...r }) => r);
  }
}

const A = 'raw/items/a.csv';
const B = 'raw/items/sub dir/b.csv';

describe.each([
  ['keyed', { ...ITEMS, key: ['id'] }],
  ['keyless', { ...ITEMS, key: [] }],
])('%s dataset: a re-upload replaces its raw object rows', (_kind, dataset) => {
  test('without a row: the row is gone; other raw objects keep theirs; source_file is the raw key', async () => {
    const w = new Workdir(dataset);
    w.write('a-111.csv', 'id,label\n1,one\n2,two\n3,three\n', A);
    w.write('b-222.csv', 'id,label\n7,seven\n', B);
    await w.run();
    expect(await w.rows()).toEqual([
      { id: 1, label: 'one', source_file: A },
      { id: 2, label: 'two', source_file: A },
      { id: 3, label: 'three', source_file: A },
      { id: 7, label: 'seven', source_file: B },
    ]);
    w.write('a-333.csv', 'id,label\n1,one\n2,TWO\n', A); // a.csv uploaded again: row 3 removed, row 2 changed
    const result = await w.run();
    expect(result).toMatchObject({ files: 3, rowsIn: 3, rowsOut: 3 }); // a-111 is listed but not read: a-333 is newer
    expect(await w.rows()).toEqual([
      { id: 1, label: 'one', source_file: A },
      { id: 2, label: 'TWO', source_file: A },
      { id: 7, label: 'seven', source_file: B },
    ]);
  });

  test('with a row added: the row is added, no earlier row is duplicated', async () => {
    const w = new Workdir(dataset);
    w.write('a-111.csv', 'id,label\n1,one\n2,two\n', A);
    await w.run();
    w.write('a-222.csv', 'id,label\n1,one\n2,two\n4,four\n', A);
    await w.run();
    expect(await w.rows()).toEqual([
      { id: 1, label: 'one', source_file: A },
      { id: 2, label: 'two', source_file: A },
      { id: 4, label: 'four', source_file: A },
    ]);
  });

  test('an empty re-upload (header only) takes all of the raw object rows out', async () => {
    const w = new Workdir(dataset);
    w.write('a-111.csv', 'id,label\n1,one\n', A);
    w.write('b-222.csv', 'id,label\n7,seven\n', B);
    await w.run();
    w.write('a-333.csv', 'id,label\n', A);
    await w.run();
    expect(await w.rows()).toEqual([{ id: 7, label: 'seven', source_file: B }]);
  });
});

describe('which processed files are read', () => {
  test('a processed file without a report is left for a later run (its preprocessing has not finished it)', async () => {
    const w = new Workdir({ ...ITEMS, key: ['id'] });
    w.write('a-111.csv', 'id,label\n1,one\n', A);
    w.write('a-222.csv', 'id,label\n1,newer\n', false);
    const result = await w.run();
    expect(result.files).toBe(1);
    expect(await w.rows()).toEqual([{ id: 1, label: 'one', source_file: A }]);
  });

  test('the newest file of a raw object is the newest by modification time, then by name (not by name alone)', async () => {
    const w = new Workdir({ ...ITEMS, key: [] });
    w.write('a-zzz.csv', 'id,label\n1,older\n', A);
    w.write('a-aaa.csv', 'id,label\n2,newer\n', A);
    const same = path.join(w.processed, 'a-zzz.csv');
    const described = describeInputFiles(w.processed, path.join(w.root, 'reports', 'items'));
    expect(newestPerSource(described).map((f) => f.baseName)).toEqual(['a-aaa.csv']);
    fs.utimesSync(same, 1_730_000_120, 1_730_000_120); // same time as a-aaa.csv: the greater name wins
    expect(newestPerSource(describeInputFiles(w.processed, path.join(w.root, 'reports', 'items'))).map((f) => f.baseName)).toEqual(['a-zzz.csv']);
  });

  test('without a reports folder (a bare folder of processed files) source_file is the file name', async () => {
    const dir = tempDir('reupload-bare-');
    fs.writeFileSync(path.join(dir, 'x.csv'), 'id,label\n1,one\n');
    expect(describeInputFiles(dir, null).map((f) => f.sourceFile)).toEqual(['x.csv']);
  });

  test('a report without a source fails, naming the report and what to do', async () => {
    const w = new Workdir({ ...ITEMS, key: [] });
    w.write('a-111.csv', 'id,label\n1,one\n', A);
    fs.writeFileSync(path.join(w.root, 'reports', 'items', 'a-111.json'), '{"outcome":"processed"}');
    await expect(w.run()).rejects.toThrow(/a-111\.json: the report has no "source" \(the raw key\); got null\. Re-run its preprocessing/);
  });
});
