/**
 * Learning online, simulated: the val split of routellm-evals (held out from the trained
 * selectors' training) is replayed as a feedback stream, and after every checkpoint the learned
 * policy is scored on the test split against the best trained selector at the same share of
 * strong-model calls. `elo` gets each prompt's pairwise outcome (which of the two models answered
 * right, or a tie); `rl_driven` gets only the outcome of the model it chose (bandit feedback), with
 * one decision per MMLU subject and one for GSM8K, as a domain-routed config would have.
 *
 *   npx tsx eval/selection/online-learning.ts
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svgToPng } from './svg-to-png.js';
import type { ModelTarget } from '../../src/config/runtime-config.js';
import { accuracyAtShare, type CurvePoint } from '../../src/selection/cost-quality-curve.js';
import { eloSelection, type EloParameters } from '../../src/selection/elo.js';
import type { Feedback } from '../../src/selection/feedback.js';
import { rlDrivenSelection, type RlDrivenParameters } from '../../src/selection/rl-driven.js';
import type { SelectionCandidate, SelectorBuildContext } from '../../src/selection/selection-algorithm.js';
import { MemorySelectionState } from '../../src/selection/selection-state.js';
import { LatencyWindows } from '../../src/selection/latency-windows.js';
import { parseExamples, type SelectorExample } from '../../src/selection/train-selector.js';
import { seededRandom } from '../../src/seeded-random.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INPUT = join(ROOT, 'training', '.cache', 'selection', 'routellm.jsonl');
const OUT = join(ROOT, 'eval', 'selection', 'results');
const CURVES = join(OUT, 'cost-quality.json');
const EVENTS = 2000;
const CHECKPOINTS = [100, 250, 500, 1000, 1500, 2000];
/** Mixtral-8x7B ($0.6 + $0.6 per 1M) over GPT-4-1106 ($10 + $30 per 1M). */
const WEAK_COST = 1.2 / 40;

const target = (name: string): ModelTarget => ({ name, endpoints: [], capabilities: [] });
const all = parseExamples(readFileSync(INPUT, 'utf8'), INPUT);
const [WEAK, STRONG] = Object.keys(all[0]!.outcomes) as [string, string];
const candidates: SelectionCandidate[] = [
  { ref: { model: WEAK, useReasoning: false }, target: target(WEAK), relativeCost: WEAK_COST },
  { ref: { model: STRONG, useReasoning: false }, target: target(STRONG), relativeCost: 1 },
];
const categoryOf = (example: SelectorExample): string => example.category ?? example.source;
const random = seededRandom(7);
/** Draws of the policies while they are scored on test rows, apart from the replay's. */
const scoringRandom = seededRandom(11);
const stream = all.filter((example) => example.split === 'val').sort(() => random() - 0.5).slice(0, EVENTS);
const test = all.filter((example) => example.split === 'test');
const offline = JSON.parse(readFileSync(CURVES, 'utf8')) as Record<string, { curves: Record<string, CurvePoint[]>; shareAtTarget: Record<string, number | null> }>;

function context(state: MemorySelectionState, decision: string): SelectorBuildContext {
  return {
    decision,
    candidates,
    onError: 'skip',
    state,
    latency: new LatencyWindows(),
    embed: () => Promise.reject(new Error('not used')),
    configDir: ROOT,
    ml: { modelsPath: undefined, embeddingDim: undefined },
    component: () => Promise.reject(new Error('not used')),
  };
}

/** A policy's share of strong calls and accuracy on the test rows of one source. */
function score(rows: readonly SelectorExample[], choose: (example: SelectorExample) => number): { share: number; accuracy: number } {
  let strong = 0;
  let correct = 0;
  for (const row of rows) {
    const index = choose(row);
    strong += index;
    correct += row.outcomes[index === 1 ? STRONG : WEAK]!;
  }
  return { share: strong / rows.length, accuracy: correct / rows.length };
}

