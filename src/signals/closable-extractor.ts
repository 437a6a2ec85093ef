import type { SignalExtractor } from './signal.js';

/** An extractor that holds models or other resources, released when its config retires. */
export interface ClosableSignalExtractor extends SignalExtractor {
  close(): void | Promise<void>;
}

/** Whether an extractor has resources to release. */
export function isClosable(extractor: SignalExtractor): extractor is ClosableSignalExtractor {
  return typeof (extractor as Partial<ClosableSignalExtractor>).close === 'function';
}
