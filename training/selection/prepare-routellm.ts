/**
 * Writes the selector training file from ../shared/data/routellm-evals: one JSONL row per MMLU
 * and GSM8K prompt with both models' recorded correctness, the `*_contaminated_prompts` rows left
 * out, and a fixed split by a hash of the prompt (test 20%, val 15%, train 65%). Nothing is tuned
 * on `test`: training uses `train`, the threshold and any choice between runs uses `val`.
 *
 *   npx tsx training/selection/prepare-routellm.ts [out.jsonl]
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, '..', 'shared', 'data', 'routellm-evals');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'training', '.cache', 'selection', 'routellm.jsonl'));
/** Cheapest first: train-selector and the selectors read this order as the price order. */
export const WEAK = 'mixtral-8x7b-instruct';
export const STRONG = 'gpt-4-1106-preview';

function jsonl<T>(file: string): T[] {
  return readFileSync(join(DATA, file), 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

function splitOf(prompt: string): 'train' | 'val' | 'test' {
  const bucket = createHash('sha256').update(prompt).digest().readUInt32BE(0) % 100;
  return bucket < 20 ? 'test' : bucket < 35 ? 'val' : 'train';
}

interface Row {
  readonly prompt: string;
  readonly subject?: string;
  readonly mixtral_8x7b_instruct_correct: boolean;
  readonly gpt4_1106_preview_correct: boolean;
}

const lines: string[] = [];
const counts: Record<string, Record<string, number>> = {};
for (const source of ['mmlu', 'gsm8k'] as const) {
  const contaminated = new Set(jsonl<{ eval_prompt: string }>(`${source}_contaminated_prompts.jsonl`).map((row) => row.eval_prompt.trim()));
  let left = 0;
  for (const row of jsonl<Row>(`${source}_responses.jsonl`)) {
    if (contaminated.has(row.prompt.trim())) {
      left += 1;
      continue;
    }
    const split = splitOf(row.prompt);
    (counts[source] ??= {})[split] = (counts[source]![split] ?? 0) + 1;
    lines.push(
      JSON.stringify({
        prompt: row.prompt,
        source,
        ...(row.subject === undefined ? {} : { category: row.subject }),
        split,
        outcomes: { [WEAK]: row.mixtral_8x7b_instruct_correct ? 1 : 0, [STRONG]: row.gpt4_1106_preview_correct ? 1 : 0 },
      }),
    );
  }
  (counts[source] ??= {}).contaminated_left_out = left;
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${lines.join('\n')}\n`);
process.stdout.write(`${OUT}: ${lines.length} rows ${JSON.stringify(counts)}\n`);