/** The best trained selector's accuracy at a share, on the same test rows. */
function offlineAt(source: string, share: number): { kind: string; accuracy: number } {
  const curves = offline[source]!.curves;
  return Object.entries(curves)
    .filter(([kind]) => kind !== 'random')
    .map(([kind, curve]) => ({ kind, accuracy: accuracyAtShare(curve, share) }))
    .sort((a, b) => b.accuracy - a.accuracy)[0]!;
}

interface Checkpoint {
  readonly events: number;
  readonly source: string;
  readonly share: number;
  readonly accuracy: number;
  readonly offline: number;
  readonly offlineKind: string;
  readonly gap: number;
}

function outcomeFeedback(example: SelectorExample, decision: string): Feedback {
  const weak = example.outcomes[WEAK]!;
  const strong = example.outcomes[STRONG]!;
  const tie = weak === strong;
  const winner = tie || strong > weak ? STRONG : WEAK;
  return {
    decision,
    category: categoryOf(example),
    userId: undefined,
    pair: { winner, loser: winner === STRONG ? WEAK : STRONG, tie },
    rewards: [
      { model: WEAK, reward: weak },
      { model: STRONG, reward: strong },
    ],
  };
}

function runElo(costScaling: number): Checkpoint[] {
  const state = new MemorySelectionState();
  const parameters: EloParameters = { ...eloSelection.defaults, cost_scaling_factor: costScaling } as EloParameters;
  const selector = eloSelection.create(parameters, context(state, 'routellm')) as ReturnType<typeof eloSelection.create> & { select: (r: never, c: never) => { index: number } };
  const checkpoints: Checkpoint[] = [];
  stream.forEach((example, i) => {
    state.applyNow(eloSelection.learn!(parameters, outcomeFeedback(example, 'routellm'), () => 0));
    if (CHECKPOINTS.includes(i + 1)) checkpoints.push(...evaluate(i + 1, (row) => (selector as { select: Function }).select({ decision: 'routellm', category: categoryOf(row), userId: undefined, text: row.prompt, embedding: undefined, random: scoringRandom }, candidates).index));
  });
  return checkpoints;
}

function runBandit(costWeight: number): Checkpoint[] {
  const state = new MemorySelectionState();
  const parameters: RlDrivenParameters = { ...rlDrivenSelection.defaults, cost_weight: costWeight, use_router_r1_rewards: false, enable_personalization: false } as RlDrivenParameters;
  const selectors = new Map<string, { select: Function }>();
  const selectorOf = (decision: string): { select: Function } => {
    let selector = selectors.get(decision);
    if (selector === undefined) selectors.set(decision, (selector = rlDrivenSelection.create(parameters, context(state, decision)) as { select: Function }));
    return selector;
  };
  const checkpoints: Checkpoint[] = [];
  stream.forEach((example, i) => {
    const decision = categoryOf(example);
    const chosen = selectorOf(decision).select({ decision, category: decision, userId: undefined, text: example.prompt, embedding: undefined, random }, candidates).index as number;
    const model = chosen === 1 ? STRONG : WEAK;
    const feedback: Feedback = { decision, category: decision, userId: undefined, pair: undefined, rewards: [{ model, reward: example.outcomes[model]! }] };
    state.applyNow(rlDrivenSelection.learn!(parameters, feedback, () => 0));
    // Scored as it serves: each test request gets its own Thompson draw (from a separate random
    // stream, so scoring does not change the replay), not the posterior means.
    if (CHECKPOINTS.includes(i + 1)) {
      checkpoints.push(...evaluate(i + 1, (row) => selectorOf(categoryOf(row)).select({ decision: categoryOf(row), category: categoryOf(row), userId: undefined, text: row.prompt, embedding: undefined, random: scoringRandom }, candidates).index as number));
    }
  });
  return checkpoints;
}

function evaluate(events: number, choose: (row: SelectorExample) => number): Checkpoint[] {
  return ['mmlu', 'gsm8k'].map((source) => {
    const { share, accuracy } = score(test.filter((row) => row.source === source), choose);
    const best = offlineAt(source, share);
    return { events, source, share, accuracy, offline: best.accuracy, offlineKind: best.kind, gap: best.accuracy - accuracy };
  });
}

