import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HfClassifier } from '../../src/classifiers/hf-classifier.js';
import { checkModelFolder } from '../../src/classifiers/model-folder.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';

const tinyBert = fileURLToPath(new URL('../fixtures/models/tiny-bert', import.meta.url));

describe('model folder checks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-model-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the tiny BERT folder', () => {
    expect(checkModelFolder(tinyBert, 'hf-classifier')).toEqual([]);
  });

  it('names the folder and the missing file', async () => {
    copyFileSync(join(tinyBert, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(tinyBert, 'model.onnx'), join(dir, 'model.onnx'));
    expect(checkModelFolder(dir, 'hf-classifier')).toEqual([`model folder ${dir} is missing tokenizer.json`]);
    await expect(HfClassifier.load(dir)).rejects.toThrow(`model folder ${dir} is missing tokenizer.json`);
  });

  it('reports a missing folder', async () => {
    const missing = join(dir, 'nope');
    expect(checkModelFolder(missing, 'word-vector-embedder')).toEqual([`model folder ${missing} does not exist`]);
    await expect(WordVectorEmbedder.load(missing)).rejects.toThrow(missing);
  });

  it('reports a config.json without id2label', () => {
    writeFileSync(join(dir, 'config.json'), '{"model_type":"bert"}');
    const problems = checkModelFolder(dir, 'hf-classifier');
    expect(problems).toContain(`${join(dir, 'config.json')} has no id2label map`);
    expect(problems).toContain(`model folder ${dir} is missing model.onnx`);
  });
});
