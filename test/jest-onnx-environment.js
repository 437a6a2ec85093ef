// Jest runs each test file in its own V8 context, whose typed-array constructors differ from the
// main context's. onnxruntime-node's native binding builds output buffers in the main context, and
// onnxruntime-common then rejects them ("A float32 tensor's data must be type of Float32Array").
// Sharing the main context's typed arrays with the test context removes the mismatch.
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

export default class OnnxTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
