/**
 * Builds test/fixtures/encoder/use-lite-parity.jsonl: 1,000 texts from ../shared/data (questions,
 * chat prompts, code requests, jailbreaks, Wikipedia sentences, disfluent speech, long prompts past
 * the 128-token window, plus edge cases) with the TF.js reference's token ids and embedding (float16,
 * base64). test/unit/use-lite-parity.test.ts checks the ONNX port against every line, and runs TF.js
 * live on a sample. Run: `npx tsx training/encoder/build-parity-fixture.ts` (about 2 minutes).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedWithTfjs, tfjsTokenize } from '../../test/helpers/tfjs-use-lite.js';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const OUT = fileURLToPath(new URL('../../test/fixtures/encoder/use-lite-parity.jsonl', import.meta.url));
const MAX_CHARS = 3000;

const jsonl = (path: string, field: string): string[] =>
  readFileSync(DATA + path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Record<string, unknown>)[field])
    .map((v) => (Array.isArray(v) ? String(v[0]) : String(v)));
const sources: Record<string, string[]> = {
  'nq-open': jsonl('nq-open/NQ-open.dev.jsonl', 'question'),
  clinc150: (JSON.parse(readFileSync(DATA + 'clinc150/data_full.json', 'utf8')) as { test: [string, string][] }).test.map((r) => r[0]),
  conala: (JSON.parse(readFileSync(DATA + 'conala/conala-test.json', 'utf8')) as { intent: string }[]).map((r) => r.intent),
  'arena-hard': jsonl('arena-hard/arena_hard_v2.0_question.jsonl', 'prompt'),
  'mt-bench': jsonl('mt-bench/mt_bench_question.jsonl', 'turns'),
  gsm8k: jsonl('gsm8k/test.jsonl', 'question'),
  ifeval: jsonl('ifeval/input_data.jsonl', 'prompt'),
  'paws-wiki': readFileSync(DATA + 'paws-wiki/dev.tsv', 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[1]!),
  'disfl-qa': Object.values(JSON.parse(readFileSync(DATA + 'disfl-qa/dev.json', 'utf8')) as Record<string, { disfluent: string }>).map((r) => r.disfluent),
  'jailbreak-in-the-wild': readFileSync(DATA + 'jailbreak-in-the-wild/inthewild_jailbreak_llms.txt', 'utf8').split('\n').filter((l) => l.trim().length > 20),
};

/** Every k-th row of a source: deterministic and spread over the file. */
function spread(rows: string[], count: number): string[] {
  const step = Math.max(1, Math.floor(rows.length / count));
  return rows.filter((_, i) => i % step === 0).slice(0, count).map((t) => t.slice(0, MAX_CHARS));
}

const edgeCases = ['', ' ', 'a', 'hello 世界 world', 'tabs\tand\nnewlines\r\n', '😀 emoji 😀😀 end', 'ﬁ ligature Ｆｕｌｌｗｉｄｔｈ', 'x'.repeat(300), 'word '.repeat(400), 'CAPITALS ONLY QUESTION?'];
const perSource = Math.floor((1000 - edgeCases.length) / Object.keys(sources).length);
const texts = [...edgeCases, ...Object.values(sources).flatMap((rows) => spread(rows, perSource))];
while (texts.length < 1000) texts.push(sources['nq-open']![texts.length]!);

const { embeddings } = await embedWithTfjs(texts);
const ids = await tfjsTokenize(texts);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, texts.map((text, i) => JSON.stringify({ text, ids: ids[i], embedding: toFloat16Base64(embeddings[i]!) })).join('\n') + '\n');
console.log(`${texts.length} texts -> ${OUT}`);

function toFloat16Base64(values: readonly number[]): string {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    f32[0] = v;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    const mant = x & 0x7fffff;
    let h: number;
    if (exp <= 0) h = sign | (exp < -10 ? 0 : ((mant | 0x800000) >> (1 - exp)) + 0x1000 >> 13);
    else if (exp >= 31) h = sign | 0x7c00;
    else h = sign | ((exp << 10) + ((mant + 0x1000) >> 13)); // a rounding carry moves into the exponent
    out.writeUInt16LE(h & 0xffff, i * 2);
  });
  return out.toString('base64');
}
