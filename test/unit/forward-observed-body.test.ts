import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { ResponseBodyObserver } from '../../src/extproc/response-body-observer.js';
import { forwardBody } from '../../src/gateway/forward-body.js';

/** Records what it was shown; replaces chunks named in `replace`, and adds `last` at the end. */
function recordingObserver(replace: Record<string, string> = {}, last?: string): ResponseBodyObserver & { seen: string[]; ended: number; abandoned: number } {
  const observer = {
    rewrites: Object.keys(replace).length > 0 || last !== undefined,
    seen: [] as string[],
    ended: 0,
    abandoned: 0,
    chunk(body: Buffer, endOfStream: boolean): Buffer | undefined {
      observer.seen.push(body.toString());
      if (endOfStream) {
        observer.ended += 1;
        return last === undefined ? undefined : Buffer.from(last);
      }
      const out = replace[body.toString()];
      return out === undefined ? undefined : Buffer.from(out);
    },
    abandon(): void {
      observer.abandoned += 1;
    },
  };
  return observer;
}

/** A slow client: takes one chunk per turn with a high-water mark of 1 byte, so every write says "wait". */
function slowSink(): Writable & { text: () => string } {
  const parts: string[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk.toString());
      setImmediate(done);
    },
  });
  return Object.assign(sink, { text: () => parts.join('') });
}

describe('forwardBody with the co-located sidecar observing the body', () => {
  it('shows the observer every chunk in order, then the end, and writes its replacements', async () => {
    const observer = recordingObserver({ 'b-usage': '', c: 'C' }, 'tail');
    const sink = slowSink();
    await forwardBody(Readable.from(['a', 'b-usage', 'c', 'd'].map((s) => Buffer.from(s)), { objectMode: false }), sink, observer);
    expect(observer.seen).toEqual(['a', 'b-usage', 'c', 'd', '']);
    expect(observer.ended).toBe(1);
    expect(observer.abandoned).toBe(0);
    expect(sink.text()).toBe('aCdtail');
  });

  it('keeps backpressure: a source faster than the client is paused, and nothing is lost', async () => {
    const observer = recordingObserver();
    const source = new PassThrough({ highWaterMark: 16 });
    const sink = slowSink();
    const done = forwardBody(source, sink, observer);
    const chunks = Array.from({ length: 200 }, (_, i) => `chunk-${i};`);
    let refused = 0;
    for (const chunk of chunks) if (!source.write(chunk)) refused += 1;
    source.end();
    await done;
    expect(refused).toBeGreaterThan(0);
    expect(sink.text()).toBe(chunks.join(''));
    expect(observer.ended).toBe(1);
  });

  it('tells the observer the body was abandoned when the client goes away, and rejects', async () => {
    const observer = recordingObserver();
    const source = new PassThrough();
    const sink = slowSink();
    const done = forwardBody(source, sink, observer);
    source.write('first');
    await new Promise((resolve) => setImmediate(resolve));
    sink.destroy();
    await expect(done).rejects.toThrow('client response closed');
    expect(observer.abandoned).toBe(1);
    expect(observer.ended).toBe(0);
    expect(source.destroyed).toBe(true);
  });

  it('tells the observer the body was abandoned when the upstream is cut', async () => {
    const observer = recordingObserver();
    const source = new PassThrough();
    const done = forwardBody(source, slowSink(), observer);
    source.write('half');
    source.destroy(new Error('upstream reset'));
    await expect(done).rejects.toThrow('upstream reset');
    expect(observer.abandoned).toBe(1);
    expect(observer.ended).toBe(0);
  });
});
