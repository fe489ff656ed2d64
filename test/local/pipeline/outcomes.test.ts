// The other outcomes of a local run: a file that cannot be read is quarantined whole, and a file of no dataset is read in inferred mode
// (--engine spark: spark-engine.spark.test.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline } from '../../../local/pipeline';

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

describe('local run outcomes', () => {
  let workdir: string;
  beforeEach(() => (workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-out-'))));
  afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('quarantines a file that is not text, with a .reason.json and a report, and keeps the raw file', async () => {
    const input = path.join(workdir, 'signups-broken.csv');
    fs.writeFileSync(input, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 1, 2, 3, 0, 0, 0]));
    const result = await runLocalPipeline({ config, workdir: path.join(workdir, 'wd'), files: [input], skipDashboard: true });
    const [file] = result.files;
    expect(file.status).toBe('quarantined');
    expect(file.rawKey).toBe('raw/signups/signups-broken.csv');
    const store = path.join(workdir, 'wd');
    const quarantined = fs.readdirSync(path.join(store, 'quarantine', 'signups', 'files')).sort();
    expect(quarantined).toHaveLength(2);
    expect(quarantined[1]).toBe(`${quarantined[0]}.reason.json`);
    expect(fs.readFileSync(path.join(store, 'quarantine', 'signups', 'files', quarantined[0]))).toEqual(fs.readFileSync(input));
    const reason = JSON.parse(fs.readFileSync(path.join(store, 'quarantine', 'signups', 'files', quarantined[1]), 'utf8'));
    expect(reason).toMatchObject({ source: 'raw/signups/signups-broken.csv', code: file.report!.fileError!.code });
    expect(fs.existsSync(path.join(store, file.reportKey))).toBe(true);
    // What the sinks received is discarded: nothing under processed/ or the rejected rows.
    const listed = (dir: string) => (fs.existsSync(path.join(store, dir)) ? fs.readdirSync(path.join(store, dir)) : []);
    expect(listed('processed/signups')).toEqual([]);
    expect(listed('quarantine/signups/rows')).toEqual([]);
    expect(fs.readdirSync(path.join(store, '.tmp'))).toEqual([]);
    expect(fs.existsSync(path.join(store, 'raw', 'signups', 'signups-broken.csv'))).toBe(true);
  });

  it('reads a file of no configured dataset in inferred mode, under raw/_unrouted/ and inferred/', async () => {
    const input = path.join(workdir, 'customers.csv');
    fs.writeFileSync(input, 'customer,city,visits\nAcme,Berlin,3\nGlobex,Paris,5\n');
    const result = await runLocalPipeline({ config, workdir: path.join(workdir, 'wd'), files: [input], skipDashboard: true });
    expect(result.files.map((f) => [f.rawKey, f.dataset, f.status])).toEqual([['raw/_unrouted/customers.csv', null, 'processed']]);
    const inferred = fs.readdirSync(path.join(workdir, 'wd', 'inferred')).filter((f) => f.endsWith('.csv'));
    expect(inferred).toHaveLength(1);
    expect(fs.readFileSync(path.join(workdir, 'wd', 'inferred', inferred[0]), 'utf8').split('\n')[0]).toContain('customer');
    expect(result.transforms).toEqual([]);
  });
});
