/**
 * Latency of all safety signals together (jailbreak classifier with history, PII, language, authz)
 * on a ~200-token request, through the real signal pipeline.
 *   npx tsx bench/safety-signals.ts        (prints p50/p90/p99 in ms as JSON)
 */
import { createSignalPipeline } from '../src/signals/pipeline.js';
import type { RequestView, SignalId } from '../src/signals/signal.js';

const PROMPT = [
  'I am preparing a short internal report about our migration from a monolith to services and would like help structuring it.',
  'The audience is the engineering leadership team, who know the system well but have not followed the details of the last two quarters.',
  'Please suggest an outline with five or six sections, a one-paragraph executive summary, and a list of risks we should call out.',
  'We moved billing, search and notifications first; the user profile service is still inside the monolith because of shared tables.',
  'Latency improved for search by about thirty percent, but on-call load went up because we now run more deployments per week.',
  'You can reach me at jane.doe@example.com if anything is unclear, and the draft lives in the shared folder under reports.',
  'Keep the tone factual and avoid marketing language; the readers prefer tables and numbers to long paragraphs.',
].join(' ');

async function main(): Promise<void> {
  const signals = {
    jailbreak: [{ name: 'jb', include_history: true }],
    pii: [{ name: 'pii' }],
    language: [{ name: 'en' }],
    role_bindings: [{ name: 'b', role: 'admin', subjects: [{ kind: 'User', name: 'alice' }] }],
  };
  const referenced = new Set<SignalId>(['jailbreak:jb', 'pii:pii', 'language:en', 'authz:admin']);
  const pipeline = await createSignalPipeline(signals, referenced, { configDir: process.cwd() });
  const request: RequestView = {
    lastUserText: PROMPT,
    messages: [{ role: 'system', text: 'You are a helpful assistant.' }, { role: 'user', text: PROMPT }],
    headers: new Map([['x-authz-user-id', 'alice']]),
  };
  const abort = new AbortController().signal;
  for (let i = 0; i < 200; i++) await pipeline.evaluate(request, abort);
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const start = performance.now();
    await pipeline.evaluate(request, abort);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => +times[Math.floor(q * (times.length - 1))]!.toFixed(3);
  const words = PROMPT.split(/\s+/).length;
  console.log(JSON.stringify({ words, approxTokens: Math.round(words * 1.3), runs: times.length, p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99) }));
  await pipeline.close?.();
}

await main();
