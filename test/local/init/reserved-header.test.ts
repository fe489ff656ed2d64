// init on a sample whose header the core would name like a reserved column (config/column-names.ts): the entry
// declares it under another name with the header as an alias, and the core then takes the file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inferDataset } from '../../../local/init/infer-dataset';
import { preprocessWith } from './core-check';

test('a "source_file" header becomes column source_file_in_file with the header as alias; the sample then preprocesses', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-init-reserved-'));
  try {
    const file = path.join(dir, 'uploads.csv');
    fs.writeFileSync(file, 'id,Source File,ingested_at\n1,a.csv,2024-11-01 10:00:00\n2,b.csv,2024-11-02 11:00:00\n');
    const r = await inferDataset(fs.readFileSync(file), { name: 'uploads', source: file });
    expect(r.entry.columns.map((c) => [c.name, c.aliases ?? []])).toEqual([
      ['id', []],
      ['source_file_in_file', ['Source File']],
      ['ingested_at_in_file', ['ingested_at']],
    ]);
    const { report, rejects } = await preprocessWith(file, r.entry);
    expect(report.outcome).toBe('processed');
    expect(rejects).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
