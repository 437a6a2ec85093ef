import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { jest } from '@jest/globals';
import { concatInSlices, COPY_SLICE_BYTES } from '../../src/concat-in-slices.js';
import { BodyCollector } from '../../src/gateway/body-collector.js';
import { OffLoopJsonError, parseJsonOffLoop } from '../../src/router/json-worker.js';

/**
 * A 15 MB body was copied in one synchronous step several times on its way through the
 * gateway and the router (Buffer.concat of the received chunks, postMessage's clone to the
 * JSON worker); each held the event loop for tens of milliseconds. These check that the copies
 * are now spread over event-loop turns, counted with setImmediate (no timing involved).
 */

const MB = 1024 * 1024;

/** Counts event-loop turns until stopped. */
function turnCounter(): { stop(): number } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}

describe('large body copies', () => {
  it('concatInSlices copies at most one slice per event-loop turn and keeps the bytes', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(400 * 1024, i));
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const counter = turnCounter();
    const out = await concatInSlices(chunks);
    const turns = counter.stop();
    expect(out.equals(Buffer.concat(chunks))).toBe(true);
    expect(turns).toBeGreaterThanOrEqual(Math.floor(total / COPY_SLICE_BYTES) - 1);
    // Its own ArrayBuffer, so it can be transferred.
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(total);
  });

  it('BodyCollector assembles a 15 MB body across event-loop turns, not in the end handler', async () => {
    const source = new PassThrough();
    const collector = new BodyCollector(source, 16 * MB, false);
    const chunk = Buffer.alloc(64 * 1024, '{');
    for (let written = 0; written < 15 * MB; written += chunk.length) source.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    const counter = turnCounter();
    source.end();
    const result = await collector.result;
    const turns = counter.stop();
    expect(result.kind).toBe('complete');
    expect(result.kind === 'complete' && result.body.length).toBe(15 * MB);
    expect(turns).toBeGreaterThanOrEqual(10);
  });

  it('sends a large body to the JSON worker as a transferred buffer, not a structured clone', async () => {
    const postMessage = jest.spyOn(Worker.prototype, 'postMessage');
    try {
      const body = Buffer.alloc(15 * MB, '{');
      await expect(parseJsonOffLoop(body, 128)).rejects.toBeInstanceOf(OffLoopJsonError);
      // Other workers of this jest process (inference threads left by earlier suites) may post meanwhile.
      const [message, transfer] = postMessage.mock.calls.filter(([sent]) => (sent as { op?: string }).op === 'parse').at(-1)! as [
        { payload: Uint8Array },
        ArrayBuffer[] | undefined,
      ];
      expect(transfer).toHaveLength(1);
      expect(transfer![0]).not.toBe(body.buffer);
      expect(message.payload.byteLength).toBe(0); // detached here: it went over, not a copy
      expect(body.every((byte) => byte === 0x7b)).toBe(true); // the caller's body is untouched
    } finally {
      postMessage.mockRestore();
    }
  });
});
