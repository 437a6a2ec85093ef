import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, setHeaders, type DecodedReply } from '../helpers/extproc-client.js';
import { captureLog } from '../helpers/log-capture.js';

const CONFIG = `version: v0.1
providers:
  models:
    - name: local
      endpoints: [{ name: l, endpoint: "127.0.0.1:8000" }]
    - name: cloud
      endpoints: [{ name: c, endpoint: "127.0.0.1:8001" }]
  default_model: local
signals:
  difficulty:
    - name: hard_problem
      threshold: 0.5
decisions:
  - name: hard-route
    priority: 10
    rules: { operator: OR, conditions: [{ type: difficulty, name: hard_problem }] }
    modelRefs: [{ model: cloud, use_reasoning: false }]
`;

function routedModel(reply: DecodedReply | undefined): string {
  return JSON.parse(Buffer.from(reply?.['request_body']?.response?.body_mutation?.body ?? []).toString('utf8')).model as string;
}

describe('difficulty signal through the ext_proc path', () => {
  const log = captureLog();
  let dir: string;
  let config: RuntimeConfig;
  let server: ExtProcServer;
  let client: ExtProcTestClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-difficulty-'));
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, CONFIG);
    config = await loadConfigOrThrow(file);
    server = await startExtProcServer({
      address: '127.0.0.1',
      port: 0,
      store: { current: () => config },
      logger: log.logger,
      metrics: new PrometheusRouterMetrics(),
    });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await config.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function route(prompt: string): Promise<{ model: string; headers: Map<string, { raw: string }> }> {
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
    const exchange = await client.exchange({ path: '/v1/chat/completions', body }, { headers: [['content-type', 'application/json']], chunks: ['{}'] });
    expect(exchange.immediate).toBeUndefined();
    return { model: routedModel(exchange.requestBody), headers: setHeaders(exchange.responseHeaders?.['response_headers']?.response?.header_mutation) };
  }

  it('sends a competition problem to the cloud and reports it in x-vsr-matched-difficulty', async () => {
    const hit = await route('Let $x,$ $y,$ $z$ be positive reals with $xyz = 1.$ Find the minimum value of \\[(x + 2y)(y + 2z)(xz + 1).\\]');
    expect(hit.model).toBe('cloud');
    expect(hit.headers.get('x-vsr-matched-difficulty')?.raw).toBe('hard_problem');
  });

  it('keeps an everyday request local with no difficulty header', async () => {
    const miss = await route('Translate "good night" into Spanish.');
    expect(miss.model).toBe('local');
    expect(miss.headers.has('x-vsr-matched-difficulty')).toBe(false);
  });
});
