/**
 * Latency of all safety signals together (jailbreak classifier with history, PII, language, authz)
 * through the real signal pipeline, and of the jailbreak classifier alone, on ~20-, ~200- and
 * ~500-token requests.
 *   npx tsx bench/safety-signals.ts        (prints one JSON line per prompt length, times in ms)
 */
import { BUNDLED_EMBEDDER_DIR } from '../src/classifiers/bundled-models.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';
import { BUNDLED_JAILBREAK_DIR, JailbreakClassifier } from '../src/signals/jailbreak/jailbreak-classifier.js';
import { createSignalPipeline } from '../src/signals/pipeline.js';
import type { RequestView, SignalId } from '../src/signals/signal.js';

const SENTENCES = [
  'I am preparing a short internal report about our migration from a monolith to services and would like help structuring it.',
  'The audience is the engineering leadership team, who know the system well but have not followed the details of the last two quarters.',
  'Please suggest an outline with five or six sections, a one-paragraph executive summary, and a list of risks we should call out.',
  'We moved billing, search and notifications first; the user profile service is still inside the monolith because of shared tables.',
  'Latency improved for search by about thirty percent, but on-call load went up because we now run more deployments per week.',
  'You can reach me at jane.doe@example.com if anything is unclear, and the draft lives in the shared folder under reports.',
  'Keep the tone factual and avoid marketing language; the readers prefer tables and numbers to long paragraphs.',
];

/** About `tokens` tokens of the report request (1.3 tokens a word), repeating its sentences as needed. */
function promptOf(tokens: number): string {
  const words: string[] = [];
  for (let i = 0; words.length * 1.3 < tokens; i++) words.push(...SENTENCES[i % SENTENCES.length]!.split(' '));
  return words.slice(0, Math.round(tokens / 1.3)).join(' ');
}

/** p50/p90/p99 in ms of `runs` calls after a warm-up. */
async function percentiles(run: () => Promise<unknown>, runs: number): Promise<Record<string, number>> {
  for (let i = 0; i < runs / 10; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => +times[Math.floor(q * (times.length - 1))]!.toFixed(3);
  return { p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99) };
}

async function main(): Promise<void> {
  const signals = {
    jailbreak: [{ name: 'jb', include_history: true }],
    pii: [{ name: 'pii' }],
    language: [{ name: 'en' }],
    role_bindings: [{ name: 'b', role: 'admin', subjects: [{ kind: 'User', name: 'alice' }] }],
  };
  const referenced = new Set<SignalId>(['jailbreak:jb', 'pii:pii', 'language:en', 'authz:admin']);
  const pipeline = await createSignalPipeline(signals, referenced, { configDir: process.cwd() });
  const classifier = await JailbreakClassifier.load(BUNDLED_JAILBREAK_DIR, await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR));
  const abort = new AbortController().signal;
  for (const tokens of [20, 200, 500]) {
    const prompt = promptOf(tokens);
    const request: RequestView = {
      lastUserText: prompt,
      messages: [{ role: 'system', text: 'You are a helpful assistant.' }, { role: 'user', text: prompt }],
      headers: new Map([['x-authz-user-id', 'alice']]),
    };
    const words = prompt.split(/\s+/).length;
    const allSafetySignals = await percentiles(() => pipeline.evaluate(request, abort), 2000);
    const jailbreakOnly = await percentiles(() => classifier.score([prompt]), 2000);
    console.log(JSON.stringify({ words, approxTokens: Math.round(words * 1.3), allSafetySignals, jailbreakOnly }));
  }
  await pipeline.close?.();
}

await main();
