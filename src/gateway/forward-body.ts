import type { Readable, Writable } from 'node:stream';
import type { ResponseBodyObserver } from '../extproc/response-body-observer.js';

/** Shared, so an ended exchange does not pay for an Error and its stack trace. */
const SOURCE_CLOSED_EARLY = new Error('upstream body closed before its end');
const DESTINATION_CLOSED_EARLY = new Error('client response closed before the body was written');
const EMPTY = Buffer.alloc(0);

/** Writes each chunk as the observer leaves it (with backpressure, as `pipe` does), then its last word. */
function observedPipe(source: Readable, destination: Writable, observer: ResponseBodyObserver): void {
  source.on('data', (chunk: Buffer) => {
    const out = observer.chunk(chunk, false) ?? chunk;
    if (out.length > 0 && !destination.write(out)) source.pause();
  });
  destination.on('drain', () => source.resume());
  source.once('end', () => {
    const last = observer.chunk(EMPTY, true);
    if (last !== undefined && last.length > 0) destination.end(last);
    else destination.end();
  });
}

/**
 * Pipes an upstream body to the client response; resolves once the response finished, rejects
 * (and destroys the source) when either side fails or closes early. It does what
 * `stream/promises` `pipeline` does for one source and one destination, without the
 * AbortController, the DOMException on completion and the end-of-stream machinery that
 * `pipeline` builds for every call: one of these runs per request. With an observer (the
 * co-located sidecar's accounting), every chunk passes through it on the way.
 */
export function forwardBody(source: Readable, destination: Writable, observer?: ResponseBodyObserver): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) {
        resolve();
        return;
      }
      observer?.abandon();
      source.unpipe(destination);
      source.destroy();
      reject(error);
    };
    source.once('error', settle);
    source.once('close', () => {
      if (!source.readableEnded) settle(SOURCE_CLOSED_EARLY);
    });
    destination.once('error', settle);
    destination.once('finish', () => settle(undefined));
    destination.once('close', () => settle(destination.writableFinished ? undefined : DESTINATION_CLOSED_EARLY));
    if (observer === undefined) source.pipe(destination);
    else observedPipe(source, destination, observer);
  });
}
