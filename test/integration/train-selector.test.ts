import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import type { Embedder } from '../../src/classifiers/embedder.js';
import { leaseEmbedder } from '../../src/signals/model-cache.js';
import type { RecentEmbeddings } from '../../src/signals/recent-embeddings.js';
import { cli } from '../helpers/run-cli.js';

/** Prompts the strong model alone answers (maths) and prompts both answer (small talk). */
const HARD = ['Solve the integral of x squared times sine of x', 'Prove that the square root of two is irrational', 'Find the eigenvalues of this three by three matrix', 'Compute the derivative of the natural logarithm of cosine x', 'How many prime numbers are there below one thousand', 'Solve the system of linear equations for x and y'];
const EASY = ['Hello, how are you today?', 'What a lovely morning it is', 'Thanks so much for your help!', 'Good night, talk to you tomorrow', 'I really like your new haircut', 'Have a great weekend with your family'];

function examples(): string {
  const rows: string[] = [];
  const splits = ['train', 'train', 'train', 'train', 'val', 'test'];
  HARD.forEach((prompt, i) => rows.push(JSON.stringify({ prompt, source: 'demo', split: splits[i], outcomes: { weak: 0, strong: 1 } })));
  EASY.forEach((prompt, i) => rows.push(JSON.stringify({ prompt, source: 'demo', split: splits[i], outcomes: { weak: 1, strong: 1 } })));
  return `${rows.join('\n')}\n`;
}

function configFor(file: string, algorithm = `{type: "knn", knn: {pretrained_path: "${file}", k: 1}}`): string {
  return `version: v0.1
providers:
  models:
    - {name: "weak", endpoints: [{name: "a", endpoint: "localhost:8001"}], pricing: {prompt_per_1m: 1, completion_per_1m: 1}}
    - {name: "strong", endpoints: [{name: "b", endpoint: "localhost:8002"}], pricing: {prompt_per_1m: 10, completion_per_1m: 10}}
signals:
  keywords: [{name: "any", operator: "OR", keywords: ["the", "a", "you", "how", "your", "prime", "solve"]}]
decisions:
  - name: "general"
    rules: {type: "keyword", name: "any"}
    modelRefs: [{model: "weak", use_reasoning: false}, {model: "strong", use_reasoning: false}]
    algorithm: ${algorithm}
`;
}

async function routedSelection(config: RuntimeConfig, content: string): Promise<{ model: string; reason: string } | undefined> {
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }));
  const result = await routeChatCompletion(config, body, new Map(), new AbortController().signal);
  return result.kind === 'routed' ? result.trace.selection : undefined;
}

async function routedModel(config: RuntimeConfig, content: string): Promise<string | undefined> {
  return (await routedSelection(config, content))?.model;
}

describe('switchyard train-selector with the sentence encoder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-train-'));
    await writeFile(path.join(dir, 'examples.jsonl'), examples());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file that names its embedder and a model card, and the runtime reads the same encoder', async () => {
    const out = path.join(dir, 'demo-knn.json');
    const run = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'knn', '--k', '1', '--embedder', 'use-lite', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const file = JSON.parse(await readFile(out, 'utf8')) as { embedder: string; feature_length: number };
    expect(file.embedder).toBe('use-lite');
    expect(file.feature_length).toBe(512 + 10);
    const card = await readFile(path.join(dir, 'demo-knn.md'), 'utf8');
    expect(card).toContain('--embedder use-lite');
    expect(card).toContain('Universal Sentence Encoder Lite');

    // Threshold 0.5 in the config: two val rows cannot place the file's own (here they tie, so it is -1).
    const { config, diagnostics } = await loadConfigText(configFor(out, `{type: "knn", knn: {pretrained_path: "${out}", k: 1, threshold: 0.5}}`), path.join(dir, 'config.yaml'), { env: {}, configDir: dir });
    expect(diagnostics).toEqual([]);
    try {
      expect(config!.selection!.forDecision('general')!.selector.embedderDir).toBe(BUNDLED_ENCODER_DIR);
      // Training prompts: the prototype each stands in (k: 1) decides. (A 32-dimension projection
      // of eight prompts is too coarse to place unseen paraphrases reliably.)
      for (const prompt of HARD.slice(0, 4)) expect(await routedModel(config!, prompt)).toBe('strong');
      for (const prompt of EASY.slice(0, 4)) expect(await routedModel(config!, prompt)).toBe('weak');
    } finally {
      await config?.close();
    }
  });

  it('trains several kinds from one embedding pass, each file and card named after its kind', async () => {
    const run = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'kmeans,mlp', '--out', path.join(dir, 'demo-{algorithm}.json'));
    expect(run.code).toBe(0);
    for (const kind of ['kmeans', 'mlp']) {
      const file = JSON.parse(await readFile(path.join(dir, `demo-${kind}.json`), 'utf8')) as { kind: string; embedder: string; feature_length: number };
      expect(file).toMatchObject({ kind, embedder: 'embedder' });
      expect(await readFile(path.join(dir, `demo-${kind}.md`), 'utf8')).toContain(`# Trained ${kind} selector`);
    }
    const unnamed = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'kmeans,mlp', '--out', path.join(dir, 'one.json'));
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain('--out must contain {algorithm}');
  });

  it('refuses an unknown embedder', async () => {
    const run = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'knn', '--embedder', 'bert', '--out', path.join(dir, 'x.json'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown selector embedder "bert" (known: embedder, use-lite)');
  });
});

