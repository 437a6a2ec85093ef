import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLED_DIFFICULTY_DIR } from '../../src/classifiers/bundled-models.js';
import { parseCalibration } from '../../src/classifiers/calibration.js';
import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { difficultySignalPlugin } from '../../src/signals/difficulty.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { closed, extract, view } from '../helpers/signal-extraction.js';

const TINY_BERT = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'tiny-bert');

function configText(difficultyRules: string): string {
  return `
version: v0.1
providers:
  models:
    - name: "local"
      endpoints: [{name: "l", endpoint: "localhost:8000"}]
    - name: "cloud"
      endpoints: [{name: "c", endpoint: "localhost:8001"}]
  default_model: "local"
signals:
  difficulty:
${difficultyRules}
decisions:
  - name: "hard-route"
    rules: {type: "difficulty", name: "hard_problem"}
    modelRefs: [{model: "cloud", use_reasoning: true}]
`;
}

const COMPETITION_PROBLEM =
  'Let $a,$ $b,$ $c$ be positive real numbers such that $abc = 1.$ Find the minimum value of \\[\\frac{a^2 + b^2}{a + b} + \\frac{b^2 + c^2}{b + c}.\\]';

describe('difficulty signal through the config loader', () => {
  let config: RuntimeConfig;
  beforeAll(async () => {
    const loaded = await loadConfigText(configText('    - name: "hard_problem"\n      threshold: 0.5\n      timeout_ms: 500'), 'difficulty.yaml', { env: {} });
    if (loaded.config === undefined) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    config = loaded.config;
  });
  afterAll(async () => config.close());

  it('routes a competition problem to the decision and reports P(hard) as value and confidence', async () => {
    const signals = await config.signals.evaluate(view(COMPETITION_PROBLEM), new AbortController().signal);
    const hard = signals.get('difficulty:hard_problem');
    expect(hard?.matched).toBe(true);
    expect(hard!.value).toBeGreaterThanOrEqual(0.5);
    expect(hard!.confidence).toBe(hard!.value);
    expect(config.decisions.decide(signals)?.decision.name).toBe('hard-route');
  });

  it('leaves chit-chat and everyday coding below the threshold, with confidence 0', async () => {
    for (const prompt of ['hello, how are you today?', 'How do I reverse a list in Python?']) {
      const signals = await config.signals.evaluate(view(prompt), new AbortController().signal);
      const hard = signals.get('difficulty:hard_problem');
      expect(hard).toEqual(expect.objectContaining({ matched: false, confidence: 0 }));
      expect(hard!.value).toBeLessThan(0.5);
      expect(config.decisions.decide(signals)).toBeUndefined();
    }
  });

  it('rejects a rule without a threshold or with one outside 0..1', async () => {
    for (const rule of ['    - name: "hard_problem"', '    - name: "hard_problem"\n      threshold: 1.5']) {
      const { config: rejected, diagnostics } = await loadConfigText(configText(rule), 'difficulty.yaml', { env: {} });
      await rejected?.close();
      expect(rejected).toBeUndefined();
      expect(diagnostics.some((d) => d.severity === 'error' && /threshold/.test(d.message))).toBe(true);
    }
  });
});

describe('difficulty signal', () => {
  it('scores as the Python trainer did (parity texts in models/difficulty/config.json)', async () => {
    const configPath = path.join(BUNDLED_DIFFICULTY_DIR, 'config.json');
    const { parity_check: parity, calibration } = JSON.parse(await readFile(configPath, 'utf8')) as {
      parity_check: { text: string; p_hard: number }[];
      calibration?: unknown;
    };
    expect(parity.length).toBeGreaterThan(0);
    // The trainer printed raw P(hard); the runtime reports it through the fitted temperature (two-way softmax of logits / T).
    const { temperature } = parseCalibration(calibration, configPath);
    const calibrated = (p: number): number => 1 / (1 + Math.exp(-Math.log(p / (1 - p)) / temperature));
    await closed(await difficultySignalPlugin.create([{ name: 'd', threshold: 0.5 }], { configDir: '.' }), async (extractor) => {
      for (const { text, p_hard: expected } of parity) {
        const [result] = await extract(extractor, text);
        expect(result!.value).toBeCloseTo(calibrated(expected), 3);
      }
    });
  });

  it('applies each rule its own threshold over one classification', async () => {
    const rules = [{ name: 'any', threshold: 0 }, { name: 'never', threshold: 1 }];
    await closed(await difficultySignalPlugin.create(rules, { configDir: '.' }), async (extractor) => {
      const [any, never] = await extract(extractor, COMPETITION_PROBLEM);
      expect(any).toEqual(expect.objectContaining({ name: 'any', matched: true }));
      expect(never).toEqual(expect.objectContaining({ name: 'never', matched: false, confidence: 0 }));
      expect(never!.value).toBe(any!.value);
    });
  });

  describe('with a user model folder (model_path)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'switchyard-difficulty-'));
      // The tiny BERT fixture's labels are greeting/math; relabelled easy/hard it is a difficulty model.
      await cp(TINY_BERT, path.join(dir, 'easy-hard'), { recursive: true });
      const configPath = path.join(dir, 'easy-hard', 'config.json');
      const hfConfig = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
      await writeFile(configPath, JSON.stringify({ ...hfConfig, id2label: { 0: 'easy', 1: 'hard' }, label2id: { easy: 0, hard: 1 } }));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('runs a Hugging Face export with a "hard" label', async () => {
      await closed(await difficultySignalPlugin.create([{ name: 'd', threshold: 0.5, model_path: 'easy-hard' }], { configDir: dir }), async (extractor) => {
        expect((await extract(extractor, 'prove that the square root of 2 is irrational'))[0]!.matched).toBe(true);
        expect((await extract(extractor, 'hi how are you'))[0]!.matched).toBe(false);
      });
    });

    it('rejects a classifier without a "hard" label, naming its labels', async () => {
      await expect(difficultySignalPlugin.create([{ name: 'd', threshold: 0.5, model_path: TINY_BERT }], { configDir: dir })).rejects.toThrow(
        'difficulty rule "d": the classifier has no "hard" label (labels: greeting, math)',
      );
    });

    it('names the folder of a missing model', async () => {
      await expect(difficultySignalPlugin.create([{ name: 'd', threshold: 0.5, model_path: 'nowhere' }], { configDir: dir })).rejects.toThrow(
        `difficulty rule "d": model folder ${path.join(dir, 'nowhere')} does not exist`,
      );
    });
  });
});
