/**
 * The cost–quality curves of the trained selectors on the held-out test split of routellm-evals,
 * per benchmark, against random routing, always-weak and always-strong: a JSON file, a Markdown
 * table and a plot (SVG, and PNG through rsvg-convert).
 *
 *   npx tsx training/selection/prepare-routellm.ts
 *   npx tsx eval/selection/cost-quality.ts
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svgToPng } from './svg-to-png.js';
import type { Embedder } from '../../src/classifiers/embedder.js';
import { leaseEmbedder, type ModelLease } from '../../src/signals/model-cache.js';
import { selectorEmbedder } from '../../src/selection/selector-features.js';
import { accuracyAtShare, costQualityCurve, operatingPoint, pointAtAccuracy, QUALITY_TARGET, type CurvePoint } from '../../src/selection/cost-quality-curve.js';
import { readTrainedSelector } from '../../src/selection/trained-selector.js';
import { featuresOf, marginsOf, parseExamples, TRAINED_KINDS } from '../../src/selection/train-selector.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INPUT = join(ROOT, 'training', '.cache', 'selection', 'routellm.jsonl');
const OUT = join(ROOT, 'eval', 'selection', 'results');
const KINDS = ['knn', 'kmeans', 'svm', 'mlp', 'ensemble'] as const;
/** RouteLLM's published share of GPT-4 calls at 95% of its quality (45% and 35% lower cost). */
const ROUTELLM_SHARE: Readonly<Record<string, number>> = { mmlu: 0.55, gsm8k: 0.65 };
/** The issue's targets: at most this share to the strong model at 95% of its accuracy. */
const TARGET_SHARE: Readonly<Record<string, number>> = { mmlu: 0.5, gsm8k: 0.6 };
const COLORS: Readonly<Record<string, string>> = { knn: '#1f77b4', kmeans: '#ff7f0e', svm: '#2ca02c', mlp: '#d62728', ensemble: '#9467bd', random: '#7f7f7f' };

interface SourceResult {
  readonly rows: number;
  readonly weak: number;
  readonly strong: number;
  readonly curves: Record<string, readonly CurvePoint[]>;
  readonly shareAtTarget: Record<string, number | null>;
  /** The same on the val split, where the best selector is chosen (test only reports). */
  readonly valShareAtTarget: Record<string, number | null>;
  /** Where each file's own threshold (chosen on val) lands on the test rows. */
  readonly atFileThreshold: Record<string, CurvePoint>;
  readonly chosenOnVal: string;
}

const embedders = new Map<string, ModelLease<Embedder>>();
/** The embedder each shipped file reads, by "source-kind". */
const embedderNames: Record<string, string> = {};
const allExamples = parseExamples(readFileSync(INPUT, 'utf8'), INPUT);
const results: Record<string, SourceResult> = {};

/** Share to the strong model at 95% of its accuracy for each kind's shipped file on one split of a source. */
async function sharesOn(split: string, source: string): Promise<{ rows: ReturnType<typeof parseExamples>; curves: Record<string, readonly CurvePoint[]>; shares: Record<string, number | null>; atThreshold: Record<string, CurvePoint> }> {
  const rows = allExamples.filter((example) => example.split === split && example.source === source);
  // Features per embedder the selector files read, each prompt embedded once per embedder.
  const features = new Map<string, Float32Array[]>();
  const featuresFor = async (name: string | undefined): Promise<Float32Array[]> => {
    const key = name ?? 'embedder';
    if (!embedders.has(key)) embedders.set(key, await leaseEmbedder(selectorEmbedder(key).dir));
    if (!features.has(key)) features.set(key, await featuresOf(rows, embedders.get(key)!.model));
    return features.get(key)!;
  };
  const [weakModel, strongModel] = Object.keys(rows[0]!.outcomes);
  const weak = rows.map((row) => row.outcomes[weakModel!]!);
  const strong = rows.map((row) => row.outcomes[strongModel!]!);
  const strongAccuracy = strong.reduce((a, b) => a + b, 0) / rows.length;
  const curves: Record<string, readonly CurvePoint[]> = {};
  const shares: Record<string, number | null> = {};
  const atThreshold: Record<string, CurvePoint> = {};
  for (const kind of KINDS) {
    const file = readTrainedSelector(join(ROOT, 'models', 'selection', `${source}-${kind}.json`));
    embedderNames[`${source}-${kind}`] = file.embedder ?? 'embedder';
    const predict = TRAINED_KINDS[kind]!.predictor(file.payload, {});
    const margins = marginsOf(predict, await featuresFor(file.embedder), 0, file.models.length - 1);
    const curve = costQualityCurve(margins, weak, strong);
    curves[kind] = curve;
    atThreshold[kind] = operatingPoint(margins, weak, strong, file.threshold);
    shares[kind] = pointAtAccuracy(curve, QUALITY_TARGET * strongAccuracy)?.strongShare ?? null;
  }
  return { rows, curves, shares, atThreshold };
}

