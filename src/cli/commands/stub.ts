import { waitForShutdownSignal } from '../../serve-stack/shutdown-signal.js';
import { startStubUpstream } from '../../upstream-stub/stub-upstream.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard stub`. */
export interface StubOptions {
  readonly port: number;
  readonly model: string;
  readonly latencyMs?: number;
  readonly host?: string;
}

/**
 * `switchyard stub`: an OpenAI-compatible upstream that answers as `model`, for demos and
 * tests without a real LLM. Runs until SIGINT/SIGTERM; prints `stub ready {"port":P}` first.
 */
export async function runStub(options: StubOptions, io: CliIo): Promise<number> {
  const stub = await startStubUpstream({ port: options.port, model: options.model, latencyMs: options.latencyMs, host: options.host });
  io.stdout.write(`stub ready ${JSON.stringify({ port: stub.port, model: options.model })}\n`);
  await waitForShutdownSignal();
  await stub.close();
  return 0;
}
