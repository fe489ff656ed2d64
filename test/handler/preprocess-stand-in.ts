// A tiny private stand-in for the core's preprocess(), used only until lambda/core/preprocess.ts lands; not a product component.
import type { PreprocessFn } from '../../lambda/s3-io';

/** Comma-separated, header first; a NUL byte quarantines the file; rows with the wrong field count are rejected. */
export const preprocessStandIn: PreprocessFn = async (input, sinks, options) => {
  const started = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  const bytes = Buffer.concat(chunks);
  const base = { source: options.source, dataset: options.dataset?.name ?? null, notes: [], bytesIn: bytes.length, rejectedByReason: {} };
  const end = async () => {
    await Promise.all([sinks.valid, sinks.rejects].map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  };
  if (bytes.includes(0)) {
    await end();
    return { ...base, outcome: 'quarantined', fileError: { code: 'BINARY_FILE', reason: 'NUL bytes' }, rowsIn: 0, rowsValid: 0, rowsRejected: 0, durationMs: Date.now() - started };
  }
  const lines = bytes.toString('utf8').split('\n').filter((l) => l !== '');
  const width = lines[0].split(',').length;
  const write = (s: import('stream').Writable, text: string) =>
    new Promise<void>((resolve, reject) => (s.write(text, (err) => (err ? reject(err) : resolve())) ? undefined : undefined));
  await write(sinks.valid, `${lines[0]}\n`);
  await write(sinks.rejects, 'source_file,line,reason_code,column_name,reason,raw_record\n');
  let valid = 0;
  let rejected = 0;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].split(',').length === width) {
      valid++;
      await write(sinks.valid, `${lines[i]}\n`);
    } else {
      rejected++;
      await write(sinks.rejects, `${options.source},${i + 1},FIELD_COUNT,,wrong field count,"${lines[i]}"\n`);
    }
  }
  await end();
  return { ...base, outcome: 'processed', rowsIn: valid + rejected, rowsValid: valid, rowsRejected: rejected, durationMs: Date.now() - started };
};
