import * as ort from 'onnxruntime-node';

/**
 * Opens an ONNX model for CPU inference with one intra-op and one inter-op thread: the router runs
 * several signals in parallel on a 2-core machine, so a model must not claim every core per call.
 */
export function openOnnxSession(modelPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
