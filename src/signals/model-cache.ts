import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLED_DOMAIN_HEAD_DIR, BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR } from '../classifiers/bundled-models.js';
import type { Embedder } from '../classifiers/embedder.js';
import { EncoderHeadClassifier } from '../classifiers/encoder-head-classifier.js';
import { FeatureClassifier } from '../classifiers/feature-classifier.js';
import { HfClassifier } from '../classifiers/hf-classifier.js';
import { checkModelFolder, type ModelFolderKind } from '../classifiers/model-folder.js';
import type { TextClassifier } from '../classifiers/text-classifier.js';
import { UseLiteEmbedder } from '../classifiers/use-lite-embedder.js';
import { WordVectorEmbedder } from '../classifiers/word-vector-embedder.js';
import { RecentEmbeddings } from './recent-embeddings.js';

/** A model borrowed from the cache; `release` hands it back once the borrower (a config) retires. */
export interface ModelLease<Model> {
  readonly model: Model;
  release(): void;
}

interface CacheEntry {
  readonly loading: Promise<unknown>;
  users: number;
}

/**
 * Each model folder is loaded once per process, whatever number of rules, signal types and
 * config versions use it: a hot reload compiles the new config while the old one still serves,
 * and both must share one copy rather than double the resident memory. An entry is dropped when
 * its last lease is released, so a folder edited on disk is read afresh by the next config.
 */
const entries = new Map<string, CacheEntry>();

function lease<Model>(key: string, load: () => Promise<Model>): Promise<ModelLease<Model>> {
  let entry = entries.get(key);
  if (entry === undefined) {
    const loading = load();
    entry = { loading, users: 0 };
    entries.set(key, entry);
    // A folder that failed to load is not remembered: the user may fix it and reload.
    loading.catch(() => {
      if (entries.get(key)?.loading === loading) entries.delete(key);
    });
  }
  const held = entry;
  held.users += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    held.users -= 1;
    if (held.users === 0 && entries.get(key) === held) entries.delete(key);
  };
  return (held.loading as Promise<Model>).then(
    (model) => ({ model, release }),
    (error: unknown) => {
      release();
      throw error;
    },
  );
}

/** Throws one message naming the folder and every missing or broken file, before any load starts. */
function assertFolder(dir: string, kind: ModelFolderKind): void {
  const problems = checkModelFolder(dir, kind);
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** The folder a rule names (`model_path`, relative to the config file), or the bundled default. */
export function modelFolder(modelPath: string | undefined, configDir: string, bundled: string): string {
  return modelPath === undefined ? bundled : resolve(configDir, modelPath);
}

/** A sentence-encoder folder declares itself in config.json (`switchyard_encoder`); else word vectors. */
function embedderKind(dir: string): ModelFolderKind {
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { switchyard_encoder?: unknown };
    return config.switchyard_encoder === undefined ? 'word-vector-embedder' : 'sentence-encoder';
  } catch {
    // checkModelFolder reports the missing or unreadable config.json.
    return 'word-vector-embedder';
  }
}

/**
 * Leases the sentence embedder of a folder: a sentence encoder (models/use-lite) or a word-vector
 * embedder (models/embedder, the default: the bundled feature classifiers were trained on it).
 * It remembers its last texts, so signals and model selection embed a request's text once
 * between them.
 */
export async function leaseEmbedder(dir: string = BUNDLED_EMBEDDER_DIR): Promise<ModelLease<Embedder>> {
  const kind = embedderKind(dir);
  assertFolder(dir, kind);
  if (kind === 'sentence-encoder') return lease(`encoder:${dir}`, async () => new RecentEmbeddings(await UseLiteEmbedder.load(dir)));
  return lease(`embedder:${dir}`, async () => new RecentEmbeddings(await WordVectorEmbedder.load(dir)));
}

/**
 * The layout of a classifier folder: the bundled feature classifier declares its features in
 * config.json (`switchyard_features`); anything else is read as a Hugging Face export, whose
 * tokenizer.json the folder check then asks for.
 */
function classifierKind(dir: string): ModelFolderKind | 'encoder-head' {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) return 'hf-classifier';
  try {
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { switchyard_features?: unknown; switchyard_head?: unknown };
    if (config.switchyard_head !== undefined) return 'encoder-head';
    return config.switchyard_features === undefined ? 'hf-classifier' : 'feature-classifier';
  } catch {
    // checkModelFolder reports the unreadable config.json with its parse error.
    return 'hf-classifier';
  }
}

/**
 * Leases the text classifier of a folder (the bundled domain classifier by default): a Hugging
 * Face export (config.json with id2label, tokenizer.json, model.onnx) or a bundled feature
 * classifier, which also leases the bundled embedder it was trained with.
 */
export async function leaseClassifier(dir: string = BUNDLED_DOMAIN_HEAD_DIR): Promise<ModelLease<TextClassifier>> {
  const kind = classifierKind(dir);
  if (kind === 'encoder-head') return leaseEncoderHead(dir);
  assertFolder(dir, kind);
  if (kind === 'hf-classifier') return lease(`hf-classifier:${dir}`, () => HfClassifier.load(dir));
  return leaseFeatureClassifier(dir);
}

/** A bundled feature classifier with the word-vector embedder it was trained with. */
async function leaseFeatureClassifier(dir: string): Promise<ModelLease<FeatureClassifier>> {
  return leaseTogether([leaseEmbedder()], ([embedder]) => lease(`feature-classifier:${dir}`, () => FeatureClassifier.load(dir, embedder as Embedder)));
}

/**
 * An encoder head (config.json `switchyard_head`): the bundled sentence encoder, shared with every
 * other consumer of the request's vector, plus the cheap model it blends, read from the sibling folder
 * its config names (models/domain for models/domain-head).
 */
async function leaseEncoderHead(dir: string): Promise<ModelLease<TextClassifier>> {
  assertFolder(dir, 'feature-classifier');
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { switchyard_head: { base_model?: string } };
  const base = config.switchyard_head.base_model;
  const parts: Promise<ModelLease<unknown>>[] = [leaseEmbedder(BUNDLED_ENCODER_DIR)];
  if (base !== undefined) parts.push(leaseFeatureClassifier(resolve(dir, '..', base)));
  return leaseTogether(parts, ([encoder, baseModel]) =>
    lease(`encoder-head:${dir}`, () => EncoderHeadClassifier.load(dir, encoder as Embedder, baseModel as FeatureClassifier | undefined)),
  );
}

/** Leases what a model needs, then the model; a failure releases whatever was already leased. */
async function leaseTogether<Model>(
  needs: readonly Promise<ModelLease<unknown>>[],
  load: (models: readonly unknown[]) => Promise<ModelLease<Model>>,
): Promise<ModelLease<Model>> {
  const settled = await Promise.allSettled(needs);
  const held = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const releaseHeld = (): void => held.forEach((h) => h.release());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    releaseHeld();
    throw failed.reason;
  }
  try {
    const model = await load(held.map((h) => h.model));
    return {
      model: model.model,
      release: () => {
        model.release();
        releaseHeld();
      },
    };
  } catch (error) {
    releaseHeld();
    throw error;
  }
}

/** How many model folders are loaded or loading now (for tests and start-up reports). */
export function loadedModelCount(): number {
  return entries.size;
}
