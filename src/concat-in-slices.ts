import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Bytes copied per event-loop turn when a large body is assembled. Copying into freshly
 * allocated memory is paid mostly in page faults, so one 15 MB copy held the loop for tens of
 * milliseconds (hundreds on a loaded VM). On the 2-core VM a fresh MiB costs 3-15 ms of CPU in
 * faults alone, so a slice is 256 KiB: under 4 ms per turn there.
 */
export const COPY_SLICE_BYTES = 256 * 1024;

/**
 * Buffer.concat for large bodies without holding the event loop: copies at most
 * {@link COPY_SLICE_BYTES} per turn and yields in between. The result owns its whole
 * ArrayBuffer (never a slice of Node's shared pool), so it can be transferred to a worker.
 */
export async function concatInSlices(chunks: readonly Buffer[], totalBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0)): Promise<Buffer> {
  const out = Buffer.allocUnsafeSlow(totalBytes);
  let offset = 0;
  let sinceYield = 0;
  for (const chunk of chunks) {
    let from = 0;
    while (from < chunk.length && offset < totalBytes) {
      const count = Math.min(chunk.length - from, COPY_SLICE_BYTES - sinceYield, totalBytes - offset);
      chunk.copy(out, offset, from, from + count);
      offset += count;
      from += count;
      sinceYield += count;
      if (sinceYield >= COPY_SLICE_BYTES) {
        await nextTurn();
        sinceYield = 0;
      }
    }
  }
  return out;
}
