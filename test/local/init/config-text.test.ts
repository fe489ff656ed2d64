// Adding a generated entry to a config file's text (local/init/config-text.ts): every other byte kept, the result the old config plus the entry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePipelineConfig } from '../../../config/parse';
import { appendDataset, findDatasetsArray, formatJson } from '../../../local/init/config-text';

const SHIPPED = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'pipeline.config.json'), 'utf8');
const ENTRY = {
  name: 'events',
  key: ['id'],
  columns: [
    { name: 'id', type: 'integer', required: true },
    { name: 'kind', type: 'enum', required: true, values: ['a', 'b "quoted"', 'c]'] },
  ],
  dashboard: { title: 'Events', kpis: [{ id: 'events_rows', title: 'Rows', aggregate: 'count', compareToPreviousPeriod: false }] },
};

describe('appendDataset', () => {
  it('adds the entry after the shipped config datasets, keeping the text before and after byte for byte', () => {
    const out = appendDataset(SHIPPED, ENTRY, 'pipeline.config.json');
    const close = findDatasetsArray(SHIPPED)!.close;
    const lastItemEnd = SHIPPED.slice(0, close).trimEnd().length;
    expect(out.startsWith(SHIPPED.slice(0, lastItemEnd))).toBe(true);
    expect(out.endsWith(SHIPPED.slice(close))).toBe(true);
    const parsed = JSON.parse(out);
    expect(parsed.datasets.map((d: { name: string }) => d.name)).toEqual(['signups', 'orders', 'events']);
    expect(parsed.datasets[2]).toEqual(ENTRY);
    expect({ ...parsed, datasets: parsed.datasets.slice(0, 2) }).toEqual(JSON.parse(SHIPPED));
    expect(parsePipelineConfig(parsed).datasets).toHaveLength(3);
    // Indented like the datasets already there, small objects on one line.
    expect(out).toContain('\n    {\n      "name": "events",');
    expect(out).toContain('\n        { "name": "id", "type": "integer", "required": true },');
  });

  it('keeps CRLF line ends and a 4-space indent', () => {
    const text = '{\r\n    "datasets": [\r\n        { "name": "a", "columns": [{ "name": "x", "type": "string" }] }\r\n    ],\r\n    "ingest": {}\r\n}\r\n';
    const out = appendDataset(text, { name: 'b', columns: [{ name: 'y', type: 'string' }] }, 'c.json');
    expect(out).toBe(
      '{\r\n    "datasets": [\r\n        { "name": "a", "columns": [{ "name": "x", "type": "string" }] },\r\n' +
        '        {\r\n            "name": "b",\r\n            "columns": [\r\n                { "name": "y", "type": "string" }\r\n            ]\r\n        }\r\n' +
        '    ],\r\n    "ingest": {}\r\n}\r\n',
    );
  });

  it('fills an empty datasets array, and ignores "datasets" inside strings and nested objects', () => {
    const text = '{ "note": "\\"datasets\\": [", "other": { "datasets": [1] }, "datasets": [] }';
    const out = appendDataset(text, { name: 'b' }, 'c.json');
    expect(JSON.parse(out)).toEqual({ note: '"datasets": [', other: { datasets: [1] }, datasets: [{ name: 'b' }] });
    expect(out.startsWith('{ "note": "\\"datasets\\": [", "other": { "datasets": [1] }, "datasets": [')).toBe(true);
  });

  it('refuses a file that is not JSON or has no datasets array, saying how to go on', () => {
    expect(() => appendDataset('{ "datasets": [ ', ENTRY, 'bad.json')).toThrow(/bad\.json is not valid JSON .*print the entry without --write/);
    expect(() => appendDataset('{ "ingest": {} }', ENTRY, 'c.json')).toThrow(
      'c.json has no top-level "datasets" array to add the entry to; add "datasets": [] to it, or print the entry without --write',
    );
  });
});

describe('formatJson', () => {
  it('round-trips and puts small objects on one line', () => {
    const text = formatJson(ENTRY);
    expect(JSON.parse(text)).toEqual(ENTRY);
    expect(text).toContain('    { "name": "kind", "type": "enum", "required": true, "values": ["a", "b \\"quoted\\"", "c]"] }');
    expect(formatJson({ a: [], b: {} })).toBe('{ "a": [], "b": {} }');
  });
});
