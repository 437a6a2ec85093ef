import { loadConfigText } from '../../../src/config/load.js';
import { routeChatCompletion } from '../../../src/router/route-request.js';
import type { RuntimeConfig } from '../../../src/config/runtime-config.js';

/** Two priced models and one decision whose algorithm block is `algorithm` (YAML, indented 4). */
function configWith(algorithm: string, extra = '', refs = '[{model: "cheap", use_reasoning: false}, {model: "strong", use_reasoning: false}]'): string {
  return `version: v0.1
providers:
  models:
    - name: "cheap"
      endpoints: [{name: "a", endpoint: "localhost:8001"}]
      pricing: {prompt_per_1m: 0.5, completion_per_1m: 1.5}
      quality_score: 0.6
      description: "fast small model for chit-chat and simple questions"
    - name: "strong"
      endpoints: [{name: "b", endpoint: "localhost:8002"}]
      pricing: {prompt_per_1m: 10, completion_per_1m: 30}
      quality_score: 0.9
      description: "large model for mathematics proofs and hard reasoning"
signals:
  keywords:
    - {name: "any", operator: "OR", keywords: ["the"]}
decisions:
  - name: "general"
    rules: {type: "keyword", name: "any"}
    modelRefs: ${refs}
${algorithm}${extra}`;
}