const runs: Record<string, Checkpoint[]> = {};
for (const c of [0, 0.05, 0.1, 0.2]) runs[`elo cost_scaling_factor=${c}`] = runElo(c);
for (const w of [0, 0.1, 0.2, 0.3]) runs[`rl_driven cost_weight=${w}`] = runBandit(w);

const pct = (value: number): string => `${(100 * value).toFixed(1)}`;
const lines = ['| run | source | events | strong share | online acc | best offline acc at that share | gap (points) |', '|---|---|---|---|---|---|---|'];
for (const [name, checkpoints] of Object.entries(runs)) {
  for (const point of checkpoints.filter((p) => p.events === 500 || p.events === EVENTS)) {
    lines.push(`| ${name} | ${point.source} | ${point.events} | ${pct(point.share)}% | ${pct(point.accuracy)}% | ${pct(point.offline)}% (${point.offlineKind}) | ${(100 * point.gap).toFixed(1)} |`);
  }
}

/** Gap to the offline selector against feedback events, one line per run, one panel per source. */
function svg(): string {
  const width = 460;
  const height = 320;
  const pad = { left: 50, right: 16, top: 34, bottom: 44 };
  const colors = ['#1f77b4', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896'];
  const panels = ['mmlu', 'gsm8k'].map((source, p) => {
    const x = (events: number): number => p * width + pad.left + (events / EVENTS) * (width - pad.left - pad.right);
    const y = (gap: number): number => pad.top + ((0.2 - gap) / 0.25) * (height - pad.top - pad.bottom);
    const parts = [`<text x="${p * width + width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${source.toUpperCase()}: offline minus online accuracy, equal cost</text>`];
    for (const gap of [-0.05, 0, 0.05, 0.1, 0.15, 0.2]) parts.push(`<line x1="${x(0)}" y1="${y(gap)}" x2="${x(EVENTS)}" y2="${y(gap)}" stroke="${gap === 0.05 ? '#000' : '#eee'}" ${gap === 0.05 ? 'stroke-dasharray="4 3"' : ''}/><text x="${x(0) - 6}" y="${y(gap) + 4}" text-anchor="end" font-size="11">${(gap * 100).toFixed(0)}</text>`);
    for (const events of [0, 500, 1000, 1500, 2000]) parts.push(`<text x="${x(events)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11">${events}</text>`);
    Object.entries(runs).forEach(([, checkpoints], r) => {
      const points = checkpoints.filter((point) => point.source === source).map((point) => `${x(point.events).toFixed(1)},${y(Math.max(-0.05, Math.min(0.2, point.gap))).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${colors[r]}" stroke-width="1.6" points="${points}"/>`);
    });
    parts.push(`<text x="${p * width + width / 2}" y="${height - 8}" text-anchor="middle" font-size="12">feedback events</text>`);
    parts.push(`<text transform="translate(${p * width + 14},${height / 2}) rotate(-90)" text-anchor="middle" font-size="12">gap (points); dashed = 5</text>`);
    return parts.join('\n');
  });
  const legend = Object.keys(runs).map((name, r) => `<rect x="${20 + (r % 4) * 230}" y="${height + 6 + Math.floor(r / 4) * 16}" width="14" height="4" fill="${colors[r]}"/><text x="${38 + (r % 4) * 230}" y="${height + 12 + Math.floor(r / 4) * 16}" font-size="11">${name}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * 2}" height="${height + 44}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>\n${panels.join('\n')}\n${legend.join('\n')}\n</svg>\n`;
}

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'online-learning.json'), `${JSON.stringify(runs)}\n`);
writeFileSync(join(OUT, 'online-learning.md'), `${lines.join('\n')}\n`);
writeFileSync(join(OUT, 'online-learning.svg'), svg());
svgToPng(join(OUT, 'online-learning.svg'), join(OUT, 'online-learning.png'));
process.stdout.write(`${lines.join('\n')}\n`);
