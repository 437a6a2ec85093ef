import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';

/**
 * deploy/compose: the files always (they parse, name real files, commands are strings so
 * podman-compose 1.0.3 does not concatenate them across files, envoy.yaml is the current render
 * of config.yaml); the running stack wherever podman works. It is built offline (a debootstrap
 * base, the real Containerfile, the built-in gateway in Envoy's place: compose.test.yaml), brought
 * up with podman-compose from a copy of the folder, routes the walkthrough's three prompts with
 * the openai SDK, serves a repeat from Redis, reloads an edited config, and comes down. Where
 * podman cannot run, that test is reported as skipped with the reason in its name.
 */

const run = promisify(execFile);
const COMPOSE_DIR = path.join(REPO_ROOT, 'deploy', 'compose');
const ENV = { ...process.env, CONTAINERS_CONF: path.join(COMPOSE_DIR, 'containers.conf') };
const BASE_IMAGE = 'localhost/switchyard-base:node20';
const GATEWAY = 'http://127.0.0.1:18899';
const SIDECAR_ADMIN = 'http://127.0.0.1:19902';
const GATEWAY_ADMIN = 'http://127.0.0.1:19903';
type Json = Record<string, any>;

function podmanProblem(): string | undefined {
  // Building and running the stack takes 3-7 minutes of both cores, which would slow every other
  // suite of `make test` past its timeouts; `make test-compose` runs it on its own.
  if (process.env.SWITCHYARD_COMPOSE_TEST !== '1') return 'run it with make test-compose (SWITCHYARD_COMPOSE_TEST=1)';
  for (const tool of ['podman', 'podman-compose', 'debootstrap']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  try {
    execFileSync('podman', ['info'], { env: ENV, stdio: 'ignore', timeout: 30_000 });
  } catch (error) {
    return `podman info failed: ${(error as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

describe('deploy/compose files', () => {
  const compose = parse(readFileSync(path.join(COMPOSE_DIR, 'compose.yaml'), 'utf8')) as Json;
  const overrides = parse(readFileSync(path.join(COMPOSE_DIR, 'compose.test.yaml'), 'utf8')) as Json;

  it('names the services of the stack and only files that exist; commands are strings', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cloud-model', 'envoy', 'local-model', 'redis', 'switchyard']);
    expect(compose.services.envoy.image).toMatch(/^docker\.io\/envoyproxy\/envoy:/);
    for (const name of Object.keys(overrides.services)) expect(compose.services).toHaveProperty(name);
    for (const service of [...Object.values(compose.services), ...Object.values(overrides.services)] as Json[]) {
      for (const volume of (service.volumes ?? []) as string[]) expect(existsSync(path.join(COMPOSE_DIR, volume.split(':')[0]!))).toBe(true);
      if (service.build?.dockerfile !== undefined) expect(existsSync(path.join(COMPOSE_DIR, service.build.context, service.build.dockerfile))).toBe(true);
      if (service.command !== undefined) expect(typeof service.command).toBe('string');
      // network_mode: host breaks under podman-compose 1.0.3 (it adds the project network too).
      expect(service.network_mode).toBeUndefined();
    }
  });

  it('envoy.yaml is the current render of config.yaml with the sidecar in its own container, and the config loads', async () => {
    const loaded = await loadConfigFile(path.join(COMPOSE_DIR, 'config.yaml'), { env: {} });
    expect(loaded.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    try {
      const rendered = buildEnvoyConfig(loaded.config!, { sidecar: { address: 'host.containers.internal', port: loaded.config!.envoy.extprocPort } });
      expect(parse(readFileSync(path.join(COMPOSE_DIR, 'envoy.yaml'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(rendered)));
    } finally {
      await loaded.config?.close();
    }
  });
});

const problem = podmanProblem();
if (problem !== undefined) console.warn(`deploy/compose live stack test skipped: ${problem}`);
const liveTest = problem === undefined ? it : it.skip;

describe('deploy/compose stack (podman-compose, offline build)', () => {
  const project = ['-p', 'switchyard-test', '-f', 'compose.yaml', '-f', 'compose.test.yaml'];
  let folder: string | undefined;

  afterAll(async () => {
    if (folder === undefined) return;
    await run('podman-compose', [...project, 'down'], { cwd: folder, env: ENV, timeout: 5 * 60_000 }).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }, 5 * 60_000);

  async function until(url: string, what: string): Promise<void> {
    for (const deadline = Date.now() + 180_000; ; await new Promise((resolve) => setTimeout(resolve, 500))) {
      if (await fetch(url).then((response) => response.ok, () => false)) return;
      if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within 180 s`);
    }
  }

  liveTest(
    `comes up, routes the walkthrough's three prompts, serves a repeat from Redis, reloads an edited config, and comes down${problem === undefined ? '' : ` (skipped: ${problem})`}`,
    async () => {
      // Built once per machine (~4 min of debootstrap); podman keeps it.
      await run(path.join(COMPOSE_DIR, 'build-base-image.sh'), [BASE_IMAGE], { env: ENV, timeout: 15 * 60_000 });
      // The image from the real Containerfile, as `make compose-up` builds it (cached layers after the first time).
      await run('podman', ['build', '-q', '-f', 'deploy/compose/Containerfile', '--build-arg', `BASE=${BASE_IMAGE}`, '-t', 'localhost/switchyard:dev', '.'], {
        cwd: REPO_ROOT,
        env: ENV,
        timeout: 15 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      // A copy of the folder, so the edit below never touches the repository's config.yaml.
      folder = mkdtempSync(path.join(tmpdir(), 'switchyard-compose-'));
      for (const file of ['compose.yaml', 'compose.test.yaml', 'config.yaml', 'envoy.yaml']) copyFileSync(path.join(COMPOSE_DIR, file), path.join(folder, file));
      // A stack left by an interrupted run would hold the names and ports.
      await run('podman-compose', [...project, 'down'], { cwd: folder, env: ENV, timeout: 5 * 60_000 }).catch(() => undefined);
      await run('podman-compose', [...project, 'up', '-d'], { cwd: folder, env: ENV, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024 });
      await until(`${SIDECAR_ADMIN}/readyz`, 'the sidecar');
      await until(`${GATEWAY_ADMIN}/readyz`, 'the gateway');

      const client = new OpenAI({ baseURL: `${GATEWAY}/v1`, apiKey: 'compose-test', maxRetries: 0 });
      const ask = async (prompt: string): Promise<{ model: string | null; decision: string | null; cache: string | null }> => {
        const { data, response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: prompt }] }).withResponse();
        expect(data.model).toBe(response.headers.get('x-vsr-selected-model'));
        return { model: response.headers.get('x-vsr-selected-model'), decision: response.headers.get('x-vsr-selected-decision'), cache: response.headers.get('x-vsr-cache-hit') };
      };
      expect(await ask('What is the capital of Australia?')).toMatchObject({ model: 'local-coder', decision: 'default-route' });
      expect(await ask('Implement a function that reverses a linked list')).toMatchObject({ model: 'local-coder', decision: 'coding-route' });
      expect(await ask('Prove by induction that 1+2+...+n = n(n+1)/2')).toMatchObject({ model: 'cloud-reasoner', decision: 'reasoning-route', cache: 'false' });
      // Served from the Redis container.
      expect((await ask('Prove by induction that 1+2+...+n = n(n+1)/2')).cache).toBe('true');

      // The mounted config is edited: the sidecar reloads it (the catch-all now goes to the cloud model).
      const configPath = path.join(folder, 'config.yaml');
      const original = readFileSync(configPath, 'utf8');
      const catchAll = original.lastIndexOf('{model: local-coder, use_reasoning: false}');
      expect(original.slice(0, catchAll)).toMatch(/- name: default-route\n[^-]*$/);
      writeFileSync(configPath, `${original.slice(0, catchAll)}{model: cloud-reasoner, use_reasoning: false}${original.slice(catchAll + '{model: local-coder, use_reasoning: false}'.length)}`);
      const deadline = Date.now() + 60_000;
      while ((await ask('What is the capital of France?')).model !== 'cloud-reasoner') {
        if (Date.now() > deadline) throw new Error('the edited config was not applied within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }

      await run('podman-compose', [...project, 'down'], { cwd: folder, env: ENV, timeout: 5 * 60_000 });
      const { stdout } = await run('podman', ['ps', '-q', '--filter', 'label=io.podman.compose.project=switchyard-test'], { env: ENV });
      expect(stdout.trim()).toBe('');
      await expect(fetch(`${GATEWAY}/v1/models`)).rejects.toThrow();
    },
    30 * 60_000,
  );
});
