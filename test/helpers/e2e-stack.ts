import { readFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { parseDocument } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { pointModelsAtStubs, writeConfigCopy, type ConfigCopy } from '../../src/demo/stub-config.js';
import { startSwitchyard, type SidecarAddress, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { createSilentLogger, type RouterLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { SEED_CONFIG_PATH } from './config-fixture.js';

/** The seed tutorial's two models. */
export const LOCAL_MODEL = 'mlx-community/Qwen3-Coder-Next-4bit';
export const CLOUD_MODEL = 'gemini-2.5-pro';
/** The seed's access key for the cloud model, written literally in examples/seed-tutorial.yaml. */
export const CLOUD_ACCESS_KEY = '<YOUR_GEMINI_API_KEY>';

/** What an end-to-end stack varies. */
export interface E2eStackOptions {
  /** Values for the config's `envoy:` section (snake_case, as in the YAML). */
  readonly envoy?: Readonly<Record<string, unknown>>;
  /** Point the gateway at this sidecar instead of starting one (e.g. a port nobody listens on). */
  readonly sidecar?: SidecarAddress;
  /** Values for the config's `router:` section (snake_case, as in the YAML). */
  readonly router?: Readonly<Record<string, unknown>>;
  /** Values for the config's `observability:` section (snake_case, as in the YAML). */
  readonly observability?: Readonly<Record<string, unknown>>;
  /** Pause between the stubs' SSE chunks, so a client can act mid-stream. */
  readonly chunkIntervalMs?: number;
  /** The stubs' delay before answering anything. */
  readonly latencyMs?: number;
  /** Where the stack logs (silent by default). */
  readonly logger?: RouterLogger;
  /** Watch the config copy and reload it on change, as `switchyard serve` does. */
  readonly watch?: boolean;
  /** `reasoning_family` per model name (the seed sets none; the families come from the model names). */
  readonly reasoningFamilies?: Readonly<Record<string, string>>;
}

/** The two stubs and the seed config rewritten to them, before any Switchyard runs. */
export interface SeedStubs {
  /** Answers as "local" for the seed's local model. */
  readonly local: StubUpstream;
  /** Answers as "cloud" for the seed's Gemini model, on Gemini's path prefix. */
  readonly cloud: StubUpstream;
  /** The seed config pointed at the stubs, on disk. */
  readonly config: ConfigCopy;
  close(): Promise<void>;
}

/** A running end-to-end stack: sidecar + gateway + admin in this process, two stubs, an SDK client. */
export interface E2eStack extends SeedStubs {
  readonly switchyard: SwitchyardStack;
  /** The official openai SDK aimed at the gateway, without retries. */
  readonly client: OpenAI;
  /** http://127.0.0.1:<gateway port> */
  readonly gatewayUrl: string;
}

/** Starts the two stubs and writes examples/seed-tutorial.yaml pointed at them (path prefixes kept). */
export async function startSeedStubs(options: E2eStackOptions = {}): Promise<SeedStubs> {
  const timing = { chunkIntervalMs: options.chunkIntervalMs, latencyMs: options.latencyMs };
  const local = await startStubUpstream({ port: 0, model: 'local', ...timing });
  const cloud = await startStubUpstream({ port: 0, model: 'cloud', ...timing });
  const stubs = new Map([
    [LOCAL_MODEL, { host: '127.0.0.1', port: local.port }],
    [CLOUD_MODEL, { host: '127.0.0.1', port: cloud.port }],
  ]);
  const pointed = pointModelsAtStubs(await readFile(SEED_CONFIG_PATH, 'utf8'), { stubs, keepPathPrefix: true, loopbackListener: true });
  const document = parseDocument(pointed);
  for (const [key, value] of Object.entries(options.envoy ?? {})) document.setIn(['envoy', key], value);
  for (const [key, value] of Object.entries(options.router ?? {})) document.setIn(['router', key], value);
  for (const [key, value] of Object.entries(options.observability ?? {})) document.setIn(['observability', key], value);
  const modelNames = [LOCAL_MODEL, CLOUD_MODEL];
  for (const [model, family] of Object.entries(options.reasoningFamilies ?? {})) {
    document.setIn(['providers', 'models', modelNames.indexOf(model), 'reasoning_family'], family);
  }
  const config = await writeConfigCopy(document.toString());
  return {
    local,
    cloud,
    config,
    async close() {
      await local.close();
      await cloud.close();
      await config.remove();
    },
  };
}

/** Starts the stubs and the whole Switchyard stack on free ports. */
export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  const stubs = await startSeedStubs(options);
  const { config, diagnostics } = await loadConfigFile(stubs.config.path, { env: {} });
  if (config === undefined) {
    await stubs.close();
    throw new Error(`the rewritten seed config does not load:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  const switchyard = await startSwitchyard({
    config,
    grpcPort: 0,
    listenPort: 0,
    adminPort: 0,
    sidecar: options.sidecar,
    ...(options.watch === true ? { watchPath: stubs.config.path, env: {} } : {}),
    logger: options.logger ?? createSilentLogger(),
  });
  const gatewayUrl = `http://127.0.0.1:${switchyard.ports.listeners[0]}`;
  return {
    ...stubs,
    switchyard,
    gatewayUrl,
    client: new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'e2e-test', maxRetries: 0 }),
    async close() {
      await switchyard.close();
      await stubs.close();
    },
  };
}

/** The last request body a stub received, parsed. */
export function lastBody(stub: StubUpstream): Record<string, unknown> {
  const request = stub.requests.at(-1);
  if (request === undefined) throw new Error('the stub received no request');
  return JSON.parse(request.body) as Record<string, unknown>;
}

/** Runs a call that must fail with an API error (an HTTP error status) and returns the SDK's error. */
export async function apiError(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}
