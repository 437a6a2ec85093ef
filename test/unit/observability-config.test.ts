import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import type { ImmediateReply, RoutingTrace } from '../../src/router/route-result.js';
import { costBaseline } from '../../src/telemetry/pricing.js';
import { RequestMeter } from '../../src/telemetry/request-meter.js';

const config = (observability: string): string => `version: v0.2
providers:
  models:
    - name: local
      endpoints: [{ name: a, endpoint: "127.0.0.1:8000" }]
      pricing: { prompt_per_1m: 0, completion_per_1m: 0 }
    - name: mid
      endpoints: [{ name: a, endpoint: "127.0.0.1:8001" }]
      pricing: { prompt_per_1m: 1, completion_per_1m: 2 }
    - name: big
      endpoints: [{ name: a, endpoint: "127.0.0.1:8002" }]
      pricing: { prompt_per_1m: 3, completion_per_1m: 15 }
    - name: unpriced
      endpoints: [{ name: a, endpoint: "127.0.0.1:8003" }]
${observability}`;

async function load(observability: string): Promise<{ config: RuntimeConfig | undefined; diagnostics: string[] }> {
  const loaded = await loadConfigText(config(observability), 'o11y.yaml', { env: {} });
  return { config: loaded.config, diagnostics: loaded.diagnostics.map(formatDiagnostic) };
}

describe('observability config', () => {
  it('takes the most expensive priced model as the baseline by default, or the one named', async () => {
    const byDefault = (await load('')).config!;
    expect(costBaseline(byDefault).model).toBe('big');
    const named = (await load('observability:\n  cost_baseline_model: mid\n')).config!;
    expect(costBaseline(named)).toEqual({ model: 'mid', pricing: { currency: 'USD', promptPer1M: 1, completionPer1M: 2 } });
    await byDefault.close();
    await named.close();
  });

  it('refuses a baseline that is not a priced model, and tracing without an endpoint, at their keys', async () => {
    expect((await load('observability:\n  cost_baseline_model: nope\n')).diagnostics).toEqual(['o11y.yaml:16:24: error SY_CFG_UNKNOWN_MODEL: cost_baseline_model "nope" is not a configured model']);
    expect((await load('observability:\n  cost_baseline_model: unpriced\n')).diagnostics[0]).toMatch(/^o11y\.yaml:16:24: error .*has no pricing/);
    expect((await load('observability:\n  tracing:\n    enabled: true\n')).diagnostics[0]).toMatch(/^o11y\.yaml:17:\d+: error .*exporter\.endpoint/);
    expect((await load('observability:\n  metrics:\n    export_interval: 100ms\n')).diagnostics[0]).toMatch(/^o11y\.yaml:17:22: error .*at least 1s/);
  });
});

describe('RequestMeter: answers without an upstream call', () => {
  const trace: RoutingTrace = { decision: 'd', model: 'mid', reasoning: false, blocked: false, signals: {}, confidence: 1 };
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(400) }] }));

  it('prices a fast response and a cache hit at zero and saves their baseline', async () => {
    const loaded = (await load('')).config!;
    const fast = new RequestMeter(loaded);
    const reply: ImmediateReply = { kind: 'immediate', status: 200, headers: [], body: Buffer.alloc(0), trace, details: 'fast_response' };
    fast.immediate(reply, body);
    expect(fast.fields(200)).toMatchObject({ responsePath: 'fast_response', cost: 0, promptTokens: 0, tokensEstimated: true, baselineModel: 'big', baselineCost: (100 * 3) / 1e6, saved: (100 * 3) / 1e6 });
    const hit = new RequestMeter(loaded);
    hit.cacheHit('mid', body, { model: 'mid', content: 'answer', usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } });
    expect(hit.fields(200)).toMatchObject({ responsePath: 'cache', cost: 0, tokensEstimated: false, baselineCost: (10 * 3 + 20 * 15) / 1e6 });
    await loaded.close();
  });
});
