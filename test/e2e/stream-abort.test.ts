import { waitFor } from '../conformance/gateway-harness.js';
import { LOCAL_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

describe('a client that aborts mid-stream', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    // Slow chunks, so the client is still reading when it aborts.
    stack = await startE2eStack({ chunkIntervalMs: 200 });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('cancels the upstream request', async () => {
    const controller = new AbortController();
    const stream = await stack.client.chat.completions.create(
      { model: 'auto', messages: [{ role: 'user', content: 'Implement a function that reverses a list.' }], stream: true },
      { signal: controller.signal },
    );
    const models: string[] = [];
    // The SDK ends the iteration quietly when its own signal aborts the read.
    for await (const chunk of stream) {
      models.push(chunk.model);
      controller.abort();
    }
    expect(models).toEqual([LOCAL_MODEL]);
    const upstream = stack.local.requests[0]!;
    await waitFor(() => upstream.aborted);
    expect(upstream.aborted).toBe(true);
  });
});
