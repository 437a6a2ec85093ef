import http from 'node:http';
import { startSingleStubStack, type SingleStubStack } from '../helpers/single-stub-stack.js';

/**
 * Regression: the gateway used to reset every ext_proc stream after its last reply (Envoy's
 * default close). Node's HTTP/2 server allows a burst of 1000 client resets per connection and
 * then answers with GOAWAY, so request ~1034 and every stream in flight with it failed with 500.
 */
describe('gateway to sidecar connection', () => {
  let stack: SingleStubStack;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    stack = await startSingleStubStack();
  });

  afterAll(async () => {
    agent.destroy();
    await stack.close();
  });

  it('serves well past 1000 requests on one sidecar connection', async () => {
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1300; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => post(stack.gateway.port, body, agent)));
      for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1300 });
  }, 60000);
});
function post(port: number, body: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
