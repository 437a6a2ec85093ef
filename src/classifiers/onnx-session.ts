import { openModelSession, type ModelSession, type RowBatching } from './inference-threads.js';

export type { ModelSession, RowBatching };

/**
 * Opens an ONNX model for CPU inference, off the event loop (inference-threads.ts), with one
 * intra-op and one inter-op thread per session: the router runs several signals at once on a
 * 2-core machine, so a model must not claim every core per call. `batching` lets concurrent
 * requests' runs of the model share one call.
 */
export function openOnnxSession(modelPath: string, batching?: RowBatching): Promise<ModelSession> {
  return openModelSession(modelPath, batching);
}

/** Rows stacked, a varying second dimension padded with zeros (ids 0 with weight 0, zero counts). */
export const ZERO_PADDED_ROWS: RowBatching = { pad: {} };
