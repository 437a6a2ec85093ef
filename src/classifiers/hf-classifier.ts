import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { assertModelFolder, labelsFromId2Label } from './model-folder.js';
import { openOnnxSession, type ModelSession } from './onnx-session.js';
import { rankLabels, type LabelScore, type TextClassifier } from './text-classifier.js';

/** Longest input fed to a user's model when its config names no limit. */
const DEFAULT_MAX_TOKENS = 512;

/**
 * A sequence classifier exported in the Hugging Face layout (config.json with id2label,
 * tokenizer.json, model.onnx with input_ids / attention_mask / optional token_type_ids and a
 * `logits` output), e.g. a user's ModernBERT or mmBERT fine-tune.
 */
export class HfClassifier implements TextClassifier {
  private constructor(
    readonly labels: readonly string[],
    private readonly session: ModelSession,
    private readonly tokenizer: Tokenizer,
    private readonly maxTokens: number,
  ) {}

  /** Loads a model folder; throws naming the folder and file when one is missing. */
  static async load(dir: string): Promise<HfClassifier> {
    assertModelFolder(dir, 'hf-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as {
      id2label: Record<string, string>;
      max_position_embeddings?: number;
    };
    const tokenizerJson = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object;
    const tokenizerConfigPath = join(dir, 'tokenizer_config.json');
    const tokenizerConfig = await readFile(tokenizerConfigPath, 'utf8').then(
      (text) => JSON.parse(text) as object,
      () => ({}),
    );
    const session = await openOnnxSession(join(dir, 'model.onnx'));
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input)) throw new Error(`${join(dir, 'model.onnx')} has no input ${input}`);
    }
    if (!session.outputNames.includes('logits')) throw new Error(`${join(dir, 'model.onnx')} has no output logits`);
    const labels = labelsFromId2Label(config.id2label, configPath);
    const maxTokens = config.max_position_embeddings ?? DEFAULT_MAX_TOKENS;
    return new HfClassifier(labels, session, new Tokenizer(tokenizerJson, tokenizerConfig), maxTokens);
  }

  async classify(text: string): Promise<readonly LabelScore[]> {
    const encoding = this.tokenizer.encode(text, { return_token_type_ids: true });
    // Keep the head of a long prompt; the final special token is kept so BERT-style models see [SEP].
    const n = Math.min(encoding.ids.length, this.maxTokens);
    const pick = (values: readonly number[]): BigInt64Array => {
      const out = BigInt64Array.from(values.slice(0, n), (v) => BigInt(v));
      if (values.length > n) out[n - 1] = BigInt(values[values.length - 1]!);
      return out;
    };
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', pick(encoding.ids), [1, n]),
      attention_mask: new ort.Tensor('int64', pick(encoding.attention_mask), [1, n]),
    };
    if (this.session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = new ort.Tensor('int64', pick(encoding.token_type_ids ?? new Array<number>(n).fill(0)), [1, n]);
    }
    const result = await this.session.run(feeds);
    return rankLabels(this.labels, result['logits']!.data as Float32Array);
  }
}
