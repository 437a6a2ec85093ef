import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { cli } from '../helpers/run-cli.js';

const SEED_DSL = path.join(REPO_ROOT, 'examples', 'seed-tutorial.dsl');
const HEADERS: ReadonlyMap<string, string> = new Map([['content-type', 'application/json']]);

async function route(config: RuntimeConfig, text: string): Promise<{ decision: string | null; model: string; reasoning: boolean }> {
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }));
  const result = await routeChatCompletion(config, body, HEADERS, new AbortController().signal, () => 0);
  if (result.kind === 'passthrough' || result.trace === undefined) throw new Error(`not routed: ${text}`);
  return { decision: result.trace.decision, model: result.trace.model, reasoning: result.trace.reasoning };
}

async function load(text: string, file: string): Promise<RuntimeConfig> {
  const { config, diagnostics } = await loadConfigText(text, file, { env: {}, configDir: REPO_ROOT });
  if (config === undefined) throw new Error(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return config;
}

describe('switchyard dsl', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-dsl-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the tutorial in the DSL routes the demo suite exactly as the tutorial YAML does', async () => {
    const compiled = await cli('dsl', 'compile', SEED_DSL);
    expect(compiled).toMatchObject({ code: 0, stderr: '' });
    const fromDsl = await load(compiled.stdout, 'compiled.yaml');
    const fromYaml = await load(await readFile(SEED_CONFIG_PATH, 'utf8'), SEED_CONFIG_PATH);
    try {
      const prompts = (await readFile(path.join(REPO_ROOT, 'examples', 'demo-prompts.jsonl'), 'utf8'))
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => (JSON.parse(line) as { messages: { content: string }[] }).messages.at(-1)!.content);
      expect(prompts.length).toBeGreaterThan(15);
      const decisions = new Set<string | null>();
      for (const prompt of prompts) {
        const expected = await route(fromYaml, prompt);
        expect(await route(fromDsl, prompt)).toEqual(expected);
        decisions.add(expected.decision);
      }
      // The suite exercises every route, so the comparison covers each.
      expect(decisions).toEqual(new Set(['reasoning-route', 'coding-route', 'default-route']));
    } finally {
      await fromDsl.close();
      await fromYaml.close();
    }
  });

  it("the walkthrough's math snippet routes a math question to math_route (qwen2.5 has no reasoning mode to switch on, and validate says so)", async () => {
    const snippet = await readFile(path.join(REPO_ROOT, 'test', 'fixtures', 'dsl', 'walkthrough-snippet', 'input.dsl'), 'utf8');
    const file = path.join(dir, 'snippet.dsl');
    await writeFile(file, snippet);
    const compiled = await cli('dsl', 'compile', file);
    expect(compiled.code).toBe(0);
    expect(compiled.stderr).toContain('warning SY_CFG_NO_REASONING_FAMILY');
    const config = await load(compiled.stdout, 'snippet.yaml');
    try {
      const math = await route(config, 'Let f(x) = 3x^2 + 2x - 5. Find all real x for which f(x) = 0 and compute the sum of the roots of the polynomial equation.');
      expect(math).toEqual({ decision: 'math_route', model: 'qwen2.5:3b', reasoning: false });
      const other = await route(config, 'Which court case established judicial review in the United States constitution?');
      expect(other.decision).toBeNull();
    } finally {
      await config.close();
    }
  });

  it('compile --format crd and helm, decompile, validate and fmt --check through the CLI', async () => {
    const crd = await cli('dsl', 'compile', SEED_DSL, '--format', 'crd', '--name', 'edge');
    expect(crd.code).toBe(0);
    expect(parse(crd.stdout)).toMatchObject({ kind: 'SemanticRouter', metadata: { name: 'edge', namespace: 'default' } });
    const helm = await cli('dsl', 'compile', SEED_DSL, '--format', 'helm', '--out', path.join(dir, 'values.yaml'));
    expect(helm).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(parse(await readFile(path.join(dir, 'values.yaml'), 'utf8'))).toHaveProperty('config.decisions');

    const decompiled = await cli('dsl', 'decompile', SEED_CONFIG_PATH);
    expect(decompiled.code).toBe(0);
    expect(decompiled.stdout).toContain('ROUTE reasoning-route (description = "Route complex reasoning tasks to Gemini 2.5 Pro") {');

    expect(await cli('dsl', 'validate', SEED_DSL)).toEqual({ code: 0, stdout: `${SEED_DSL}: ok (3 routes)\n`, stderr: '' });
    expect((await cli('dsl', 'fmt', '--check', SEED_DSL)).code).toBe(0);

    const messy = path.join(dir, 'messy.dsl');
    await writeFile(messy, 'ROUTE r{MODEL "m"}  GLOBAL{version:"v0.1"}\n');
    expect((await cli('dsl', 'fmt', '--check', messy)).code).toBe(1);
    expect((await cli('dsl', 'fmt', '--write', messy)).code).toBe(0);
    expect(await readFile(messy, 'utf8')).toBe('GLOBAL {\n  version: "v0.1"\n}\n\nROUTE r {\n  MODEL "m"\n}\n');
  });

  it('a broken DSL file prints every problem located and exits 1, writing nothing to stdout', async () => {
    const file = path.join(dir, 'bad.dsl');
    await writeFile(file, 'GLOBAL { version: "v0.1" }\nBACKEND model "m" { endpoints: [{ name: "e", endpoint: "h:1" }] }\nROUTE r { WHEN keyword("nope") MODEL "n" }\n');
    const run = await cli('dsl', 'compile', file);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}:3:24: error SY_CFG_UNKNOWN_SIGNAL`);
    expect(run.stderr).toContain(`${file}:3:38: error SY_CFG_UNKNOWN_MODEL`);
    expect((await cli('dsl', 'decompile', path.join(dir, 'missing.yaml'))).code).toBe(1);
  });
});
