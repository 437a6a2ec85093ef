/**
 * Labelled cache pairs per source from ../shared/data and the project's pair set, in three splits:
 * `train` (rules and weights are fitted here), `val` (thresholds and operating points are chosen
 * here) and `test` (reported only, never tuned on).
 *
 * - paws-wiki: label 1 paraphrase, 0 near-miss (same words, other meaning). Rows split in halves by a
 *   hash of the row id (the test half is the one the previous guard reported on); the other half
 *   splits 70/30 into train and val by a second hash.
 * - disfl-qa: a question vs its disfluent rewrite (paraphrase); its own train/dev/test files.
 * - ambignq: an ambiguous question vs each disambiguated rewrite, and sibling rewrites (near-misses,
 *   each has another answer); items split like paws-wiki.
 * - medquad: two questions about the same disease or drug that ask different things ("What causes
 *   Glaucoma?" / "How to prevent Glaucoma?"): near-misses; split by the focus.
 * - pairs: test/fixtures/cache/pairs.jsonl, split like paws-wiki.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { LabelledPair } from '../src/cache/pair-set-evaluation.js';
import { fnv1a } from '../src/classifiers/text-features.js';

export type PairSplit = 'train' | 'val' | 'test';
export const PAIR_SPLITS: readonly PairSplit[] = ['train', 'val', 'test'];

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const PAIRS = fileURLToPath(new URL('../test/fixtures/cache/pairs.jsonl', import.meta.url));
/** Near-miss pairs taken per MedQuAD focus, so a few diseases do not dominate. */
const MEDQUAD_PAIRS_PER_FOCUS = 3;

/** The split of a row id: the odd half of `cache-pairs:<id>` is test; the even half is 70% train, 30% val. */
export function splitOf(id: string): PairSplit {
  if (fnv1a(`cache-pairs:${id}`) % 2 !== 0) return 'test';
  return fnv1a(`cache-verifier:${id}`) % 10 < 7 ? 'train' : 'val';
}

function paws(): [string, LabelledPair][] {
  return readFileSync(`${DATA}paws-wiki/dev.tsv`, 'utf8').split('\n').slice(1).filter(Boolean)
    .map((line) => line.split('\t'))
    .map(([id, a, b, label]) => [`paws:${id}`, { a: a!, b: b!, label: label?.trim() === '1' ? 'paraphrase' : 'near-miss' }]);
}

function disfl(split: PairSplit): LabelledPair[] {
  const file = { train: 'train', val: 'dev', test: 'test' }[split];
  return Object.values(JSON.parse(readFileSync(`${DATA}disfl-qa/${file}.json`, 'utf8')) as Record<string, { original: string; disfluent: string }>)
    .map((r): LabelledPair => ({ a: r.original, b: r.disfluent, label: 'paraphrase' }));
}

function ambig(): [string, LabelledPair[]][] {
  return (JSON.parse(readFileSync(`${DATA}ambignq/dev_light.json`, 'utf8')) as { id: string; question: string; annotations: { qaPairs?: { question: string }[] }[] }[])
    .map((item) => {
      const rewrites = [...new Set(item.annotations.flatMap((a) => a.qaPairs?.map((q) => q.question) ?? []))];
      const pairs = rewrites.map((r): LabelledPair => ({ a: item.question, b: r, label: 'near-miss', kind: 'broader' }));
      for (let i = 0; i + 1 < rewrites.length; i++) pairs.push({ a: rewrites[i]!, b: rewrites[i + 1]!, label: 'near-miss', kind: 'sibling' });
      return [`ambignq:${item.id}`, pairs];
    });
}

function medquad(): [string, LabelledPair[]][] {
  const rows = gunzipSync(readFileSync(`${DATA}medquad/medquad_questions.tsv.gz`)).toString('utf8').split('\n').slice(1).filter(Boolean)
    .map((line) => line.split('\t'));
  const byFocus = new Map<string, Map<string, string>>();
  for (const [, , focus, , qtype, question] of rows) {
    if (!focus || !question) continue;
    const questions = byFocus.get(focus) ?? new Map<string, string>();
    if (!questions.has(qtype!)) questions.set(qtype!, question.replace(/\s+\?/g, '?').trim());
    byFocus.set(focus, questions);
  }
  return [...byFocus].map(([focus, questions]) => {
    const asked = [...questions.values()];
    const pairs: LabelledPair[] = [];
    for (let i = 0; i + 1 < asked.length && pairs.length < MEDQUAD_PAIRS_PER_FOCUS; i++) pairs.push({ a: asked[i]!, b: asked[i + 1]!, label: 'near-miss', kind: 'same-topic' });
    return [`medquad:${focus}`, pairs];
  });
}

function own(): [string, LabelledPair][] {
  return readFileSync(PAIRS, 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as LabelledPair)
    .map((p) => [`pairs:${p.a}\n${p.b}`, p]);
}

/** At most `limit` rows, spread evenly over the list (deterministic). */
function spread<T>(rows: readonly T[], limit: number): T[] {
  const step = Math.max(1, rows.length / limit);
  return Array.from({ length: Math.min(limit, rows.length) }, (_, i) => rows[Math.floor(i * step)]!);
}

/** The pairs of each source in one split, at most `limit` per source. */
export function pairSources(split: PairSplit, limit: number): Record<string, LabelledPair[]> {
  const inSplit = <T>(rows: [string, T][]): T[] => rows.filter(([id]) => splitOf(id) === split).map(([, row]) => row);
  return {
    'paws-wiki': spread(inSplit(paws()), limit),
    'disfl-qa': spread(disfl(split), limit),
    ambignq: spread(inSplit(ambig()).flat(), limit),
    medquad: spread(inSplit(medquad()).flat(), limit),
    pairs: inSplit(own()),
  };
}
