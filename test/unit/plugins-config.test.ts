import { loadConfigText } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { planRedaction, redactJsonBody } from '../../src/plugins/pii-redaction.js';

function configWith(plugins: string): string {
  return `version: v0.1
providers:
  models:
    - name: m
      endpoints: [{ name: e, endpoint: "127.0.0.1:9" }]
signals:
  keywords:
    - { name: k, operator: OR, keywords: ["x"] }
decisions:
  - name: d
    rules: { type: keyword, name: k }
    modelRefs: [{ model: m, use_reasoning: false }]
    plugins:
${plugins}
`;
}

async function diagnostics(plugins: string): Promise<string[]> {
  return (await loadConfigText(configWith(plugins), 'c.yaml', { env: {} })).diagnostics.map(formatDiagnostic);
}

describe('decision plug-in configuration', () => {
  it('accepts every plug-in type with valid settings', async () => {
    expect(
      await diagnostics(`      - { type: block, configuration: { reason: "no" } }
      - { type: fast_response, configuration: { message: "hi" } }
      - { type: pii, configuration: { action: redact, pii_types_allowed: [URL] } }
      - { type: system_prompt, configuration: { system_prompt: "Be brief.", mode: replace } }
      - { type: header_mutation, configuration: { add: [{ name: x-a, value: "1" }], delete: [x-b] } }
      - { type: semantic-cache, configuration: { similarity_threshold: 0.9 } }`),
    ).toEqual([]);
  });

  it('reports a bad configuration at its line and column', async () => {
    const found = await diagnostics(`      - type: fast_response
        configuration: { mesage: "hi" }`);
    expect(found.join('\n')).toMatch(/^c\.yaml:15:\d+: error SY_CFG_SCHEMA: fast_response plug-in of decision "d": configuration/m);
  });

  it('refuses hop-by-hop and routing headers', async () => {
    for (const name of ['connection', 'transfer-encoding', 'x-selected-model', 'x-vsr-selected-model', 'authorization', ':path']) {
      const found = await diagnostics(`      - type: header_mutation
        configuration: { delete: ["${name}"] }`);
      expect(found.join('\n')).toMatch(/SY_CFG_SCHEMA/);
    }
  });

  it('rejects an unknown plug-in type', async () => {
    expect((await diagnostics('      - { type: rag }')).join('\n')).toMatch(/must be one of "block"/);
  });
});

describe('PII redaction', () => {
  it('replaces entity values inside JSON strings and keeps every other byte', async () => {
    const body = Buffer.from('{"model":"auto",  "messages":[{"role":"user","content":"mail a.b@example.com, card 4111111111111111; again a.b@example.com"}],"temperature":1.0}');
    const redaction = await planRedaction(['mail a.b@example.com, card 4111111111111111; again a.b@example.com'], new Set(), 0.7);
    expect(redaction.types).toEqual(['EMAIL_ADDRESS', 'CREDIT_CARD']);
    expect((await redactJsonBody(body, redaction)).toString()).toBe(
      '{"model":"auto",  "messages":[{"role":"user","content":"mail <EMAIL_ADDRESS_1>, card <CREDIT_CARD_1>; again <EMAIL_ADDRESS_1>"}],"temperature":1.0}',
    );
  });
});
