// Output keys: flat, safe, stable under duplicate delivery, distinct for distinct objects, in the layout's folders.
import * as path from 'node:path';
import fc from 'fast-check';
import { outputKeysFor } from '../../lambda/core/keys';
import { loadPipelineConfig } from '../../config/load';

const config = loadPipelineConfig(path.join(__dirname, '..', '..', 'pipeline.config.json'));

describe('outputKeysFor', () => {
  it('puts a dataset file under its dataset folders with one shared name', () => {
    const keys = outputKeysFor(config, 'raw/signups/signups-2024-11-01.csv', '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY');
    expect(keys.dataset).toBe('signups');
    const name = keys.processedKey.slice('processed/signups/'.length, -'.csv'.length);
    expect(name).toMatch(/^signups-2024-11-01-[0-9a-f]{12}$/);
    expect(keys).toEqual({
      dataset: 'signups',
      processedKey: `processed/signups/${name}.csv`,
      rejectsKey: `quarantine/signups/rows/${name}.jsonl`,
      reportKey: `reports/signups/${name}.json`,
      quarantinedFileKey: `quarantine/signups/files/${name}.csv`,
      quarantineReasonKey: `quarantine/signups/files/${name}.csv.reason.json`,
    });
  });

  it('uses the inferred folders for a key under no dataset prefix', () => {
    const keys = outputKeysFor(config, 'raw/misc/export.csv', 'etag1');
    expect(keys.dataset).toBeNull();
    expect(keys.processedKey).toMatch(/^inferred\/misc__export-[0-9a-f]{12}\.csv$/);
    expect(keys.rejectsKey).toMatch(/^inferred\/rejects\/misc__export-[0-9a-f]{12}\.jsonl$/);
    expect(keys.reportKey).toMatch(/^reports\/_inferred\/misc__export-[0-9a-f]{12}\.json$/);
    expect(keys.quarantinedFileKey).toMatch(/^quarantine\/_inferred\/files\/misc__export-[0-9a-f]{12}\.csv$/);
    expect(outputKeysFor(config, 'uploads/x.csv', 'e').processedKey).toMatch(/^inferred\/uploads__x-/);
  });

  it('flattens sub-folders and cleans spaces, parentheses and accents', () => {
    expect(outputKeysFor(config, 'raw/signups/Nov export (2).csv', 'e').processedKey).toMatch(/^processed\/signups\/Nov-export-2-[0-9a-f]{12}\.csv$/);
    expect(outputKeysFor(config, 'raw/signups/inscriptions-été.csv', 'e').processedKey).toMatch(/^processed\/signups\/inscriptions-ete-[0-9a-f]{12}\.csv$/);
    expect(outputKeysFor(config, 'raw/orders/2024/11/b.CSV', 'e').processedKey).toMatch(/^processed\/orders\/2024__11__b-[0-9a-f]{12}\.csv$/);
    expect(outputKeysFor(config, 'raw/orders/_hidden.csv', 'e').processedKey).toMatch(/^processed\/orders\/hidden-/);
    expect(outputKeysFor(config, 'raw/orders/(((.csv', 'e').processedKey).toMatch(/^processed\/orders\/file-/);
  });

  it('keeps the raw extension on the quarantined file only', () => {
    const keys = outputKeysFor(config, 'raw/signups/photo.PNG', 'e');
    expect(keys.quarantinedFileKey).toMatch(/\/photo-[0-9a-f]{12}\.png$/);
    expect(keys.processedKey).toMatch(/\/photo-[0-9a-f]{12}\.csv$/);
    expect(outputKeysFor(config, 'raw/signups/noext', 'e').quarantinedFileKey).toMatch(/\/noext-[0-9a-f]{12}\.csv$/);
  });

  it('maps the same key and version to the same keys, and another version or a look-alike key elsewhere', () => {
    const a = outputKeysFor(config, 'raw/signups/a b.csv', 'v1');
    expect(outputKeysFor(config, 'raw/signups/a b.csv', 'v1')).toEqual(a);
    expect(outputKeysFor(config, 'raw/signups/a b.csv', 'v2').processedKey).not.toBe(a.processedKey);
    expect(outputKeysFor(config, 'raw/signups/a-b.csv', 'v1').processedKey).not.toBe(a.processedKey);
  });

  it('rejects an empty key or version tag with a message saying what to pass', () => {
    expect(() => outputKeysFor(config, '', 'v')).toThrow(/raw key is empty/);
    expect(() => outputKeysFor(config, 'raw/signups/a.csv', '')).toThrow(/version tag of "raw\/signups\/a.csv" is empty/);
  });

  it('always gives flat, safe, bounded names for any key (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), fc.string({ minLength: 1, maxLength: 40 }), (rawKey, tag) => {
        const keys = outputKeysFor(config, rawKey, tag);
        for (const key of [keys.processedKey, keys.rejectsKey, keys.reportKey, keys.quarantinedFileKey]) {
          const name = key.split('/').pop()!;
          expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
          expect(name.length).toBeLessThanOrEqual(150);
        }
        expect(keys.quarantineReasonKey).toBe(`${keys.quarantinedFileKey}.reason.json`);
      }),
    );
  });
});
