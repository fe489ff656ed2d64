// Which raw key a local file is copied to, and the local store's key-to-path rules.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { rawKeyForFile } from '../../../local/pipeline';
import { contentTag, LocalObjectStore } from '../../../local/store';

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

describe('rawKeyForFile', () => {
  it.each([
    ['sample-data/signups.csv', 'raw/signups/signups.csv'],
    ['/tmp/x/signups-2024.csv', 'raw/signups/signups-2024.csv'],
    ['Orders_November.CSV', 'raw/orders/Orders_November.CSV'],
    ['orders.csv', 'raw/orders/orders.csv'],
    ['customers.csv', 'raw/_unrouted/customers.csv'],
    ['signupsx.csv', 'raw/_unrouted/signupsx.csv'],
  ])('%s -> %s', (file, key) => {
    expect(rawKeyForFile(config, file)).toBe(key);
  });

  it('uses --dataset over the file name, and names the configured datasets when it is wrong', () => {
    expect(rawKeyForFile(config, 'customers.csv', 'orders')).toBe('raw/orders/customers.csv');
    expect(() => rawKeyForFile(config, 'x.csv', 'users')).toThrow('--dataset "users" is not configured; configured datasets: signups, orders');
  });
});

describe('LocalObjectStore', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-store-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('maps keys to files under the workdir and lists them without temp files', () => {
    const store = new LocalObjectStore(root);
    store.init();
    store.put('processed/signups/a.csv', 'x\n');
    fs.writeFileSync(store.tempPath('processed/signups/b.csv'), 'partial');
    expect(store.pathOf('processed/signups/a.csv')).toBe(path.join(root, 'processed', 'signups', 'a.csv'));
    expect(store.list('processed/')).toEqual(['processed/signups/a.csv']);
    expect(() => store.pathOf('../etc/passwd')).toThrow('leaves the local store');
  });

  it('tags content, not names: the same bytes give the same tag', async () => {
    fs.writeFileSync(path.join(root, 'a'), 'same');
    fs.writeFileSync(path.join(root, 'b'), 'same');
    fs.writeFileSync(path.join(root, 'c'), 'other');
    expect(await contentTag(path.join(root, 'a'))).toBe(await contentTag(path.join(root, 'b')));
    expect(await contentTag(path.join(root, 'a'))).not.toBe(await contentTag(path.join(root, 'c')));
  });
});

describe('staging files into raw/', () => {
  it('refuses two files that would land on the same raw key, before copying anything', async () => {
    const { runLocalPipeline } = await import('../../../local/pipeline');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-dup-'));
    try {
      fs.mkdirSync(path.join(dir, 'a'));
      fs.mkdirSync(path.join(dir, 'b'));
      fs.writeFileSync(path.join(dir, 'a', 'signups.csv'), 'id\n');
      fs.writeFileSync(path.join(dir, 'b', 'signups.csv'), 'id\n');
      await expect(
        runLocalPipeline({ config, workdir: path.join(dir, 'wd'), files: [path.join(dir, 'a', 'signups.csv'), path.join(dir, 'b', 'signups.csv')] }),
      ).rejects.toThrow(
        `stage-in failed for ${path.join(dir, 'b', 'signups.csv')}: ${path.join(dir, 'a', 'signups.csv')} also goes to raw/signups/signups.csv`,
      );
      expect(fs.existsSync(path.join(dir, 'wd', 'raw', 'signups', 'signups.csv'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
