import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigText } from '../../src/config/load.js';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

/** Runs a bash script in the repository root, as a user would type it (needs the build in dist/). */
function shell(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// Each `npx switchyard` starts Node and loads the bundled models; on a loaded 2-core machine that is seconds.
const PROCESS_TEST_TIMEOUT_MS = 240_000;

/** The shell lines of the README's set-up block. */
async function readmeSetupLines(): Promise<string[]> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Set-up and the `switchyard` command'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('the README has no set-up block');
  return block.split('\n').filter((line) => line.trim() !== '');
}

describe("the README's set-up runs as written", () => {
  const scratch = path.join(REPO_ROOT, 'my-router');

  beforeAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('every line but the install and the long-running serve (covered by serve-process tests) exits 0', async () => {
    const lines = await readmeSetupLines();
    expect(lines[0]).toBe('npm ci && npm run build');
    expect(lines[1]).toBe('npx switchyard --version');
    expect(lines.at(-2)).toMatch(/^npx switchyard route /);
    expect(lines.at(-1)).toMatch(/^npx switchyard serve --config /);
    // `make test` has installed and built already; reinstalling would pull node_modules from under the other tests.
    const outputs: string[] = [];
    for (const line of lines.slice(1, -1)) {
      const run = await shell(line);
      expect({ line, status: run.status, stderr: run.stderr }).toEqual({ line, status: 0, stderr: '' });
      outputs.push(run.stdout);
    }
    expect(outputs[0]).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(JSON.parse(outputs.at(-1)!)).toMatchObject({ decision: 'reasoning-route', reasoning: true });
  }, PROCESS_TEST_TIMEOUT_MS);
});

describe("the README's configuration example", () => {
  it('loads as written, with GEMINI_API_KEY set, without a diagnostic', async () => {
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const { config, diagnostics } = await loadConfigText(yaml, 'README.md', { env: { GEMINI_API_KEY: 'key' } });
    await config?.close();
    expect(diagnostics).toEqual([]);
    expect(config?.models.get('gemini-2.5-pro')?.accessKey).toBe('key');
  });
});

describe('output cut short by the reader', () => {
  let dir: string;
  let prompts: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-epipe-'));
    prompts = path.join(dir, 'prompts.jsonl');
    // Far more output than a pipe buffer holds, so writes go on after `head` has left.
    const lines = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ id: i, text: `Implement a function number ${i} that sorts a list`, expect_decision: 'coding-route' }));
    await writeFile(prompts, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['route', () => `node bin/switchyard.js route --config ${SEED_CONFIG_PATH} --input ${prompts} | head -1`],
    ['eval', () => `node bin/switchyard.js eval --config ${SEED_CONFIG_PATH} --input ${prompts} --json | head -c 20`],
  ])('%s | head ends quietly, without an EPIPE stack trace', async (_, script) => {
    const run = await shell(`set -o pipefail; ${script()}`);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(0);
  }, PROCESS_TEST_TIMEOUT_MS);
});

describe('make help', () => {
  it('lists every target of the Makefile', async () => {
    const makefile = await readFile(path.join(REPO_ROOT, 'Makefile'), 'utf8');
    const targets = [...makefile.matchAll(/^([A-Za-z0-9_.-]+):/gm)].map((match) => match[1]!).filter((name) => name !== '.PHONY');
    const help = await shell('make help');
    expect(help.status).toBe(0);
    const listed = help.stdout.split('\n').map((line) => line.trim().split(/\s+/)[0]);
    expect(targets.filter((target) => !listed.includes(target))).toEqual([]);
  });
});
