import OpenAI from 'openai';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';

/** The whole serve stack (sidecar over gRPC, gateway, admin port) with every model on one stub, and an openai client on its listener. */
export interface ServeOnStub {
  readonly stub: StubUpstream;
  readonly switchyard: SwitchyardStack;
  readonly client: OpenAI;
  /** The admin port's Prometheus text. */
  scrapeMetrics(): Promise<string>;
  close(): Promise<void>;
}

/** Loads `configText(stubPort)` through the real loader (as `fileName`) and starts `serve` on it. */
export async function startServeOnStub(configText: (stubPort: number) => string, fileName: string): Promise<ServeOnStub> {
  const stub = await startStubUpstream({ port: 0, model: 'stub' });
  const { config, diagnostics } = await loadConfigText(configText(stub.port), fileName, { env: {} });
  if (config === undefined) {
    await stub.close();
    throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  }
  const switchyard = await startSwitchyard({ config, grpcPort: 0, listenPort: 0, adminPort: 0, logger: createSilentLogger() });
  return {
    stub,
    switchyard,
    client: new OpenAI({ baseURL: `http://127.0.0.1:${switchyard.ports.listeners[0]}/v1`, apiKey: 'test', maxRetries: 0 }),
    scrapeMetrics: async () => (await fetch(`http://127.0.0.1:${switchyard.ports.admin}/metrics`)).text(),
    async close() {
      await switchyard.close();
      await stub.close();
    },
  };
}
