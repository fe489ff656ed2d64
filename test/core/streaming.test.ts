// The core as a stream: problems past the detection sample, record-size limit, slow sinks (backpressure) and sink errors.
import { PassThrough, Readable, Writable } from 'node:stream';
import { preprocess } from '../../lambda/core/preprocess';
import { MAX_RECORD_CHARS } from '../../lambda/core/reader';
import { CONFIG, runCore } from './run-core';
import { findDataset } from '../../config/load';

const HEADER = 'id,name,email,signup_date,status\n';
const row = (i: number) => `${i},Name ${i},user${i}@example.com,2024-11-01,active\n`;
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_v, k) => row(from + k)).join('');

test('a bad UTF-8 byte after the sample rejects only its row (ENCODING_ERROR)', async () => {
  const bytes = Buffer.concat([
    Buffer.from(HEADER + rows(1, 3000)),
    Buffer.from('3000,Bad \xff Byte,x@example.com,2024-11-01,active\n', 'latin1'),
    Buffer.from(rows(3001, 3010)),
  ]);
  const { report, rejectRows } = await runCore(bytes, { dataset: 'signups' });
  expect(report.read?.encoding).toBe('utf-8');
  expect(report.rejectedByReason).toEqual({ ENCODING_ERROR: 1 });
  expect(rejectRows.map((r) => r.line)).toEqual([3001]);
  expect(report.rowsValid).toBe(3008);
});

test('a U+FFFD written in the file as such is data, not a decoding error', async () => {
  const bytes = Buffer.from(`${HEADER + rows(1, 3000)}4000,Lit \ufffd,l@example.com,2024-11-01,active\n`);
  const { report, validRows } = await runCore(bytes, { dataset: 'signups' });
  expect(report.rowsRejected).toBe(0);
  expect(validRows[validRows.length - 1][1]).toBe('Lit \ufffd');
});

test('a NUL byte after the sample rejects its row (NUL_BYTE)', async () => {
  const bytes = Buffer.concat([Buffer.from(HEADER + rows(1, 3000)), Buffer.from('3000,Nul \0 Byte,x@example.com,2024-11-01,active\n')]);
  const { report } = await runCore(bytes, { dataset: 'signups' });
  expect(report.rejectedByReason).toEqual({ NUL_BYTE: 1 });
});

test('a record longer than the limit quarantines the file (RECORD_TOO_LARGE) instead of filling memory', async () => {
  const huge = `${HEADER}1,"${'z'.repeat(MAX_RECORD_CHARS + 10)}`;
  const { report } = await runCore(Buffer.from(huge), { dataset: 'signups', chunkSize: 1 << 20 });
  expect(report).toMatchObject({ outcome: 'quarantined', fileError: { code: 'RECORD_TOO_LARGE' } });
});

test('a slow sink is waited for (backpressure) and receives every row', async () => {
  const n = 60000;
  let received = '';
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, done) {
      received += chunk.toString();
      setImmediate(done);
    },
  });
  const rejects = new PassThrough();
  rejects.resume();
  const report = await preprocess(
    Readable.from([Buffer.from(HEADER + rows(1, n + 1))]),
    { valid: slow, rejects },
    { config: CONFIG, dataset: findDataset(CONFIG, 'signups'), source: 'slow.csv' },
  );
  expect(report.rowsValid).toBe(n);
  expect(received.split('\n').length - 2).toBe(n);
  expect(slow.writableFinished).toBe(true);
});

test('an I/O error of a sink is thrown, not reported as bad data', async () => {
  const broken = new Writable({
    write(_chunk, _enc, done) {
      done(new Error('disk full'));
    },
  });
  broken.on('error', () => undefined);
  const rejects = new PassThrough();
  rejects.resume();
  await expect(
    preprocess(
      Readable.from([Buffer.from(HEADER + rows(1, 50000))]),
      { valid: broken, rejects },
      { config: CONFIG, dataset: findDataset(CONFIG, 'signups'), source: 'x.csv' },
    ),
  ).rejects.toThrow(/disk full/);
});

test('an I/O error of the input is thrown', async () => {
  async function* failing() {
    yield Buffer.from(HEADER + rows(1, 5000));
    throw new Error('connection reset');
  }
  const valid = new PassThrough();
  const rejects = new PassThrough();
  valid.resume();
  rejects.resume();
  await expect(preprocess(failing(), { valid, rejects }, { config: CONFIG, dataset: findDataset(CONFIG, 'signups'), source: 'x.csv' })).rejects.toThrow(
    /connection reset/,
  );
});
