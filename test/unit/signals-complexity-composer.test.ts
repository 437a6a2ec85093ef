import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import type { RequestView } from '../../src/signals/signal.js';

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map() };
}

const CONFIG = `
version: v0.1
providers:
  models:
    - name: "local"
      endpoints: [{name: "primary", endpoint: "localhost:8000"}]
signals:
  keywords:
    - name: "math_words"
      operator: "OR"
      keywords: ["irrational", "theorem"]
  complexity:
    - name: "math_reasoning"
      threshold: 0.05
      hard:
        candidates: ["Prove that the square root of 3 is irrational", "Derive the closed form of the recurrence"]
        image_candidates: ["diagram-of-a-proof.png"]
      easy: {candidates: ["hello, how are you?", "tell me a joke"]}
      composer: {type: "keyword", name: "math_words"}
decisions:
  - name: "hard-math"
    rules: {type: "complexity", name: "math_reasoning:hard"}
    modelRefs: [{model: "local", use_reasoning: true}]
`;

describe('complexity composer (Athena composer phase)', () => {
  let config: RuntimeConfig;
  beforeAll(async () => {
    const loaded = await loadConfigText(CONFIG, 'composer.yaml', { env: {} });
    if (loaded.config === undefined) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    config = loaded.config;
  });
  afterAll(async () => config.close());

  it('runs the composer\'s signals although no decision names them', () => {
    expect(config.signals.types).toEqual(expect.arrayContaining(['keyword', 'complexity']));
  });

  it('keeps a hard level when the composer holds', async () => {
    const signals = await config.signals.evaluate(view('Show that the square root of 2 is irrational'), new AbortController().signal);
    expect(signals.get('complexity:math_reasoning:hard')?.matched).toBe(true);
    expect(config.decisions.decide(signals)?.decision.name).toBe('hard-math');
  });

  it('withdraws the level when the composer does not hold, keeping the margin', async () => {
    const signals = await config.signals.evaluate(view('Derive the closed form of the recurrence and justify it'), new AbortController().signal);
    const hard = signals.get('complexity:math_reasoning:hard');
    expect(hard?.matched).toBe(false);
    expect(hard?.value).toBeGreaterThan(0.05);
    expect(config.decisions.decide(signals)).toBeUndefined();
  });
});

describe('complexity image_candidates', () => {
  it('load with a warning at the field that says the image channel is not scored', async () => {
    const { config, diagnostics } = await loadConfigText(CONFIG, 'composer.yaml', { env: {} });
    await config?.close();
    expect(config).toBeDefined();
    const unsupported = diagnostics.filter((diagnostic) => diagnostic.code === 'SY_CFG_UNSUPPORTED');
    expect(unsupported).toHaveLength(1);
    expect(unsupported[0]).toMatchObject({ severity: 'warning', line: 17, col: 9 });
    expect(unsupported[0]?.message).toContain('hard.image_candidates are not scored');
  });
});
