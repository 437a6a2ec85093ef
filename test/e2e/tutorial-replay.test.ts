import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { runCli } from '../../src/cli/main.js';
import { loadConfigFile } from '../../src/config/load.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { lastBody } from '../helpers/e2e-stack.js';

/**
 * The user's walkthrough (../shared/reference/seed-athena-tutorial.txt), step by step: its
 * config.yaml as printed (only the two endpoints pointed at local stubs that speak the OpenAI
 * wire format and echo what they receive), `validate`, its three curls over real HTTP with the
 * same bodies and headers, and the OpenClaw step: an openai SDK whose base URL is the bare host.
 */

const TUTORIAL_PATH = path.join(REPO_ROOT, '..', 'shared', 'reference', 'seed-athena-tutorial.txt');
const LOCAL = 'mlx-community/Qwen3-Coder-Next-4bit';
const GEMINI = 'gemini-2.5-pro';
const GEMINI_KEY = '<YOUR_GEMINI_API_KEY>';

/** The non-blank lines of the tutorial's config (step 3's providers, then step 4's signals and decisions), trimmed. */
function tutorialConfigLines(tutorial: string): string[] {
  const between = (start: string, end: string): string => tutorial.slice(tutorial.indexOf(start) + start.length, tutorial.indexOf(end));
  const providers = between('Create a config.yaml. This is where the routing intelligence is defined:\n', 'A few things to note here:');
  const routing = between('Decisions consume those signals and choose a model:\n', 'The priority system is straightforward');
  return `${providers}\n${routing}`.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

/** The tutorial's curl: POST /v1/chat/completions with its JSON body; curl's `-H "Content-Type: application/json"`. */
async function curl(baseUrl: string, content: string): Promise<{ status: number; headers: Headers; json: { model: string } }> {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: `{
    "model": "auto",
    "messages": [{"role": "user", "content": ${JSON.stringify(content)}}],
    "max_tokens": 100
  }`,
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as { model: string } };
}

