import { loadConfigFile } from '../../src/config/load.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

/**
 * A large body over the real ext_proc protocol: a gateway in front of a sidecar in the same
 * process over loopback gRPC (the sidecar of a second, in-process stack). The gateway encodes
 * the 3 MB request body and the sidecar its rewritten body by splicing the body into protobufjs's
 * encoding of the rest (src/extproc/large-body-encoding.ts), and the router keeps the prompt's
 * long strings off the event loop and splices them into the rewrite (src/router/long-strings.ts).
 * What reaches the upstream must be byte for byte what the in-process transport sends.
 */

const MB = 1024 * 1024;

function prompt(bytes: number): string {
  const line = 'Summarise this log line: user "ops" at 10.0.0.1 said \\ "all good" — 完了 ✓\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

describe('a large body over gRPC between gateway and sidecar', () => {
  let inProcess: E2eStack;
  let overGrpc: SwitchyardStack;

  beforeAll(async () => {
    // A loaded CI machine moves megabytes slowly: the 2 s default message timeout is not what this tests.
    inProcess = await startE2eStack({ envoy: { message_timeout: '30s' } });
    const { config } = await loadConfigFile(inProcess.config.path, { env: {} });
    overGrpc = await startSwitchyard({ config: config!, grpcPort: 0, listenPort: 0, adminPort: 0, sidecar: { address: '127.0.0.1', port: inProcess.switchyard.ports.grpc! }, logger: createSilentLogger() });
  }, 60_000);

  afterAll(async () => {
    await overGrpc?.close();
    await inProcess?.close();
  });

  async function upstreamBodyFor(gatewayPort: number, body: string): Promise<{ status: number; upstream: string | undefined }> {
    const before = inProcess.local.requests.length + inProcess.cloud.requests.length;
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    const requests = [...inProcess.local.requests, ...inProcess.cloud.requests];
    return { status: response.status, upstream: requests.length > before ? requests.at(-1)!.body : undefined };
  }

  it.each([
    ['a 3 MB prompt (its conversation sampled for signals, its text spliced back)', 3 * MB],
    ['a 700 KB prompt (kept whole)', 700_000],
  ])('routes %s exactly as the in-process transport does', async (_name, bytes) => {
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt(bytes) }], max_tokens: 8 });
    const viaGrpc = await upstreamBodyFor(overGrpc.ports.listeners[0]!, body);
    const inProc = await upstreamBodyFor(inProcess.switchyard.ports.listeners[0]!, body);
    expect(viaGrpc.status).toBe(200);
    expect(inProc.status).toBe(200);
    expect(viaGrpc.upstream).toBeDefined();
    const routed = JSON.parse(viaGrpc.upstream!) as { model: string; messages: { content: string }[] };
    expect(routed.model).not.toBe('auto');
    expect(routed.messages[1]!.content).toBe(prompt(bytes));
    expect(viaGrpc.upstream === inProc.upstream).toBe(true);
  }, 120_000);
});
