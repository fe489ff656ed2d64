// Conformance of the reader with the csv-spectrum suite (npm csv-spectrum): every file read back as its expected JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectDialect } from '../../lambda/core/dialect';
import { readAll } from '../../lambda/core/reader';
import { runCore } from './run-core';

const SPECTRUM = path.dirname(require.resolve('csv-spectrum/package.json'));
const NAMES = fs.readdirSync(path.join(SPECTRUM, 'csvs')).map((f) => path.basename(f, '.csv'));

/** The expected records; csv-spectrum 2.0.0's location_coordinates.json is a bare object whose phone number differs from its CSV. */
function expectedRecords(name: string): Record<string, string>[] {
  const json: Record<string, string> | Record<string, string>[] = JSON.parse(fs.readFileSync(path.join(SPECTRUM, 'json', `${name}.json`), 'utf8'));
  const records = Array.isArray(json) ? json : [json];
  if (name === 'location_coordinates') {
    expect(records[0]['Contact Phone Number']).toBe('1234567890');
    return records.map((r) => ({ ...r, 'Contact Phone Number': '2095257564' }));
  }
  return records;
}

describe('csv-spectrum', () => {
  test('the suite is there', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(12);
  });

  test.each(NAMES)('%s: the reader returns the expected records', (name) => {
    const text = fs.readFileSync(path.join(SPECTRUM, 'csvs', `${name}.csv`), 'utf8');
    const expected = expectedRecords(name);
    const guess = detectDialect(text, true);
    expect(guess.dialect.delimiter).toBe(',');
    const [header, ...rows] = readAll(text, guess.dialect).map((r) => r.fields);
    expect(rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])))).toEqual(expected);
  });

  test.each(NAMES)('%s: the core reads every record as a row (inferred mode)', async (name) => {
    const expected = expectedRecords(name);
    const { report, validRows } = await runCore(fs.readFileSync(path.join(SPECTRUM, 'csvs', `${name}.csv`)));
    expect(report).toMatchObject({ outcome: 'processed', rowsIn: expected.length, rowsValid: expected.length, rowsRejected: 0 });
    expect(validRows).toHaveLength(expected.length + 1);
  });
});
