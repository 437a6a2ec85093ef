import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { apisConfigText, CHAT_MODEL, CLAUDE_MODEL } from '../helpers/apis-stack.js';
import { ExtProcTestClient } from '../helpers/extproc-client.js';

const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/**
 * What the sidecar asks of Envoy for a translated answer, over real gRPC as Envoy drives it: the
 * response body STREAMED (an event stream) or BUFFERED (JSON) through `mode_override`, content-length
 * dropped, each chunk replaced by its translation; and an untranslated answer still NONE.
 */
describe('the sidecar translates answers chunk by chunk for translated routes only', () => {
  let config: RuntimeConfig;
  let server: ExtProcServer;
  let client: ExtProcTestClient;

  beforeAll(async () => {
    const loaded = await loadConfigText(apisConfigText({ chat: 9001, claude: 9002, responses: 9003 }), 'apis.yaml', { env: {} });
    // Cost accounting reads response bodies; these tests pin which routes need the body without it.
    config = { ...loaded.config!, observability: { ...loaded.config!.observability!, accounting: false } };
    server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: createSilentLogger() });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await config.close();
  });

  const chat = (model: string, extra: object = {}): string => JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], ...extra });

  it('keeps the body out of the sidecar (NONE) for an untranslated answer', async () => {
    const exchange = await client.exchange({ path: '/v1/chat/completions', body: chat(CHAT_MODEL, { stream: true }) }, { headers: [['content-type', 'text/event-stream']], chunks: ['data: [DONE]\n\n'] });
    expect(exchange.responseHeaders?.['mode_override']).toEqual(expect.objectContaining({ response_body_mode: 'NONE' }));
  });

  it('asks for STREAMED and rewrites each Anthropic event into a chat chunk as it passes', async () => {
    const chunks = [
      event('message_start', { message: { id: 'msg_1', model: CLAUDE_MODEL, usage: { input_tokens: 3 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) + event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }).slice(0, 30),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }).slice(30),
      event('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }) + event('message_stop', {}),
      '',
    ];
    const exchange = await client.exchange(
      { path: '/v1/chat/completions', body: chat(CLAUDE_MODEL, { stream: true }) },
      { headers: [['content-type', 'text/event-stream'], ['content-length', '999']], chunks },
    );
    const reply = exchange.responseHeaders?.['response_headers']?.response;
    expect(exchange.responseHeaders?.['mode_override']).toEqual(expect.objectContaining({ response_body_mode: 'STREAMED' }));
    expect(reply.header_mutation.remove_headers).toEqual(['content-length']);
    const bodies = exchange.responseBody.map((body) => Buffer.from(body['response_body']?.response?.body_mutation?.body ?? []).toString('utf8'));
    expect(bodies[0]).toContain('"role":"assistant"');
    expect(bodies[1]).toContain('"content":"Hel"');
    // Half an event waits for its other half, and nothing more.
    expect(bodies[2]).toBe('');
    expect(bodies[3]).toContain('"content":"lo"');
    expect(bodies[4]).toContain('"finish_reason":"stop"');
    expect(bodies[4]).toContain('data: [DONE]');
  });

  it('asks for BUFFERED for a JSON answer and replaces it whole', async () => {
    const message = JSON.stringify({ id: 'msg_2', type: 'message', role: 'assistant', model: CLAUDE_MODEL, content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } });
    const exchange = await client.exchange({ path: '/v1/chat/completions', body: chat(CLAUDE_MODEL) }, { headers: [['content-type', 'application/json']], chunks: [message] });
    expect(exchange.responseHeaders?.['mode_override']).toEqual(expect.objectContaining({ response_body_mode: 'BUFFERED' }));
    const body = JSON.parse(Buffer.from(exchange.responseBody[0]?.['response_body']?.response?.body_mutation?.body ?? []).toString('utf8'));
    expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] });
  });
});
