import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** models/<name> at the repository root, from src/classifiers (tsx, jest) or dist/src/classifiers (built). */
function bundledModelDir(name: string): string {
  const candidates = [`../../models/${name}`, `../../../models/${name}`].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

/** Folder of the bundled word-vector sentence embedder (the features the bundled classifiers were trained on). */
export const BUNDLED_EMBEDDER_DIR = bundledModelDir('embedder');

/** Folder of the bundled pretrained sentence encoder (Universal Sentence Encoder Lite, ONNX). */
export const BUNDLED_ENCODER_DIR = bundledModelDir('use-lite');

/** Folder of the bundled 14-category MMLU-Pro domain classifier (the cheap model; the head blends it). */
export const BUNDLED_DOMAIN_DIR = bundledModelDir('domain');

/** Folder of the domain head on the sentence encoder's vector, blended with models/domain (the domain signal's default). */
export const BUNDLED_DOMAIN_HEAD_DIR = bundledModelDir('domain-head');

/** Folder of the bundled jailbreak and prompt-injection classifier. */
export const BUNDLED_JAILBREAK_DIR = bundledModelDir('jailbreak');

/** Folder of the jailbreak head on the sentence encoder, stacked on its own grouped-split windowed model (opt-in, `model_path`). */
export const BUNDLED_JAILBREAK_HEAD_DIR = bundledModelDir('jailbreak-head');

/** Folder of the bundled PII name and street-address tagger. */
export const BUNDLED_PII_DIR = bundledModelDir('pii');

/** Folder of the bundled easy/hard prompt-difficulty classifier. */
export const BUNDLED_DIFFICULTY_DIR = bundledModelDir('difficulty');
