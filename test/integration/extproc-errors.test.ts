import * as grpc from '@grpc/grpc-js';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import * as protoLoader from '@grpc/proto-loader';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import type { ChatRouter } from '../../src/extproc/stream-processor.js';
import { MAX_JSON_DEPTH } from '../../src/router/chat-request.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, requestHeadersMessage, type DecodedReply } from '../helpers/extproc-client.js';
import { captureLog } from '../helpers/log-capture.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function errorBody(immediate: DecodedReply | undefined): ErrorBody {
  return JSON.parse(Buffer.from(immediate?.['body'] ?? []).toString('utf8')) as ErrorBody;
}

/** A prompt the test router below fails on, to exercise the sidecar's own failure path. */
const FAILING_PROMPT = 'please crash the router';

describe('ext_proc sidecar answers bad requests precisely and survives failures', () => {
  let config: RuntimeConfig;
  let server: ExtProcServer;
  let client: ExtProcTestClient;
  const log = captureLog();

  beforeAll(async () => {
    config = await loadConfigOrThrow();
    const route: ChatRouter = (snapshot, body, headers, abort, random) => {
      if (body.includes(FAILING_PROMPT)) throw new TypeError('router exploded');
      return routeChatCompletion(snapshot, body, headers, abort, random);
    };
    server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: log.logger, route });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await config.close();
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body: '{"model":"auto","messages":[' });
    expect(immediate?.['status']?.code).toBe('BadRequest');
    expect(errorBody(immediate).error.code).toBe('invalid_json');
    expect(Buffer.from(immediate?.['headers']?.set_headers?.[0]?.header?.raw_value ?? []).toString()).toMatch(/application\/json/);
  });

  it('answers a body without messages with 400 naming the field', async () => {
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body: '{"model":"auto"}' });
    expect(immediate?.['status']?.code).toBe('BadRequest');
    expect(errorBody(immediate).error.param).toBe('messages');
    expect(errorBody(immediate).error.message).toContain('messages');
  });

  it('answers a POST without a body with 400', async () => {
    const stream = client.open();
    const headers = requestHeadersMessage({ method: 'POST', path: '/v1/chat/completions' });
    const reply = await stream.send(headers);
    stream.cancel();
    expect(reply['immediate_response']?.status?.code).toBe('BadRequest');
    expect(errorBody(reply['immediate_response']).error.message).toBe('request body is required');
  });

  it('answers an oversize body with 413', async () => {
    const huge = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(config.router.maxRequestBodyBytes) }] });
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body: huge });
    expect(immediate?.['status']?.code).toBe('PayloadTooLarge');
    expect(errorBody(immediate).error.code).toBe('request_too_large');
  });

  it('answers JSON nested 5,000 deep with 400 naming the depth limit, and logs no error', async () => {
    const body = `{"model":"auto","messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const errorsBefore = log.errors().length;
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body });
    expect(immediate?.['status']?.code).toBe('BadRequest');
    expect(errorBody(immediate).error).toMatchObject({ code: 'invalid_json', type: 'invalid_request_error' });
    expect(errorBody(immediate).error.message).toBe(`request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
    expect(log.errors().length).toBe(errorsBefore);
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const body = JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body });
    expect(immediate?.['status']?.code).toBe('NotFound');
    expect(errorBody(immediate).error.code).toBe('model_not_found');
  });

  it('turns a failure inside a phase into a 500 carrying a logged error id', async () => {
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: FAILING_PROMPT }] });
    const { immediate } = await client.exchange({ path: '/v1/chat/completions', body });
    expect(immediate?.['status']?.code).toBe('InternalServerError');
    const logged = log.errors().find((line) => line['msg'] === 'ext_proc phase failed');
    expect(logged).toBeDefined();
    const errorId = String(logged?.['errorId']);
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(immediate?.['body']).toString('utf8')).toContain(errorId);
    expect(errorBody(immediate).error.message).not.toContain('router exploded');
    // The request's own log line says how it ended, once the stream closes.
    for (let attempt = 0; attempt < 100 && !log.lines.some((line) => line['msg'] === 'request' && line['status'] === 500); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(log.lines.filter((line) => line['msg'] === 'request' && line['status'] === 500)).toHaveLength(1);
  });

  it('keeps a concurrent stream working while another one fails', async () => {
    const good = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Implement a class' }] });
    const bad = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: FAILING_PROMPT }] });
    const goodStream = client.open();
    await goodStream.send(requestHeadersMessage({ path: '/v1/chat/completions', body: good }));
    const failed = await client.exchange({ path: '/v1/chat/completions', body: bad });
    const goodReply = await goodStream.send({ request_body: { body: Buffer.from(good), end_of_stream: true } });
    goodStream.cancel();
    expect(failed.immediate?.['status']?.code).toBe('InternalServerError');
    expect(goodReply['request_body']?.response?.clear_route_cache).toBe(true);
    const after = await client.exchange({ path: '/v1/chat/completions', body: good });
    expect(after.immediate).toBeUndefined();
  });

  it('answers the standard gRPC health check with SERVING', async () => {
    const definition = protoLoader.loadSync(HEALTH_PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true });
    const Health = (grpc.loadPackageDefinition(definition) as unknown as HealthPackage).grpc.health.v1.Health;
    const health = new Health(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
    try {
      const check = (service: string): Promise<{ status: string }> =>
        new Promise((resolve, reject) => health.Check({ service }, (error, reply) => (error ? reject(error) : resolve(reply!))));
      await expect(check('')).resolves.toEqual({ status: 'SERVING' });
      await expect(check('envoy.service.ext_proc.v3.ExternalProcessor')).resolves.toEqual({ status: 'SERVING' });
    } finally {
      health.close();
    }
  });

  it('never logs a cancelled stream as an error', () => {
    const unexpected = log.errors().filter((line) => line['msg'] !== 'ext_proc phase failed');
    expect(unexpected).toEqual([]);
    expect(log.lines.filter((line) => line['msg'] === 'ext_proc stream failed')).toEqual([]);
  });
});

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void): void;
}

interface HealthPackage {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
}
