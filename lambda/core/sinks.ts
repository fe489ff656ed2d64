// Writes to the output streams with bounded backpressure and ends them: the only places the core waits for its sinks.
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Output a sink may hold queued before the core waits for it to drain. A sink's own highWaterMark (16 KiB for a
 * file stream) is smaller than one batch: waiting for each batch to be written would leave the CPU idle during
 * every write, so the core goes on working while up to this much is being written.
 */
const QUEUED_BYTES = 1024 * 1024;

/** Writes one batch; waits only when more than QUEUED_BYTES are queued in the sink. */
export async function writeQueued(sink: Writable, batch: Buffer | string): Promise<void> {
  if (!sink.write(batch) && sink.writableLength >= QUEUED_BYTES) await drained(sink);
}

/** Waits until a sink takes more data; a sink that errors or closes first fails the run (an I/O error). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error('an output stream closed before the preprocessing finished writing to it'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** Ends every sink (those not ended yet) and waits until all have finished. */
export async function endSinks(sinks: readonly Writable[]): Promise<void> {
  const ends = sinks.map((s) => {
    if (s.writableFinished) return Promise.resolve();
    const done = finished(s, { readable: false });
    if (!s.writableEnded) s.end();
    return done;
  });
  await Promise.all(ends);
}