async function load(text: string): Promise<{ config: RuntimeConfig | undefined; lines: string[] }> {
  const { config, diagnostics } = await loadConfigText(text, 'sel.yaml', { env: {} });
  return { config, lines: diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code} ${d.message}`) };
}

async function route(config: RuntimeConfig, random: () => number = Math.random): Promise<Map<string, string>> {
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'what is the answer' }] }));
  const result = await routeChatCompletion(config, body, new Map(), new AbortController().signal, random);
  if (result.kind !== 'routed') throw new Error(`not routed: ${result.kind}`);
  return new Map(result.responseHeaders);
}

describe('decisions[].algorithm and model_selection', () => {
  it('refuses an unknown algorithm type at its line, listing the known names', async () => {
    const { config, lines } = await load(configWith('    algorithm: {type: "bogus_algo"}\n'));
    expect(config).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^21:\d+ error SY_CFG_SCHEMA decisions\[0\]\.algorithm\.type must be one of "static", "weighted", "latency_aware", "elo", "rl_driven"/);
    expect(lines[0]).toContain('"thompson"');
  });

  it("accepts Athena's runtime and CLI spellings for the same algorithm", async () => {
    for (const type of ['rl_driven', 'thompson']) {
      const { config, lines } = await load(configWith(`    algorithm: {type: "${type}", on_error: "skip"}\n`));
      expect(lines).toEqual([]);
      expect(config?.selection?.forDecision('general')?.algorithm).toBe('rl_driven');
      await config?.close();
    }
  });

  it('locates an unknown parameter, a bad value and a block for another algorithm', async () => {
    const { config, lines } = await load(configWith('    algorithm:\n      type: "elo"\n      elo: {k_factor: -1, kfactor: 3}\n      automix: {verification_threshold: 0.5}\n'));
    expect(config).toBeUndefined();
    expect(lines.some((line) => line.startsWith('23:') && line.includes('unknown key "kfactor"'))).toBe(true);
    expect(lines.some((line) => line.startsWith('23:') && line.includes('k_factor must be > 0'))).toBe(true);
  });

  it('refuses parameters of another algorithm, naming the right block', async () => {
    const { config, lines } = await load(configWith('    algorithm:\n      type: "elo"\n      automix: {verification_threshold: 0.5}\n'));
    expect(config).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^23:7 error SY_CFG_SCHEMA "automix" parameters do not apply to algorithm "elo" of decision "general"; use "elo:"/)]);
  });

  it('warns at each written parameter that cannot act (AutoMix cascade knobs are not dropped silently)', async () => {
    const { config, lines } = await load(configWith('    algorithm:\n      type: "automix"\n      automix: {verification_threshold: 0.8, max_escalations: 3, discount_factor: 0.9}\n'));
    expect(config).toBeDefined();
    expect(lines).toEqual([
      expect.stringMatching(/^23:\d+ warning SY_CFG_UNSUPPORTED automix\.max_escalations is accepted but ignored/),
      expect.stringMatching(/^23:\d+ warning SY_CFG_UNSUPPORTED automix\.discount_factor is accepted but ignored/),
    ]);
    await config?.close();
  });

  it('compiles the confidence cascade and the looper section, warning at the keys that only Athena\'s Envoy round trip reads', async () => {
    const { config, lines } = await load(
      configWith(
        '    algorithm:\n      type: "confidence"\n      confidence: {confidence_method: "margin", threshold: 0.4, escalation_order: "cost", cost_quality_tradeoff: 0.3}\n',
        'looper:\n  endpoint: "http://localhost:8899/v1/chat/completions"\n  timeout_seconds: 5\n  retry_count: 2\n  headers: {x-team: "a"}\n',
      ),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^23:\d+ warning SY_CFG_UNSUPPORTED confidence\.cost_quality_tradeoff is accepted but ignored/),
      expect.stringMatching(/^25:3 warning SY_CFG_UNSUPPORTED looper\.endpoint is accepted but ignored: Switchyard calls the decision's model endpoints itself/),
    ]);
    expect(config?.selection?.forDecision('general')?.algorithm).toBe('confidence');
    expect(config?.selection?.looper).toEqual({ timeoutMs: 5000, retryCount: 2, headers: [['x-team', 'a']] });
    await config?.close();
  });

  it('refuses a cascade threshold its method can never reach, a lone modelRef, and bad looper parameters, each at its line', async () => {
    expect((await load(configWith('    algorithm: {type: "confidence", confidence: {threshold: 0.5}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA algorithm confidence of decision "general": threshold 0.5 can never be reached/),
    ]);
    expect((await load(configWith('    algorithm: {type: "confidence", confidence: {confidence_method: "hybrid", threshold: 1.5}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA .*threshold 1.5 is outside 0\.\.1/),
    ]);
    expect((await load(configWith('    algorithm: {type: "confidence"}\n', '', '[{model: "cheap", use_reasoning: false}]'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA .*needs at least two modelRefs/),
    ]);
    expect((await load(configWith('    algorithm: {type: "remom", remom: {synthesis_template: "{{range .Answers}}x{{end}}"}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA algorithm remom of decision "general": unsupported "\{\{range \.Answers\}\}": a synthesis template ranges over \.ReferenceResponses/),
    ]);
    expect((await load(configWith('    algorithm: {type: "remom", remom: {synthesis_template: "{{.Question}}"}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA .*unknown field \.Question/),
    ]);
    expect((await load(configWith('    algorithm: {type: "remom", remom: {breadth_schedule: [], rounds: 2}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:\d+ error SY_CFG_SCHEMA .*breadth_schedule must (NOT have fewer than|have at least) 1 item/),
      expect.stringMatching(/^21:\d+ error SY_CFG_SCHEMA .*unknown key "rounds"/),
    ]);
    expect((await load(configWith('    algorithm: {type: "remom", remom: {compaction_tokens: 200}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:\d+ warning SY_CFG_UNSUPPORTED remom\.compaction_tokens is accepted but ignored: answers are compacted only under compaction_strategy: last_n_tokens/),
    ]);
    expect((await load(configWith('    algorithm: {type: "concurrent", concurrent: {max_concurrent: 0}}\n'))).lines).toEqual([
      expect.stringMatching(/^21:\d+ error SY_CFG_SCHEMA .*max_concurrent must be >= 1/),
    ]);
    expect((await load(configWith('    algorithm: {type: "sequential"}\n', '', '[{model: "cheap", use_reasoning: false}]'))).lines).toEqual([
      expect.stringMatching(/^21:5 error SY_CFG_SCHEMA .*a sequential looper needs at least two modelRefs/),
    ]);
    expect((await load(configWith('    algorithm: {type: "confidence"}\n', 'looper: {retry_count: -1, bogus: 1}\n'))).lines).toEqual([
      expect.stringMatching(/^22:\d+ error SY_CFG_SCHEMA looper\.retry_count must be >= 0/),
      expect.stringMatching(/^22:\d+ error SY_CFG_SCHEMA .*unknown key "bogus"/),
    ]);
  });

  it('route output shows the cascade plan without calling any model', async () => {
    const { config } = await load(configWith('    algorithm: {type: "confidence", confidence: {escalation_order: "cost"}}\n', '', '[{model: "strong", use_reasoning: false}, {model: "cheap", use_reasoning: false}]'));
    const trace = config!.selection!.forDecision('general')!.selector.select({ decision: 'general', category: 'general', userId: undefined, text: 'x', embedding: undefined, random: Math.random }, config!.selection!.forDecision('general')!.candidates);
    expect(trace).toEqual({ index: 1, reason: 'cascade cheap -> strong, escalating when avg_logprob < -1' });
    await config?.close();
  });

  it('hybrid weights must sum to 1', async () => {
    const { lines } = await load(configWith('    algorithm: {type: "hybrid", hybrid: {elo_weight: 0.9}}\n'));
    expect(lines).toEqual([expect.stringMatching(/^21:5 error SY_CFG_SCHEMA algorithm hybrid of decision "general": hybrid weights must sum to 1/)]);
  });

  it('a trained selector without its file is an error at the algorithm', async () => {
    const { lines } = await load(configWith('    algorithm: {type: "mlp", mlp: {pretrained_path: "missing.json"}}\n'));
    expect(lines).toEqual([expect.stringMatching(/^21:5 error SY_CFG_SCHEMA algorithm mlp of decision "general": cannot read trained selector ".*missing\.json": ENOENT/)]);
  });

  it('weight acts through "weighted" and warns elsewhere', async () => {
    const refs = '[{model: "cheap", use_reasoning: false, weight: 3}, {model: "strong", use_reasoning: false, weight: 1}]';
    const weighted = await load(configWith('    algorithm: {type: "weighted"}\n', '', refs));
    expect(weighted.lines).toEqual([]);
    const draws = [0.1, 0.5, 0.74, 0.76, 0.99];
    const chosen: string[] = [];
    for (const draw of draws) chosen.push((await route(weighted.config!, () => draw)).get('x-vsr-selected-model')!);
    expect(chosen).toEqual(['cheap', 'cheap', 'cheap', 'strong', 'strong']);
    await weighted.config?.close();
    const ignored = await load(configWith('', '', refs));
    expect(ignored.lines.filter((line) => line.includes('weight acts only'))).toHaveLength(2);
    await ignored.config?.close();
  });

  it('model_selection.method is the default for decisions with several modelRefs', async () => {
    const { config, lines } = await load(configWith('', 'model_selection:\n  method: "automix"\n  automix: {cost_quality_tradeoff: 0}\n'));
    expect(lines).toEqual([]);
    const headers = await route(config!);
    expect(headers.get('x-vsr-selection-algorithm')).toBe('automix');
    // Without a cost penalty the higher quality_score wins.
    expect(headers.get('x-vsr-selected-model')).toBe('strong');
    await config?.close();
  });

  it('static reports the first modelRef with its reason in the headers', async () => {
    const { config } = await load(configWith(''));
    const headers = await route(config!);
    expect(headers.get('x-vsr-selected-model')).toBe('cheap');
    expect(headers.get('x-vsr-selection-algorithm')).toBe('static');
    expect(headers.get('x-vsr-selection-reason')).toBe('first modelRef');
    await config?.close();
  });
});
