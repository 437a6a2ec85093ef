import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfigText } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';

/** The three backends of the API tests, one per `api_format`. */
export const CHAT_MODEL = 'local-chat';
export const CLAUDE_MODEL = 'claude-sonnet-4';
export const RESPONSES_MODEL = 'gpt-cloud';
/** A Claude model without a configured key: the client's own credential goes to the backend. */
export const KEYLESS_CLAUDE_MODEL = 'claude-keyless';
export const CLAUDE_KEY = 'anthropic-test-key';
export const OPENAI_KEY = 'openai-test-key';

/** Three models: chat only (default), Claude (`api_format: anthropic`), one that speaks the Responses API. */
export function apisConfigText(ports: { chat: number; claude: number; responses: number }, extra = '', safetySignals = false): string {
  // The learned signals (bundled models) only when a test reads them: they cost seconds to load.
  const safety = safetySignals
    ? `  domains: [{ name: math, mmlu_categories: ["math"] }]
  pii: [{ name: any_pii }]
  jailbreak: [{ name: jailbreak_detector, method: classifier }]
`
    : '';
  const guard = safetySignals
    ? `  - name: guarded
    priority: 10
    rules: { operator: OR, conditions: [{ type: domain, name: math }, { type: pii, name: any_pii }, { type: jailbreak, name: jailbreak_detector }] }
    modelRefs: [{ model: ${CHAT_MODEL}, use_reasoning: false }]
`
    : '';
  return `version: v0.1
listeners: [{ name: http, address: 127.0.0.1, port: 8899 }]
providers:
  models:
    - name: ${CHAT_MODEL}
      endpoints: [{ name: local, endpoint: "127.0.0.1:${ports.chat}" }]
      reasoning_family: qwen3
    - name: ${CLAUDE_MODEL}
      api_format: anthropic
      access_key: ${CLAUDE_KEY}
      endpoints: [{ name: anthropic, endpoint: "127.0.0.1:${ports.claude}" }]
    - name: ${KEYLESS_CLAUDE_MODEL}
      api_format: anthropic
      endpoints: [{ name: anthropic, endpoint: "127.0.0.1:${ports.claude}" }]
    - name: ${RESPONSES_MODEL}
      api_format: openai_responses
      access_key: ${OPENAI_KEY}
      reasoning_family: gpt
      endpoints: [{ name: openai, endpoint: "127.0.0.1:${ports.responses}/v1" }]
  default_model: ${CHAT_MODEL}
signals:
  keywords:
    - { name: claude_words, operator: OR, keywords: ["poem", "essay"], case_sensitive: false }
    - { name: proof_words, operator: OR, keywords: ["prove", "theorem"], case_sensitive: false }
${safety}decisions:
  - name: writing
    priority: 100
    rules: { operator: OR, conditions: [{ type: keyword, name: claude_words }] }
    modelRefs: [{ model: ${CLAUDE_MODEL}, use_reasoning: true, reasoning_effort: low }]
  - name: proofs
    priority: 90
    rules: { operator: OR, conditions: [{ type: keyword, name: proof_words }] }
    modelRefs: [{ model: ${RESPONSES_MODEL}, use_reasoning: true, reasoning_effort: high }]
${guard}${extra}`;
}

export interface ApisStack {
  readonly chat: StubUpstream;
  readonly claude: StubUpstream;
  readonly responses: StubUpstream;
  readonly switchyard: SwitchyardStack;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
  close(): Promise<void>;
}

/** Three stubs and the whole stack (sidecar, gateway, admin) on free ports, with both official SDKs aimed at the gateway. */
export async function startApisStack(options: { extraConfig?: string; chunkIntervalMs?: number; safetySignals?: boolean } = {}): Promise<ApisStack> {
  const timing = options.chunkIntervalMs === undefined ? {} : { chunkIntervalMs: options.chunkIntervalMs };
  const chat = await startStubUpstream({ port: 0, model: 'chat', ...timing });
  const claude = await startStubUpstream({ port: 0, model: 'claude', ...timing });
  const responses = await startStubUpstream({ port: 0, model: 'responses', ...timing });
  const text = apisConfigText({ chat: chat.port, claude: claude.port, responses: responses.port }, options.extraConfig, options.safetySignals);
  const { config, diagnostics } = await loadConfigText(text, 'apis.yaml', { env: {} });
  if (config === undefined) {
    await Promise.all([chat.close(), claude.close(), responses.close()]);
    throw new Error(`the API test config does not load:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  const switchyard = await startSwitchyard({ config, grpcPort: 0, listenPort: 0, adminPort: 0, logger: createSilentLogger() });
  const gatewayUrl = `http://127.0.0.1:${switchyard.ports.listeners[0]}`;
  return {
    chat,
    claude,
    responses,
    switchyard,
    gatewayUrl,
    adminUrl: `http://127.0.0.1:${switchyard.ports.admin}`,
    openai: new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'client-key', maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: gatewayUrl, apiKey: 'client-anthropic-key', maxRetries: 0 }),
    async close() {
      await switchyard.close();
      await Promise.all([chat.close(), claude.close(), responses.close()]);
    },
  };
}

/** The last request a stub received, parsed. */
export function lastRequest(stub: StubUpstream): { path: string; headers: Record<string, unknown>; body: Record<string, unknown> } {
  const request = stub.requests.at(-1);
  if (request === undefined) throw new Error('the stub received no request');
  return { path: request.path, headers: request.headers, body: JSON.parse(request.body) as Record<string, unknown> };
}
