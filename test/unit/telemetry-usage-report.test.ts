import type { TimedRequestRecord } from '../../src/telemetry/recent-requests.js';
import { buildUsageReport, formatUsageReport } from '../../src/telemetry/usage-report.js';

function record(fields: Partial<TimedRequestRecord>): TimedRequestRecord {
  return {
    requestId: null, method: 'POST', path: '/v1/chat/completions', decision: 'd', model: 'm', reasoning: false, blocked: false, cached: false,
    status: 200, routingMs: 0.1, upstreamMs: 1, latencyMs: 2, traceId: null, time: 1_000, responsePath: 'upstream', cost: 0, baselineCost: 0, saved: 0,
    ...fields,
  };
}

describe('switchyard report: reasoning and safety sections', () => {
  const records = [
    record({ reasoning: true, reasoningApplied: { family: 'gpt-oss', parameter: 'reasoning_effort', effort: 'high' } }),
    record({ reasoning: true, reasoningApplied: { family: 'gpt-oss', parameter: 'reasoning_effort', effort: 'high' } }),
    record({ reasoning: true, reasoningApplied: { family: 'qwen3', parameter: 'enable_thinking' } }),
    // A cache hit was rewritten but never sent: not counted, as in llm_reasoning_template_usage_total.
    record({ responsePath: 'cache', cached: true, reasoning: true, reasoningApplied: { family: 'qwen3', parameter: 'enable_thinking' } }),
    record({ responsePath: 'blocked', blocked: true, signals: { jailbreak: ['jailbreak_detector'] } }),
    record({ signals: { pii: ['any_pii'], keyword: ['kw'] } }),
    record({ responsePath: 'blocked', blocked: true, signals: { pii: ['any_pii'] } }),
  ];

  it('counts reasoning switched on by family, parameter and effort, and PII/jailbreak matches by outcome', () => {
    const report = buildUsageReport(records);
    expect(report.reasoning).toEqual([
      { family: 'gpt-oss', parameter: 'reasoning_effort', effort: 'high', requests: 2 },
      { family: 'qwen3', parameter: 'enable_thinking', requests: 1 },
    ]);
    expect(Object.fromEntries([...report.safety].map(([rule, outcomes]) => [rule, Object.fromEntries(outcomes)]))).toEqual({
      'jailbreak:jailbreak_detector': { blocked: 1 },
      'pii:any_pii': { upstream: 1, blocked: 1 },
    });
  });

  it('prints both tables, and neither when nothing matched', () => {
    const text = formatUsageReport(buildUsageReport(records));
    expect(text).toMatch(/reasoning switched on\nfamily\s+parameter\s+effort\s+requests\n[- ]+\ngpt-oss\s+reasoning_effort\s+high\s+2\nqwen3\s+enable_thinking\s+-\s+1\n/);
    expect(text).toMatch(/PII and jailbreak matches\nrule\s+outcome\s+requests\n[- ]+\njailbreak:jailbreak_detector\s+blocked\s+1\npii:any_pii\s+upstream\s+1\npii:any_pii\s+blocked\s+1\n/);
    const plain = formatUsageReport(buildUsageReport([record({})]));
    expect(plain).not.toContain('reasoning switched on');
    expect(plain).not.toContain('PII and jailbreak');
  });
});
