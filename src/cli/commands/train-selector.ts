import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Embedder } from '../../classifiers/embedder.js';
import { leaseEmbedder, type ModelLease } from '../../signals/model-cache.js';
import { selectorEmbedder } from '../../selection/selector-features.js';
import { QUALITY_TARGET } from '../../selection/cost-quality-curve.js';
import { featuresOf, parseExamples, trainSelector, type SplitReport, type TrainedSelector } from '../../selection/train-selector.js';
import type { TrainedParameters } from '../../selection/trained-selector.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard train-selector`. */
export interface TrainSelectorOptions {
  readonly input: string;
  readonly algorithm: string;
  readonly out: string;
  readonly seed: number;
  /** The bundled embedder of the prompt vector: embedder (word vectors, default) or use-lite. */
  readonly embedder?: string;
  /** Only the examples of this source (e.g. gsm8k, for a math decision's own selector). */
  readonly source?: string;
  readonly k?: number;
  /** knn: how many prototypes stand for the training prompts. */
  readonly prototypes?: number;
  readonly clusters?: number;
  readonly kernel?: 'rbf' | 'linear';
  readonly gamma?: number;
  /** ensemble: the member kinds fitted and weighed on val, separated by commas. */
  readonly members?: string;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'not reached' : `${(100 * value).toFixed(1)}%`;
}

function reportRows(split: string, reports: Readonly<Record<string, SplitReport>>): string[] {
  return Object.entries(reports).map(
    ([source, report]) =>
      `| ${split} | ${source} | ${report.rows} | ${percent(report.weakAccuracy)} | ${percent(report.strongAccuracy)} | ${percent(report.shareAtTarget)} | ${percent(report.atThreshold.strongShare)} → ${percent(report.atThreshold.accuracy)} |`,
  );
}

/** The model card written next to the selector file: what it learnt from and how it does on held-out rows. */
function modelCard(options: TrainSelectorOptions, trained: TrainedSelector): string {
  const { file } = trained;
  return `# Trained ${file.kind} selector: ${basename(options.out)}

Written by \`switchyard train-selector --input ${basename(options.input)} --algorithm ${file.kind} --seed ${options.seed}${options.source === undefined ? '' : ` --source ${options.source}`}${file.embedder === 'embedder' ? '' : ` --embedder ${file.embedder}`}\`.

- Models (cheapest first): ${file.models.join(', ')}
- Features: the prompt's vector from ${selectorEmbedder(file.embedder).description}, plus ten shape features (length, counts and size of numbers, percentages, fractions, rates; ${file.feature_length} values).
- Training: ${JSON.stringify(file.training)}
- Routing rule: the cheapest model whose predicted quality is within \`threshold\` of the best prediction. Threshold ${file.threshold.toFixed(4)}, chosen on the val split as the largest that keeps val accuracy at ${QUALITY_TARGET * 100}% of the strong model's.
- Data: \`../shared/data/routellm-evals\` (RouteLLM's MMLU and GSM8K outcomes of GPT-4-1106-preview and Mixtral-8x7B-Instruct; \`*_contaminated_prompts\` rows left out), split by a hash of the prompt (training/selection/prepare-routellm.ts). Test rows were used for nothing but this table.

"Share at 95%" is the smallest share of prompts sent to the strong model at which accuracy reaches 95% of the strong model's, over the whole threshold sweep; "at threshold" is the file's own threshold.

| split | source | rows | weak acc | strong acc | share at 95% | at threshold: share → acc |
|---|---|---|---|---|---|---|
${[...reportRows('val', trained.reports.val!), ...reportRows('test', trained.reports.test!)].join('\n')}
`;
}

/** `switchyard train-selector`: trains a knn, kmeans, svm, mlp or ensemble selector from a JSONL of prompts with per-model outcomes. */
export async function runTrainSelector(options: TrainSelectorOptions, io: CliIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(options.input, 'utf8');
  } catch (error) {
    io.stderr.write(`train-selector: cannot read ${options.input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  let embedder: ModelLease<Embedder>;
  try {
    embedder = await leaseEmbedder(selectorEmbedder(options.embedder).dir);
  } catch (error) {
    io.stderr.write(`train-selector: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const examples = parseExamples(text, options.input).filter((example) => options.source === undefined || example.source === options.source);
    if (examples.length === 0) throw new Error(`no examples${options.source === undefined ? '' : ` of source "${options.source}"`} in ${options.input}`);
    const parameters: Record<string, unknown> = {
      ...(options.k === undefined ? {} : { k: options.k }),
      ...(options.prototypes === undefined ? {} : { prototypes: options.prototypes }),
      ...(options.members === undefined ? {} : { members: options.members.split(',').map((member) => member.trim()) }),
      ...(options.clusters === undefined ? {} : { num_clusters: options.clusters }),
      ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
      ...(options.gamma === undefined ? {} : { gamma: options.gamma }),
    };
    const kinds = options.algorithm.split(',').map((kind) => kind.trim());
    if (kinds.length > 1 && !options.out.includes('{algorithm}')) throw new Error('with several algorithms, --out must contain {algorithm} (e.g. models/selection/mmlu-{algorithm}.json)');
    // Every kind reads the same features: the prompts are embedded once.
    const embedded = { embedder: options.embedder ?? 'embedder', features: await featuresOf(examples, embedder.model) };
    for (const kind of kinds) {
      const trained = trainSelector(examples, kind, parameters as TrainedParameters, options.seed, embedded);
      const out = options.out.replaceAll('{algorithm}', kind);
      await writeFile(out, `${JSON.stringify(trained.file)}\n`);
      const card = out.replace(/\.json$/, '') + '.md';
      await writeFile(card, modelCard({ ...options, out }, trained));
      for (const [split, reports] of Object.entries(trained.reports)) {
        for (const [source, report] of Object.entries(reports)) {
          io.stdout.write(`${kind} ${split} ${source}: rows ${report.rows}, strong share at 95% ${percent(report.shareAtTarget)}, at threshold ${percent(report.atThreshold.strongShare)} -> ${percent(report.atThreshold.accuracy)}\n`);
        }
      }
      io.stdout.write(`wrote ${out} and ${card}\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`train-selector: ${(error as Error).message}\n`);
    return 1;
  } finally {
    embedder.release();
  }
}
