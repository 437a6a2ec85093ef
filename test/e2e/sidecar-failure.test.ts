import { readFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { loadConfigText } from '../../src/config/load.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { apiError, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { unusedPort } from '../helpers/free-port.js';

const ASK = { model: 'auto', messages: [{ role: 'user' as const, content: 'What is a Python decorator?' }] };

describe('a sidecar that cannot be reached', () => {
  let stack: E2eStack | undefined;

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('fails closed with a 500 by default (failure_mode_allow: false)', async () => {
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: await unusedPort() } });
    const error = await apiError(() => stack!.client.chat.completions.create(ASK));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(500);
    expect(stack.local.requests).toHaveLength(0);
    expect(stack.cloud.requests).toHaveLength(0);
  });

  it('passes the request through unmodified with failure_mode_allow, which then meets the catch-all 503', async () => {
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: await unusedPort() }, envoy: { failure_mode_allow: true } });
    // Envoy continues an unmodified request when the side stream fails and failure_mode_allow is
    // set (ext_proc reference §2.10). Unmodified means no cluster header: the client's own was
    // stripped before routing, and only the sidecar sets one. So the request matches the
    // catch-all `unrouted` route of the §5 envoy.yaml, a direct 503 "no upstream selected",
    // exactly as a real Envoy with the rendered config would answer; no upstream is contacted.
    const error = await apiError(() => stack!.client.chat.completions.create(ASK, { headers: { 'x-switchyard-cluster': 'mlx-community_Qwen3-Coder-Next-4bit__mlx-local' } }));
    expect(error.status).toBe(503);
    expect(error.code).toBe('no_route');
    expect(error.message).toContain('no upstream selected');
    expect(stack.local.requests).toHaveLength(0);
    expect(stack.cloud.requests).toHaveLength(0);
  });

  it('warns at the failure_mode_allow line that an unrouted request cannot fail open to a model', async () => {
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    const lines = seed.split('\n').length;
    const { config, diagnostics } = await loadConfigText(`${seed.trimEnd()}\nenvoy:\n  failure_mode_allow: true\n`, 'fail-open.yaml', { env: {} });
    await config?.close();
    expect(config).toBeDefined();
    const warning = diagnostics.find((diagnostic) => diagnostic.code === 'SY_CFG_UNSUPPORTED');
    expect(warning).toMatchObject({ severity: 'warning', line: lines + 1 });
    expect(warning?.message).toContain('503 no_route');
    expect(warning?.message).toContain('cannot rewrite the body');
  });
});
