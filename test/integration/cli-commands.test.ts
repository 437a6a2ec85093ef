import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { cli } from '../helpers/run-cli.js';

describe('switchyard CLI', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-cli-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate prints ok with counts and exits 0 for the seed config', async () => {
    const run = await cli('validate', '--config', SEED_CONFIG_PATH);
    expect(run).toEqual({ code: 0, stdout: `${SEED_CONFIG_PATH}: ok (2 models, 3 decisions)\n`, stderr: '' });
  });

  it('validate prints every diagnostic and exits 1 for a broken config', async () => {
    const file = path.join(dir, 'bad.yaml');
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    await writeFile(file, seed.replace('- model: "gemini-2.5-pro"', '- model: "nope"').replace('name: "coding_keywords"\n    modelRefs', 'name: "missing_rule"\n    modelRefs'));
    const run = await cli('validate', '--config', file);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error SY_CFG_[A-Z_]+: `));
    expect(run.stdout).toContain('SY_CFG_UNKNOWN_MODEL');
  });

  it('validate exits 1 for a missing file', async () => {
    const run = await cli('validate', '--config', path.join(dir, 'absent.yaml'));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('SY_CFG_FILE');
  });

  it('route --prompt prints one JSON line in the stable format', async () => {
    const run = await cli('route', '--config', SEED_CONFIG_PATH, '--prompt', 'Prove by induction that 1+2+...+n = n(n+1)/2');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['id', 'decision', 'model', 'reasoning', 'blocked', 'signals', 'confidence', 'selection', 'latency_ms']);
    expect(line).toEqual({
      id: 1,
      decision: 'reasoning-route',
      model: 'gemini-2.5-pro',
      reasoning: true,
      blocked: false,
      signals: { keyword: ['reasoning_keywords'] },
      confidence: 1,
      selection: { algorithm: 'static', model: 'gemini-2.5-pro', reason: 'first modelRef' },
      latency_ms: expect.any(Number),
    });
  });

  it('route --input takes text or messages lines, keeps ids and numbers the rest by line', async () => {
    const input = path.join(dir, 'prompts.jsonl');
    await writeFile(
      input,
      [
        JSON.stringify({ id: 'coding-1', text: 'Implement a function that reverses a list' }),
        JSON.stringify({ messages: [{ role: 'user', content: 'What is the capital of France?' }] }),
        '',
        JSON.stringify({ text: 'derive the formula' }),
      ].join('\n'),
    );
    const run = await cli('route', '--config', SEED_CONFIG_PATH, '--input', input);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(lines.map((line) => [line['id'], line['decision'], line['model']])).toEqual([
      ['coding-1', 'coding-route', 'mlx-community/Qwen3-Coder-Next-4bit'],
      [2, 'default-route', 'mlx-community/Qwen3-Coder-Next-4bit'],
      [4, 'reasoning-route', 'gemini-2.5-pro'],
    ]);
    expect(lines[1]?.['signals']).toEqual({});
  });

  it('route reports unusable lines on stderr and exits 1', async () => {
    const input = path.join(dir, 'prompts.jsonl');
    await writeFile(input, `{"text":"build it"}\nnot json\n{"id":7}\n`);
    const run = await cli('route', '--config', SEED_CONFIG_PATH, '--input', input);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`${input}:2: not valid JSON`);
    expect(run.stderr).toContain(`${input}:3: needs "text"`);
  });

  it('route --explain shows every signal and why each decision did or did not take the prompt', async () => {
    const run = await cli('route', '--config', SEED_CONFIG_PATH, '--prompt', 'Prove by induction that 1+2+...+n = n(n+1)/2', '--explain');
    expect(run.code).toBe(0);
    const [json, ...explanation] = run.stdout.split('\n');
    expect(JSON.parse(json!)).toMatchObject({ decision: 'reasoning-route' });
    expect(explanation).toEqual([
      '  signals:',
      '    keyword:reasoning_keywords  ✓',
      '    keyword:coding_keywords  ✗',
      '  decisions (tried in this order):',
      '    reasoning-route (priority 100): chosen: its rule holds (confidence 1.00) and no decision of higher priority matched',
      '      OR(keyword:reasoning_keywords ✓ 1.00)',
      '    coding-route (priority 80): not matched: its rule does not hold (conditions marked ✗)',
      '      OR(keyword:coding_keywords ✗)',
      '    default-route (priority 1): matched, but "reasoning-route" comes first (higher priority, or declared earlier at the same priority)',
      '      AND() ✓ (no conditions: always matches)',
      '  model selection (static over gemini-2.5-pro): gemini-2.5-pro, first modelRef',
      '',
    ]);
  });

  it("route --explain shows a classifier's top labels and each score against its threshold", async () => {
    const config = path.join(REPO_ROOT, 'examples', 'default.yaml');
    const run = await cli('route', '--config', config, '--prompt', 'What is the derivative of x^2 sin x?', '--explain');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\n {4}domain:math {2}[✓✗] {2}\d\.\d{3} (>=|<) threshold \d\.\d{3} {2}top labels: math \d\.\d{3}, \w+ \d\.\d{3}, \w+ \d\.\d{3}\n/);
    expect(run.stdout).toMatch(/\n {4}difficulty:nontrivial_problem {2}[✓✗] {2}\d\.\d{3} (>=|<) threshold \d\.\d{3}\n/);
    expect(run.stdout).toMatch(/\n {4}jailbreak:jailbreak_detector {2}✗ {2}\d\.\d{3} < threshold \d\.\d{3}\n/);
    expect(run.stdout).toMatch(/\n {6}OR\(.*domain:math [✓✗].*\)\n/);
  });

  it('init writes the starter config, which validates, and says what to run next', async () => {
    const first = await cli('init', '--dir', dir);
    expect(first.code).toBe(0);
    const written = path.join(dir, 'config.yaml');
    expect(await readFile(written, 'utf8')).toBe(await readFile(path.join(REPO_ROOT, 'examples', 'default.yaml'), 'utf8'));
    expect(first.stdout).toContain(`next: npx switchyard validate --config ${written}`);
    const validated = await cli('validate', '--config', written);
    expect(validated.stdout).toBe(`${written}: ok (2 models, 4 decisions)\n`);
  });

  it("init after the tutorial's own config.yaml keeps it and says what to run next", async () => {
    const written = path.join(dir, 'config.yaml');
    await writeFile(written, 'mine\n');
    const run = await cli('init', '--dir', dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${written} already exists; keeping it (npx switchyard init --force replaces it with the starter config)`);
    expect(run.stdout).toContain(`next: npx switchyard validate --config ${written}`);
    expect(run.stdout).toContain(`npx switchyard serve --config ${written}`);
    expect(await readFile(written, 'utf8')).toBe('mine\n');
  });

  it('init --force overwrites an existing config.yaml', async () => {
    const written = path.join(dir, 'config.yaml');
    await writeFile(written, 'mine\n');
    const run = await cli('init', '--dir', dir, '--force');
    expect(run.code).toBe(0);
    expect(await readFile(written, 'utf8')).toBe(await readFile(path.join(REPO_ROOT, 'examples', 'default.yaml'), 'utf8'));
  });

  it.each([['version'], ['--version'], ['-V']])('%s prints the package version', async (argument) => {
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(argument)).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  describe('serve on a port already in use', () => {
    let blocker: net.Server;
    let busyPort: number;

    beforeAll(async () => {
      blocker = net.createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      busyPort = (blocker.address() as net.AddressInfo).port;
    });

    afterAll(async () => {
      await new Promise((resolve) => blocker.close(resolve));
    });

    it.each([
      ['--listen-port', 'the gateway listener "http-8899"', 'listeners[0].port in the config, or pass --listen-port'],
      ['--grpc-port', "the sidecar's ext_proc gRPC port", 'envoy.extproc_port in the config, or pass --grpc-port'],
      ['--admin-port', 'the admin server (/healthz, /readyz, /metrics)', 'envoy.admin_port in the config, or pass --admin-port'],
    ])('%s: names the port, the listener and how to change it', async (flag, what, change) => {
      const ports = { '--listen-port': '0', '--grpc-port': '0', '--admin-port': '0', [flag]: String(busyPort) };
      // In this process: a cluster would fork the test runner's own command line.
      const run = await cli('serve', '--config', SEED_CONFIG_PATH, '--workers', '1', ...Object.entries(ports).flat());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${busyPort} on `);
      expect(run.stderr).toContain(`is already in use: it is ${what}; change ${change}`);
    });
  });

  it('rejects an unknown command with a non-zero exit code', async () => {
    const run = await cli('frobnicate');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('frobnicate');
  });
});
