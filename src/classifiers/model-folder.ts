import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The model folder layouts Switchyard loads. */
export type ModelFolderKind = 'word-vector-embedder' | 'sentence-encoder' | 'feature-classifier' | 'hf-classifier';

const REQUIRED_FILES: Record<ModelFolderKind, readonly string[]> = {
  'word-vector-embedder': ['config.json', 'vocab.txt', 'vectors.i8', 'scales.f32', 'weights.f32', 'lexical-weights.f32'],
  'sentence-encoder': ['config.json', 'model.onnx'],
  'feature-classifier': ['config.json', 'model.onnx'],
  'hf-classifier': ['config.json', 'tokenizer.json', 'model.onnx'],
};

/**
 * Lists what is wrong with a model folder (missing directory, missing files, a config.json that is
 * not JSON or lacks id2label), each naming the path, so config validation can report them all.
 * An empty list means the folder is loadable as far as files go.
 */
export function checkModelFolder(dir: string, kind: ModelFolderKind): string[] {
  if (!existsSync(dir)) return [`model folder ${dir} does not exist`];
  const problems = REQUIRED_FILES[kind]
    .filter((file) => !existsSync(join(dir, file)))
    .map((file) => `model folder ${dir} is missing ${file}`);
  const configPath = join(dir, 'config.json');
  if ((kind === 'feature-classifier' || kind === 'hf-classifier') && existsSync(configPath)) {
    try {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { id2label?: unknown };
      if (typeof config.id2label !== 'object' || config.id2label === null) {
        problems.push(`${configPath} has no id2label map`);
      }
    } catch (err) {
      problems.push(`${configPath} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Throws one Error listing every problem of the folder, if it has any. */
export function assertModelFolder(dir: string, kind: ModelFolderKind): void {
  const problems = checkModelFolder(dir, kind);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** Labels in id order from a config.json `id2label` map ({"0": "biology", ...}). */
export function labelsFromId2Label(id2label: Record<string, string>, configPath: string): string[] {
  const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b);
  if (ids.some((id, i) => id !== i)) throw new Error(`${configPath}: id2label ids must be 0..n-1`);
  return ids.map((id) => id2label[String(id)]!);
}