describe('an ensemble selector from switchyard train-selector', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-ensemble-'));
    await writeFile(path.join(dir, 'examples.jsonl'), examples());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fits its members on train, weighs them on val, records both in the file and card, and routes', async () => {
    const out = path.join(dir, 'demo-ensemble.json');
    const run = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'ensemble', '--members', 'knn,mlp', '--k', '1', '--embedder', 'use-lite', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const file = JSON.parse(await readFile(out, 'utf8')) as { kind: string; payload: { members: { kind: string; weight: number }[] }; training: { candidates: string[]; weights: Record<string, number> } };
    expect(file.kind).toBe('ensemble');
    expect(file.training.candidates).toEqual(['knn', 'mlp']);
    const members = file.payload.members;
    expect(members.length).toBeGreaterThan(0);
    expect(members.every((member) => ['knn', 'mlp'].includes(member.kind) && member.weight > 0)).toBe(true);
    expect(members.reduce((sum, member) => sum + member.weight, 0)).toBeCloseTo(1, 9);
    const card = await readFile(path.join(dir, 'demo-ensemble.md'), 'utf8');
    expect(card).toContain('# Trained ensemble selector');
    expect(card).toContain('"weights"');

    const { config, diagnostics } = await loadConfigText(configFor(out, `{type: "ensemble", ensemble: {pretrained_path: "${out}"}}`), path.join(dir, 'config.yaml'), { env: {}, configDir: dir });
    expect(diagnostics).toEqual([]);
    try {
      // The val rows its weights and threshold were chosen on: the threshold separates them.
      expect(await routedModel(config!, HARD[4]!)).toBe('strong');
      expect(await routedModel(config!, EASY[4]!)).toBe('weak');
    } finally {
      await config?.close();
    }
  });

  it('refuses members it does not know and a set without val rows', async () => {
    const unknown = await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'ensemble', '--members', 'knn,forest', '--out', path.join(dir, 'x.json'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ensemble members must be among knn, kmeans, svm, mlp (got knn, forest)');
    const noVal = path.join(dir, 'no-val.jsonl');
    await writeFile(noVal, examples().replaceAll('"split":"val"', '"split":"train"'));
    const run = await cli('train-selector', '--input', noVal, '--algorithm', 'ensemble', '--out', path.join(dir, 'y.json'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('an ensemble needs rows with split "val"');
  });
});

describe('a trained selector reads the embedding the signals computed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-shared-embedding-'));
    await writeFile(path.join(dir, 'examples.jsonl'), examples());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('embeds a routed request text once for an embedding signal and the selector together', async () => {
    const out = path.join(dir, 'demo-knn.json');
    expect((await cli('train-selector', '--input', path.join(dir, 'examples.jsonl'), '--algorithm', 'knn', '--embedder', 'use-lite', '--out', out)).code).toBe(0);
    const text = `${configFor(out)}signals:
  embeddings: [{name: "maths", threshold: 0.5, candidates: ["Solve this equation", "Prove the theorem"]}]
`.replace(/signals:\n  keywords: .*\n/, '').replace('rules: {type: "keyword", name: "any"}', 'rules: {type: "embedding", name: "maths"}');
    const { config, diagnostics } = await loadConfigText(text, path.join(dir, 'config.yaml'), { env: {}, configDir: dir });
    expect(diagnostics).toEqual([]);
    // The encoder the signal and the selector share, its real inner model wrapped to count the texts it embeds.
    const lease = await leaseEmbedder(BUNDLED_ENCODER_DIR);
    const inner = (lease.model as RecentEmbeddings).inner;
    const embed = inner.embed.bind(inner);
    const embedded: string[] = [];
    inner.embed = (texts: readonly string[]): ReturnType<Embedder['embed']> => {
      embedded.push(...texts);
      return embed(texts);
    };
    try {
      const prompt = 'Solve the equation for the number of apples left after lunch';
      const selection = await routedSelection(config!, prompt);
      expect(selection?.reason).toMatch(/^predicted quality/);
      expect(embedded.filter((seen) => seen === prompt)).toHaveLength(1);
    } finally {
      inner.embed = embed;
      lease.release();
      await config?.close();
    }
  });
});