describe('the Athena tutorial, replayed literally', () => {
  let dir: string;
  let configPath: string;
  let local: StubUpstream;
  let cloud: StubUpstream;
  let switchyard: SwitchyardStack;
  let baseUrl: string;

  beforeAll(async () => {
    local = await startStubUpstream({ port: 0, model: 'local' });
    cloud = await startStubUpstream({ port: 0, model: 'cloud' });
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-tutorial-'));
    configPath = path.join(dir, 'config.yaml');
    // Step 3: the two endpoints point at the stubs; Gemini's keeps its /v1beta/openai base path.
    const printed = await readFile(SEED_CONFIG_PATH, 'utf8');
    const pointed = printed
      .replace('endpoint: "host.containers.internal:8000"', `endpoint: "127.0.0.1:${local.port}"`)
      .replace('endpoint: "generativelanguage.googleapis.com/v1beta/openai"\n          protocol: "https"', `endpoint: "127.0.0.1:${cloud.port}/v1beta/openai"\n          protocol: "http"`);
    expect(pointed.split('\n').filter((line, index) => line !== printed.split('\n')[index])).toHaveLength(3);
    await writeFile(configPath, pointed);
  });

  afterAll(async () => {
    await switchyard?.close();
    await local.close();
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts from the tutorial's config.yaml exactly as printed", async () => {
    const seedLines = (await readFile(SEED_CONFIG_PATH, 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line !== '');
    expect(seedLines).toEqual(tutorialConfigLines(await readFile(TUTORIAL_PATH, 'utf8')));
  });

  it('step 5: init keeps the config and says what is next; validate finds no problem, not even a warning', async () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
    expect(await runCli(['init', '--dir', dir], io)).toBe(0);
    expect(stdout).toContain('already exists; keeping it');
    expect(stdout).toContain(`next: npx switchyard validate --config ${configPath}`);
    stdout = '';
    expect(await runCli(['validate', '--config', configPath], io)).toBe(0);
    expect(stdout).toBe(`${configPath}: ok (2 models, 3 decisions)\n`);
    expect(stderr).toBe('');
  });

  it('step 5: serve (sidecar, gateway, admin) on the loaded config', async () => {
    const { config, diagnostics } = await loadConfigFile(configPath, { env: {} });
    expect(diagnostics).toEqual([]);
    switchyard = await startSwitchyard({ config: config!, listenPort: 0, grpcPort: 0, adminPort: 0, logger: createSilentLogger() });
    baseUrl = `http://127.0.0.1:${switchyard.ports.listeners[0]}`;
  });

  it('step 6, curl 1: a simple question goes to the local Qwen3 by default-route, thinking off', async () => {
    const { status, headers, json } = await curl(baseUrl, 'What is a Python decorator?');
    expect(status).toBe(200);
    expect(json.model).toBe(LOCAL);
    expect(headers.get('x-vsr-selected-model')).toBe(LOCAL);
    expect(headers.get('x-vsr-selected-decision')).toBe('default-route');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
    expect(headers.get('x-vsr-selected-reasoning')).toBe('off');
    expect(headers.get('x-vsr-cache-hit')).toBe('false');
    expect(local.requests.at(-1)?.path).toBe('/v1/chat/completions');
    expect(lastBody(local)).toEqual({
      model: LOCAL,
      messages: [{ role: 'user', content: 'What is a Python decorator?' }],
      max_tokens: 100,
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it('step 6, curl 2: a coding request goes to the local Qwen3 by coding-route, with the headers the tutorial prints', async () => {
    const { headers, json } = await curl(baseUrl, 'Implement a function that finds the longest palindromic substring.');
    expect(json.model).toBe(LOCAL);
    expect(headers.get('x-vsr-selected-model')).toBe(LOCAL);
    expect(headers.get('x-vsr-selected-decision')).toBe('coding-route');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
    expect(headers.get('x-vsr-matched-keywords')).toBe('coding_keywords');
    expect(headers.get('x-vsr-cache-hit')).toBe('false');
    expect(headers.get('x-vsr-selected-reasoning')).toBe('off');
    expect(lastBody(local)['chat_template_kwargs']).toEqual({ enable_thinking: false });
  });

  it('step 6, curl 3: a proof goes to Gemini by reasoning-route, and reasoning is really switched on', async () => {
    const { headers, json } = await curl(baseUrl, 'Prove by induction that the sum 1+2+...+n = n(n+1)/2.');
    expect(json.model).toBe(GEMINI);
    expect(headers.get('x-vsr-selected-model')).toBe(GEMINI);
    expect(headers.get('x-vsr-selected-decision')).toBe('reasoning-route');
    expect(headers.get('x-vsr-matched-keywords')).toBe('reasoning_keywords');
    expect(headers.get('x-vsr-selected-reasoning')).toBe('on');
    const received = cloud.requests.at(-1)!;
    expect(received.path).toBe('/v1beta/openai/chat/completions');
    expect(received.headers.authorization).toBe(`Bearer ${GEMINI_KEY}`);
    // Gemini's OpenAI-compatible endpoint reads reasoning_effort; the config sets no effort, so the fallback "medium".
    expect(lastBody(cloud)).toEqual({
      model: GEMINI,
      messages: [{ role: 'user', content: 'Prove by induction that the sum 1+2+...+n = n(n+1)/2.' }],
      max_tokens: 100,
      reasoning_effort: 'medium',
    });
  });

  describe('Connecting OpenClaw: an openai SDK with the base URL http://127.0.0.1:PORT (no /v1)', () => {
    let client: OpenAI;

    beforeAll(() => {
      client = new OpenAI({ baseURL: baseUrl, apiKey: 'openclaw', maxRetries: 0 });
    });

    it('non-streaming: a coding request answered by the local model', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'auto', messages: [{ role: 'user', content: 'Refactor this class to use dependency injection.' }] })
        .withResponse();
      expect(data.model).toBe(LOCAL);
      expect(data.choices[0]?.message.content).toContain('chat_template_kwargs={"enable_thinking":false}');
      expect(response.headers.get('x-vsr-selected-decision')).toBe('coding-route');
      expect(response.headers.get('x-vsr-selected-model')).toBe(LOCAL);
      expect(local.requests.at(-1)?.path).toBe('/v1/chat/completions');
    });

    it('streaming: a proof streamed from Gemini with reasoning on', async () => {
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'auto', messages: [{ role: 'user', content: 'Derive the formula for the sum of a geometric series.' }], stream: true })
        .withResponse();
      let content = '';
      let chunks = 0;
      let model = '';
      for await (const chunk of stream) {
        chunks += 1;
        model = chunk.model;
        content += chunk.choices[0]?.delta.content ?? '';
      }
      expect(chunks).toBeGreaterThan(1);
      expect(model).toBe(GEMINI);
      expect(content).toContain('reasoning_effort=medium');
      expect(response.headers.get('x-vsr-selected-decision')).toBe('reasoning-route');
      expect(response.headers.get('x-vsr-selected-reasoning')).toBe('on');
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(cloud.requests.at(-1)?.path).toBe('/v1beta/openai/chat/completions');
      expect(lastBody(cloud)).toMatchObject({ model: GEMINI, stream: true, reasoning_effort: 'medium' });
    });

    it('lists the models on /models', async () => {
      const ids: string[] = [];
      for await (const entry of client.models.list()) ids.push(entry.id);
      expect(ids).toEqual(['auto', LOCAL, GEMINI]);
    });
  });
});
