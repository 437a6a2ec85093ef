import { isClosable } from '../../src/signals/closable-extractor.js';
import type { RequestView, SignalExtractor, SignalResult } from '../../src/signals/signal.js';

/** A one-message conversation as signals see it. */
export function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() };
}

/** Runs an extractor on one user message. */
export async function extract(extractor: SignalExtractor, text: string): Promise<readonly SignalResult[]> {
  return extractor.extract(view(text), new AbortController().signal);
}

/** Runs `body` with the extractor and releases its model leases afterwards, pass or fail. */
export async function closed<T>(extractor: SignalExtractor, body: (e: SignalExtractor) => Promise<T>): Promise<T> {
  try {
    return await body(extractor);
  } finally {
    if (isClosable(extractor)) await extractor.close();
  }
}
