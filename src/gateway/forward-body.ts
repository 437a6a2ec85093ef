import type { Readable, Writable } from 'node:stream';

/** Shared, so an ended exchange does not pay for an Error and its stack trace. */
const SOURCE_CLOSED_EARLY = new Error('upstream body closed before its end');
const DESTINATION_CLOSED_EARLY = new Error('client response closed before the body was written');

/**
 * Pipes an upstream body to the client response; resolves once the response finished, rejects
 * (and destroys the source) when either side fails or closes early. It does what
 * `stream/promises` `pipeline` does for one source and one destination, without the
 * AbortController, the DOMException on completion and the end-of-stream machinery that
 * `pipeline` builds for every call: one of these runs per request.
 */
export function forwardBody(source: Readable, destination: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) {
        resolve();
        return;
      }
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
    source.pipe(destination);
  });
}
