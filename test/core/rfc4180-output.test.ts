// The valid-rows output is strict RFC 4180 (quoted with ", formulas neutralised) whatever the input's delimiter and quote; a strict csv-parse is the oracle.
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { runCore } from './run-core';
import { startsFormula } from '../../lambda/core/csv-text';

const DELIMITERS = [',', ';', '\t', '|'];
const QUOTES = ['"', "'"];
const LINE_ENDS = { LF: '\n', CRLF: '\r\n' } as const;

/** One RFC 4180 field (LF line ends): unquoted without , " CR LF, or quoted with "" for ". */
const FIELD = /(?:"(?:[^"]|"")*"|[^",\r\n]*)/y;

/** True when `text` is records of RFC 4180 fields, each ended by LF (the grammar alone; csv-parse gives the cells). */
function isStrictRfc4180(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    for (;;) {
      FIELD.lastIndex = i;
      if (!FIELD.exec(text)) return false;
      i = FIELD.lastIndex;
      if (text[i] !== ',') break;
      i++;
    }
    if (text[i] !== '\n') return false;
    i++;
  }
  return true;
}

/** A strict RFC 4180 reader: no relaxed quotes, every record the same width, LF records, nothing trimmed. */
function strictParse(text: string): string[][] {
  return parse(text, {
    delimiter: ',',
    quote: '"',
    escape: '"',
    record_delimiter: '\n',
    relax_quotes: false,
    relax_column_count: false,
    skip_empty_lines: false,
    bom: false,
    trim: false,
  });
}

/** What the core promises for a string cell: trimmed, and with a leading ' when a spreadsheet would run it. */
const expectedCell = (v: string) => {
  const t = v.trim();
  return t && startsFormula(t) ? `'${t}` : t;
};

/** Hostile cells: both quote characters, every delimiter, formula starters, line breaks, spaces, non-ASCII. */
const cell = fc
  .array(fc.constantFrom('a', 'Z', '1', ' ', 'é', '"', "'", '=', '+', '-', '@', '\t', ',', ';', '|', '\n', '\r', '\r\n', 'HYPERLINK("x")'), { maxLength: 6 })
  .map((parts) => parts.join(''));

const table = fc
  .record({
    delimiter: fc.constantFrom(...DELIMITERS),
    quote: fc.constantFrom(...QUOTES),
    lineEnding: fc.constantFrom<keyof typeof LINE_ENDS>('LF', 'CRLF'),
    quoteAll: fc.boolean(),
    columns: fc.integer({ min: 1, max: 4 }),
  })
  .chain((d) =>
    fc.record({ dialect: fc.constant(d), rows: fc.array(fc.array(cell, { minLength: d.columns, maxLength: d.columns }), { minLength: 1, maxLength: 15 }) }),
  );

type TableDialect = { delimiter: string; quote: string; lineEnding: keyof typeof LINE_ENDS; quoteAll: boolean };

/** The table as a file in the dialect: the first column an integer id, fields quoted with the dialect's quote only where needed (or always). */
function writeCsv(header: string[], rows: string[][], d: TableDialect): string {
  const q = d.quote;
  const needs = (v: string) => d.quoteAll || v.includes(q) || v.includes(d.delimiter) || /[\r\n]/.test(v);
  const field = (v: string) => (needs(v) ? q + v.split(q).join(q + q) + q : v);
  const lines = [header.join(d.delimiter), ...rows.map((r, i) => [String(i + 1), ...r.map(field)].join(d.delimiter))];
  return lines.join(LINE_ENDS[d.lineEnding]) + LINE_ENDS[d.lineEnding];
}

function configFor(columns: number): object {
  const strings = Array.from({ length: columns }, (_v, i) => ({ name: `c${i + 1}`, type: 'string' }));
  return { datasets: [{ name: 'props', key: ['id'], columns: [{ name: 'id', type: 'integer', required: true }, ...strings] }] };
}

describe('valid rows are strict RFC 4180 with formulas neutralised, whatever the input dialect', () => {
  test('a strict RFC 4180 reader reads exactly the valid cells, for any delimiter and quote', async () => {
    let detected = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 64 }), async ({ dialect, rows }, chunkSize) => {
        runs++;
        const header = ['id', ...rows[0].map((_v, i) => `c${i + 1}`)];
        const { report, valid } = await runCore(Buffer.from(writeCsv(header, rows, dialect)), {
          config: configFor(rows[0].length),
          dataset: 'props',
          chunkSize,
        });
        expect(report.rowsIn).toBe(report.rowsValid + report.rowsRejected);
        if (report.outcome !== 'processed') return;
        // Whatever was detected: the output is RFC 4180, every row as wide as the header, one row per valid row, no formula.
        expect(isStrictRfc4180(valid)).toBe(true);
        const cells = strictParse(valid);
        expect(cells.length).toBe(report.rowsValid + 1);
        for (const row of cells.slice(1)) for (const v of row.slice(1)) expect(startsFormula(v)).toBe(false);
        // The file read in the dialect it was written in: the cells are exactly the table's, cleaned.
        if (report.read?.delimiter === dialect.delimiter && report.read.quote === dialect.quote) {
          detected++;
          expect(cells).toEqual([header, ...rows.map((r, i) => [String(i + 1), ...r.map(expectedCell)])]);
          expect(report.rowsRejected).toBe(0);
        }
      }),
      { numRuns: 600 },
    );
    // The oracle comparison must have run for most tables, or this test says little.
    expect(detected).toBeGreaterThan(runs * 0.8);
  });

  test('a file quoted with \' is written quoted with ": a value holding " is quoted and doubled, a formula behind " cannot run', async () => {
    const csv = `id,name,note\n1,'O''Brien, Pat',"=HYPERLINK(""http://x"")"\n2,'b','=1+2'\n3,c,"x"\n`;
    const config = {
      datasets: [
        {
          name: 'q',
          columns: [
            { name: 'id', type: 'integer' },
            { name: 'name', type: 'string' },
            { name: 'note', type: 'string' },
          ],
        },
      ],
    };
    for (const chunkSize of [7, 65536]) {
      const { report, valid } = await runCore(Buffer.from(csv), { config, dataset: 'q', chunkSize });
      expect(report.read).toMatchObject({ delimiter: ',', quote: "'" });
      expect(valid).toBe(`id,name,note\n1,"O'Brien, Pat","""=HYPERLINK(""""http://x"""")"""\n2,b,'=1+2\n3,c,"""x"""\n`);
      expect(strictParse(valid)).toEqual([
        ['id', 'name', 'note'],
        ['1', "O'Brien, Pat", '"=HYPERLINK(""http://x"")"'],
        ['2', 'b', "'=1+2"],
        ['3', 'c', '"x"'],
      ]);
    }
  });

  test('the grammar check itself rejects what RFC 4180 forbids', () => {
    expect(isStrictRfc4180('a,"b ""c""",\n"x\ny",z,\n')).toBe(true);
    for (const bad of ['a,b"c\n', '"a"b\n', 'a\rb\n', '"a\n', 'a,b']) expect(isStrictRfc4180(bad)).toBe(false);
  });
});
