import http from 'node:http';
import { startSingleStubStack, type SingleStubStack } from '../helpers/single-stub-stack.js';
import { postChatStatus } from '../helpers/post-chat.js';

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
      const batch = await Promise.all([0, 1, 2, 3].map(() => postChatStatus(stack.gateway.port, body, agent)));
      for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1300 });
  }, 180_000); // 1300 sequential round trips; generous for a loaded machine running the cancel storms next to it
});
