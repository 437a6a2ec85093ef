import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';

/**
 * deploy/compose: the files always (they parse, name real files, the envoy.yaml is the current
 * render of config.yaml); the running stack where podman works. It is built offline (a
 * debootstrap base, the built-in gateway in Envoy's place, compose.test.yaml), brought up with
 * podman-compose, routes the walkthrough's three prompts, reloads an edited config, and comes
 * down. Where podman cannot run, that part is skipped and says why.
 */

const run = promisify(execFile);
const COMPOSE_DIR = path.join(REPO_ROOT, 'deploy', 'compose');
const ENV = { ...process.env, CONTAINERS_CONF: path.join(COMPOSE_DIR, 'containers.conf') };
type Json = Record<string, any>;

function podmanProblem(): string | undefined {
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

  it('names the services of the stack and only files that exist', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cloud-model', 'envoy', 'local-model', 'redis', 'switchyard']);
    for (const name of Object.keys(overrides.services)) expect(compose.services).toHaveProperty(name);
    for (const service of [...Object.values(compose.services), ...Object.values(overrides.services)] as Json[]) {
      for (const volume of (service.volumes ?? []) as string[]) expect(existsSync(path.join(COMPOSE_DIR, volume.split(':')[0]!))).toBe(true);
      if (service.build?.dockerfile !== undefined) expect(existsSync(path.join(COMPOSE_DIR, service.build.context, service.build.dockerfile))).toBe(true);
    }
  });

  it('envoy.yaml is the current render of config.yaml, and the config loads', async () => {
    const loaded = await loadConfigFile(path.join(COMPOSE_DIR, 'config.yaml'), { env: {} });
    expect(loaded.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    try {
      expect(parse(readFileSync(path.join(COMPOSE_DIR, 'envoy.yaml'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(buildEnvoyConfig(loaded.config!))));
    } finally {
      await loaded.config?.close();
    }
  });
});

const problem = podmanProblem();
if (problem !== undefined) console.warn(`deploy/compose stack test skipped: ${problem}`);
(problem === undefined ? describe : describe.skip)('deploy/compose stack (podman-compose, offline build)', () => {
  const compose = ['-p', 'switchyard-test', '-f', 'compose.yaml', '-f', 'compose.test.yaml'];
  const configPath = path.join(COMPOSE_DIR, 'config.yaml');
  const original = readFileSync(configPath, 'utf8');

  beforeAll(async () => {
    await run(path.join(COMPOSE_DIR, 'build-base-image.sh'), [], { env: ENV, timeout: 15 * 60_000 });
    await run('podman-compose', [...compose, 'up', '-d', '--build'], { cwd: COMPOSE_DIR, env: ENV, timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = await fetch('http://127.0.0.1:9903/readyz').then((response) => response.ok, () => false);
      const sidecar = await fetch('http://127.0.0.1:9902/readyz').then((response) => response.ok, () => false);
      if (ready && sidecar) break;
      if (Date.now() > deadline) throw new Error('the compose stack did not become ready in 120 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 30 * 60_000);

  afterAll(async () => {
    writeFileSync(configPath, original);
    await run('podman-compose', [...compose, 'down'], { cwd: COMPOSE_DIR, env: ENV, timeout: 5 * 60_000 }).catch(() => undefined);
  }, 5 * 60_000);

  async function ask(prompt: string): Promise<{ model: string | null; decision: string | null; cache: string | null }> {
    const response = await fetch('http://127.0.0.1:8899/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Json;
    expect(body.model).toBe(response.headers.get('x-vsr-selected-model'));
    return { model: response.headers.get('x-vsr-selected-model'), decision: response.headers.get('x-vsr-selected-decision'), cache: response.headers.get('x-vsr-cache-hit') };
  }

  it("routes the walkthrough's three prompts, serves a repeat from the Redis cache, and reloads an edited config", async () => {
    expect(await ask('What is the capital of Australia?')).toMatchObject({ model: 'local-coder', decision: 'default-route' });
    expect(await ask('Implement a function that reverses a linked list')).toMatchObject({ model: 'local-coder', decision: 'coding-route' });
    expect(await ask('Prove by induction that 1+2+...+n = n(n+1)/2')).toMatchObject({ model: 'cloud-reasoner', decision: 'reasoning-route' });
    expect((await ask('Prove by induction that 1+2+...+n = n(n+1)/2')).cache).toBe('true');

    writeFileSync(configPath, original.replace('modelRefs: [{model: local-coder, use_reasoning: false}]\n  - name: default-route', 'modelRefs: [{model: cloud-reasoner, use_reasoning: false}]\n  - name: default-route'));
    const deadline = Date.now() + 30_000;
    while ((await ask('Refactor this function please')).model !== 'cloud-reasoner') {
      if (Date.now() > deadline) throw new Error('the edited config was not applied within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 120_000);
});