for (const source of ['mmlu', 'gsm8k']) {
  const val = await sharesOn('val', source);
  const chosenOnVal = [...KINDS].sort((a, b) => (val.shares[a] ?? 1) - (val.shares[b] ?? 1))[0]!;
  const { rows, curves, shares: shareAtTarget, atThreshold } = await sharesOn('test', source);
  const [weakModel, strongModel] = Object.keys(rows[0]!.outcomes);
  const weak = rows.map((row) => row.outcomes[weakModel!]!);
  const strong = rows.map((row) => row.outcomes[strongModel!]!);
  const strongAccuracy = strong.reduce((a, b) => a + b, 0) / rows.length;
  const weakAccuracy = weak.reduce((a, b) => a + b, 0) / rows.length;
  // Random routing at share s has expected accuracy weak + s·(strong − weak): a straight line.
  curves.random = [0, 1].map((s) => ({ strongShare: s, accuracy: weakAccuracy + s * (strongAccuracy - weakAccuracy), threshold: Number.NaN }));
  shareAtTarget.random = (QUALITY_TARGET * strongAccuracy - weakAccuracy) / (strongAccuracy - weakAccuracy);
  results[source] = { rows: rows.length, weak: weakAccuracy, strong: strongAccuracy, curves, shareAtTarget, valShareAtTarget: val.shares, atFileThreshold: atThreshold, chosenOnVal };
}
for (const embedder of embedders.values()) embedder.release();

function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(100 * value).toFixed(1)}%`;
}

const lines: string[] = [];
for (const [source, result] of Object.entries(results)) {
  lines.push(`### ${source.toUpperCase()} (test split, ${result.rows} prompts; always-weak ${pct(result.weak)}, always-strong ${pct(result.strong)}, 95% target ${pct(QUALITY_TARGET * result.strong)})`, '');
  lines.push(`| strong share | always-weak | always-strong | ${['random', ...KINDS].join(' | ')} |`, `|---|---|---|${['random', ...KINDS].map(() => '---').join('|')}|`);
  for (const share of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
    lines.push(`| ${pct(share)} | ${share === 0 ? pct(result.weak) : '—'} | ${share === 1 ? pct(result.strong) : '—'} | ${['random', ...KINDS].map((kind) => pct(accuracyAtShare(result.curves[kind]!, share))).join(' | ')} |`);
  }
  lines.push(
    `| **share at 95%** (target ≤ ${pct(TARGET_SHARE[source])}, RouteLLM ${pct(ROUTELLM_SHARE[source])}) | 0% (${pct(result.weak / result.strong)} of strong) | 100% | ${['random', ...KINDS].map((kind) => `**${pct(result.shareAtTarget[kind])}**`).join(' | ')} |`,
    `| share at 95% on val (chooses the selector) | — | — | — | ${KINDS.map((kind) => pct(result.valShareAtTarget[kind])).join(' | ')} |`,
    `| test at the file's threshold (chosen on val): share → accuracy (of strong) | — | — | — | ${KINDS.map((kind) => `${pct(result.atFileThreshold[kind]!.strongShare)} → ${pct(result.atFileThreshold[kind]!.accuracy)} (${pct(result.atFileThreshold[kind]!.accuracy / result.strong)})`).join(' | ')} |`,
    '',
    `Chosen on val: **${result.chosenOnVal}** (${embedderNames[`${source}-${result.chosenOnVal}`]} features): on the test curve ${pct(result.shareAtTarget[result.chosenOnVal])} of prompts to the strong model at 95% of its accuracy; at its own threshold, chosen on val, ${pct(result.atFileThreshold[result.chosenOnVal]!.strongShare)} of test prompts go to the strong model for ${pct(result.atFileThreshold[result.chosenOnVal]!.accuracy / result.strong)} of its accuracy.`,
    '',
  );
}

