/**
 * False positives of the PII detector on prompts that hold no personal data (or only public
 * names): how many texts of each source it flags, per entity type, with the flagged spans.
 *   npx tsx training/pii/evaluate-benign.ts [threshold]
 * Sources (../shared/data): CoNaLa test intents (code questions), MT-Bench and Vicuna-bench
 * turns (chat prompts), GSM8K test and MATH-500 problems (number-heavy text: amounts, dates, counts).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_PII_THRESHOLD } from '../../src/signals/pii.js';
import { detectPii } from '../../src/signals/pii/pii-detector.js';

const DATA = new URL('../../../shared/data/', import.meta.url).pathname;
const jsonLines = (file: string) => readFileSync(DATA + file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Benign texts by source. */
function benignSources(): Record<string, string[]> {
  return {
    'conala-test': (JSON.parse(readFileSync(DATA + 'conala/conala-test.json', 'utf8')) as { intent: string }[]).map((r) => r.intent),
    'mt-bench+vicuna': [...jsonLines('mt-bench/mt_bench_question.jsonl'), ...jsonLines('mt-bench/vicuna_bench_question.jsonl')].flatMap((r) => (r.turns as string[] | undefined) ?? [r.text as string]),
    'gsm8k-test': jsonLines('gsm8k/test.jsonl').map((r) => r.question as string),
    math500: jsonLines('math500/math500.jsonl').map((r) => r.problem as string),
  };
}

const threshold = process.argv[2] === undefined ? DEFAULT_PII_THRESHOLD : Number(process.argv[2]);
const report: Record<string, unknown> = { threshold };
for (const [source, texts] of Object.entries(benignSources())) {
  const flaggedTexts = new Map<string, number>();
  const spans: string[] = [];
  for (const text of texts) {
    const entities = detectPii(text, threshold);
    for (const type of new Set(entities.map((e) => e.type))) flaggedTexts.set(type, (flaggedTexts.get(type) ?? 0) + 1);
    spans.push(...entities.map((e) => `${e.type}:${text.slice(e.start, e.end)} (${e.score.toFixed(2)})`));
  }
  report[source] = { texts: texts.length, flaggedTextsByType: Object.fromEntries(flaggedTexts), spans };
}
console.log(JSON.stringify(report, null, 1));
