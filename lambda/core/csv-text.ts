// RFC 4180 field quoting and formula neutralisation for the valid-rows CSV, shared by the core's cleaners and writers.

/** True when a value must be quoted in CSV: it holds a comma, a double quote, CR or LF. */
export function needsCsvQuotes(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return true;
  }
  return false;
}

/** The value as an RFC 4180 field: quoted (with "" for ") only when it must be. */
export function quoteCsv(v: string): string {
  if (!needsCsvQuotes(v)) return v;
  return `"${v.indexOf('"') === -1 ? v : v.replace(/"/g, '""')}"`;
}

/** One CSV line (without the line end) from values. */
export function csvLine(values: readonly string[]): string {
  return values.map(quoteCsv).join(',');
}

/** True when a spreadsheet would run the value as a formula: it starts with = + - @ tab or CR. */
export function startsFormula(v: string): boolean {
  const c = v.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13;
}
