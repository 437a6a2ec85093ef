import { readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { loadConfigFileReporting } from '../config/load.js';
import { ROUTING_LATENCY_HEADER } from '../extproc/stream-processor.js';
import { startSwitchyard, type SwitchyardStack } from '../serve-stack/switchyard-stack.js';
import { createLogger } from '../telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../upstream-stub/stub-upstream.js';
import { fetchRecentRequests, type TimedRequestRecord } from '../telemetry/recent-requests.js';
import { buildUsageReport, formatUsageReport } from '../telemetry/usage-report.js';
import { formatReport, summarise, type DemoResult } from './demo-report.js';
import { promptText, readPromptSuite, type DemoPrompt } from './prompt-suite.js';
import { pointModelsAtStubs, writeConfigCopy, type ConfigCopy } from './stub-config.js';

/** What the demo runs. */
export interface DemoOptions {
  readonly configPath: string;
  readonly promptsPath: string;
  /** Where the table goes. */
  readonly write: (text: string) => void;
  /** Where problems go (config diagnostics, failed requests, warnings). */
  readonly writeError: (text: string) => void;
}

/** The model every demo request asks for, so the router decides. */
const AUTO_MODEL = 'auto';

async function send(client: OpenAI, prompt: DemoPrompt): Promise<DemoResult> {
  const request = { model: AUTO_MODEL, messages: prompt.messages, ...(prompt.tools === undefined ? {} : { tools: prompt.tools }) };
  const { data, response } = await client.chat.completions.create(request as ChatCompletionCreateParamsNonStreaming).withResponse();
  const routingMs = response.headers.get(ROUTING_LATENCY_HEADER);
  return {
    category: prompt.category,
    prompt: promptText(prompt),
    decision: response.headers.get('x-vsr-selected-decision') ?? '(default model)',
    model: response.headers.get('x-vsr-selected-model') ?? data.model,
    routingMs: routingMs === null ? undefined : Number(routingMs),
    promptTokens: data.usage?.prompt_tokens ?? 0,
    completionTokens: data.usage?.completion_tokens ?? 0,
    cacheHit: response.headers.get('x-vsr-cache-hit') === 'true',
  };
}

/** The instance's records of the suite; each is written when its stream ends, just after the response, so this waits for all of them (2 s at most). */
async function accountedRecords(adminPort: number, count: number): Promise<TimedRequestRecord[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const records = (await fetchRecentRequests(`http://127.0.0.1:${adminPort}`, 0)).filter((record) => record.responsePath !== undefined);
    if (records.length >= count || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The demo: one stub upstream per configured model, a copy of the config pointed at them,
 * the whole stack (sidecar, gateway, admin) in this process on free ports, and the prompt
 * suite sent through the official openai SDK as a user's code would. Prints the routing
 * table, the share kept local and the token cost against the most expensive model, stops
 * everything, and resolves to the exit code (1 when the config does not load or a request fails).
 */
export async function runDemoSuite(options: DemoOptions): Promise<number> {
  const original = await loadConfigFileReporting(options.configPath, options.writeError);
  if (original === undefined) return 1;
  const prompts = await readPromptSuite(options.promptsPath);
  const stubs: StubUpstream[] = [];
  let copy: ConfigCopy | undefined;
  let stack: SwitchyardStack | undefined;
  try {
    const addresses = new Map<string, { host: string; port: number }>();
    for (const name of original.models.keys()) {
      const stub = await startStubUpstream({ port: 0, model: name });
      stubs.push(stub);
      addresses.set(name, { host: '127.0.0.1', port: stub.port });
    }
    const text = pointModelsAtStubs(await readFile(options.configPath, 'utf8'), { stubs: addresses, keepPathPrefix: false, loopbackListener: true });
    copy = await writeConfigCopy(text, path.basename(options.configPath));
    const derived = await loadConfigFileReporting(copy.path, options.writeError, { configDir: path.dirname(path.resolve(options.configPath)) });
    if (derived === undefined) return 1;
    stack = await startSwitchyard({
      config: derived,
      grpcPort: 0,
      listenPort: 0,
      adminPort: 0,
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => options.writeError(line) } }),
    });
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${stack.ports.listeners[0]}/v1`, apiKey: 'demo', maxRetries: 0 });
    const results: DemoResult[] = [];
    let failed = 0;
    for (const prompt of prompts) {
      try {
        results.push(await send(client, prompt));
      } catch (error) {
        failed += 1;
        options.writeError(`${prompt.category}: "${promptText(prompt)}" failed: ${(error as Error).message}\n`);
      }
    }
    options.write(formatReport(results, summarise(results, original)));
    options.write(`\n== switchyard report --admin http://127.0.0.1:${stack.ports.admin} (what the router accounted itself)\n`);
    options.write(formatUsageReport(buildUsageReport(await accountedRecords(stack.ports.admin, prompts.length))));
    return failed === 0 ? 0 : 1;
  } finally {
    await stack?.close();
    await Promise.all(stubs.map((stub) => stub.close()));
    await copy?.remove();
    await original.close();
  }
}
