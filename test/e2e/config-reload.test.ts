import { readFile, writeFile } from 'node:fs/promises';
import { waitFor } from '../conformance/gateway-harness.js';
import { LOCAL_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

describe('a config reload', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack({ watch: true });
  });

  afterAll(async () => {
    await stack.close();
  });

  it("moves the gateway's clusters to the new endpoints without a restart", async () => {
    const ask = async (): Promise<string> => {
      const completion = await stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a monad?' }] });
      expect(completion.model).toBe(LOCAL_MODEL);
      return completion.choices[0]?.message.content ?? '';
    };
    expect(await ask()).toContain('[stub local]');

    const version = stack.switchyard.store.current().version;
    const text = await readFile(stack.config.path, 'utf8');
    await writeFile(stack.config.path, text.replace(`127.0.0.1:${stack.local.port}`, `127.0.0.1:${stack.cloud.port}`));
    await waitFor(() => stack.switchyard.store.current().version !== version);

    expect(await ask()).toContain('[stub cloud]');
  });
});