/** One plot per benchmark, side by side: accuracy against share sent to the strong model. */
function svg(): string {
  const width = 460;
  const height = 340;
  const pad = { left: 56, right: 16, top: 36, bottom: 48 };
  const panels = Object.entries(results).map(([source, result], p) => {
    const low = Math.floor((result.weak - 0.02) * 20) / 20;
    const high = Math.ceil((result.strong + 0.02) * 20) / 20;
    const x = (share: number): number => p * width + pad.left + share * (width - pad.left - pad.right);
    const y = (accuracy: number): number => pad.top + (1 - (accuracy - low) / (high - low)) * (height - pad.top - pad.bottom);
    const parts: string[] = [`<text x="${p * width + width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${source.toUpperCase()} (held-out test, ${result.rows} prompts)</text>`];
    for (let tick = 0; tick <= 10; tick += 2) parts.push(`<line x1="${x(tick / 10)}" y1="${y(low)}" x2="${x(tick / 10)}" y2="${y(high)}" stroke="#eee"/><text x="${x(tick / 10)}" y="${y(low) + 16}" text-anchor="middle" font-size="11">${tick * 10}%</text>`);
    for (let a = low; a <= high + 1e-9; a += 0.05) parts.push(`<line x1="${x(0)}" y1="${y(a)}" x2="${x(1)}" y2="${y(a)}" stroke="#eee"/><text x="${x(0) - 6}" y="${y(a) + 4}" text-anchor="end" font-size="11">${(a * 100).toFixed(0)}%</text>`);
    parts.push(`<line x1="${x(0)}" y1="${y(QUALITY_TARGET * result.strong)}" x2="${x(1)}" y2="${y(QUALITY_TARGET * result.strong)}" stroke="#000" stroke-dasharray="4 3"/><text x="${x(1) - 4}" y="${y(QUALITY_TARGET * result.strong) - 4}" text-anchor="end" font-size="10">95% of strong</text>`);
    parts.push(`<line x1="${x(TARGET_SHARE[source]!)}" y1="${y(low)}" x2="${x(TARGET_SHARE[source]!)}" y2="${y(high)}" stroke="#8c564b" stroke-dasharray="2 3"/><text x="${x(TARGET_SHARE[source]!) + 3}" y="${y(high) + 12}" font-size="10" fill="#8c564b">target share</text>`);
    for (const kind of ['random', ...KINDS]) {
      const points = result.curves[kind]!.map((point) => `${x(point.strongShare).toFixed(1)},${y(point.accuracy).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${COLORS[kind]}" stroke-width="${kind === 'random' ? 1 : 1.6}" ${kind === 'random' ? 'stroke-dasharray="5 4"' : ''} points="${points}"/>`);
    }
    // Always-weak and always-strong: one operating point each, drawn with their accuracy level across the plot.
    parts.push(`<line x1="${x(0)}" y1="${y(result.weak)}" x2="${x(1)}" y2="${y(result.weak)}" stroke="#000" stroke-width="0.8" stroke-dasharray="1 3"/><circle cx="${x(0)}" cy="${y(result.weak)}" r="4" fill="#000"/><text x="${x(0) + 6}" y="${y(result.weak) + 14}" font-size="10">always weak (${pct(result.weak)})</text>`);
    parts.push(`<line x1="${x(0)}" y1="${y(result.strong)}" x2="${x(1)}" y2="${y(result.strong)}" stroke="#000" stroke-width="0.8" stroke-dasharray="1 3"/><circle cx="${x(1)}" cy="${y(result.strong)}" r="4" fill="#000"/><text x="${x(1) - 6}" y="${y(result.strong) + 14}" text-anchor="end" font-size="10">always strong (${pct(result.strong)})</text>`);
    const chosen = result.atFileThreshold[result.chosenOnVal]!;
    parts.push(`<circle cx="${x(chosen.strongShare)}" cy="${y(chosen.accuracy)}" r="4" fill="none" stroke="${COLORS[result.chosenOnVal]}" stroke-width="2"/><text x="${x(chosen.strongShare) + 6}" y="${y(chosen.accuracy) + 14}" font-size="10">${result.chosenOnVal} at its val threshold</text>`);
    parts.push(`<text x="${p * width + width / 2}" y="${height - 8}" text-anchor="middle" font-size="12">share of prompts sent to GPT-4 (cost)</text>`);
    parts.push(`<text transform="translate(${p * width + 14},${height / 2}) rotate(-90)" text-anchor="middle" font-size="12">accuracy</text>`);
    return parts.join('\n');
  });
  const legend = ['random', ...KINDS].map((kind, i) => `<rect x="${24 + i * 100}" y="${height + 6}" width="14" height="4" fill="${COLORS[kind]}"/><text x="${42 + i * 100}" y="${height + 12}" font-size="12">${kind}</text>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * 2}" height="${height + 24}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>\n${panels.join('\n')}\n${legend}\n</svg>\n`;
}

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'cost-quality.json'), `${JSON.stringify(results, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value))}\n`);
writeFileSync(join(OUT, 'cost-quality.md'), `${lines.join('\n')}\n`);
writeFileSync(join(OUT, 'cost-quality.svg'), svg());
svgToPng(join(OUT, 'cost-quality.svg'), join(OUT, 'cost-quality.png'));
process.stdout.write(`${lines.join('\n')}\n`);
