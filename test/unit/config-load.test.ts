import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, type Diagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seedPath = join(root, 'examples', 'seed-tutorial.yaml');
const invalidDir = join(root, 'test', 'fixtures', 'configs', 'invalid');

/** `# expect: LINE:COL CODE` header lines of a fixture, in file order. */
function expectedDiagnostics(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('# expect:'))
    .map((line) => line.slice('# expect:'.length).trim());
}

function positionAndCode(diagnostic: Diagnostic): string {
  return `${diagnostic.line}:${diagnostic.col} ${diagnostic.code}`;
}

const MINIMAL = `version: v0.1
providers:
  models:
    - name: "local"
      endpoints:
        - name: "primary"
          endpoint: "localhost:8000"
`;

describe('loadConfigFile', () => {
  it('loads the tutorial config with no diagnostics and compiles it', async () => {
    const { config, diagnostics } = await loadConfigFile(seedPath, { env: {} });
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(config).toBeDefined();
    if (config === undefined) return;

    expect([...config.models.keys()]).toEqual(['mlx-community/Qwen3-Coder-Next-4bit', 'gemini-2.5-pro']);
    expect(config.models.get('gemini-2.5-pro')?.endpoints).toEqual([
      {
        name: 'gemini-primary',
        weight: 100,
        protocol: 'https',
        host: 'generativelanguage.googleapis.com',
        port: 443,
        pathPrefix: '/v1beta/openai',
        cluster: 'gemini-2.5-pro__gemini-primary',
      },
    ]);
    expect(config.models.get('gemini-2.5-pro')?.accessKey).toBe('<YOUR_GEMINI_API_KEY>');
    const local = config.models.get('mlx-community/Qwen3-Coder-Next-4bit');
    expect(local?.endpoints[0]).toMatchObject({ host: 'host.containers.internal', port: 8000, pathPrefix: '', protocol: 'http', cluster: 'mlx-community_Qwen3-Coder-Next-4bit__mlx-local' });
    expect(local?.pricing).toEqual({ currency: 'USD', promptPer1M: 0, completionPer1M: 0 });
    expect(config.defaultModel).toBe('mlx-community/Qwen3-Coder-Next-4bit');
    expect(config.listeners).toEqual([{ name: 'http-8899', address: '0.0.0.0', port: 8899, timeoutMs: 300_000 }]);
    expect(config.decisions.decisions.map((d) => [d.name, d.priority])).toEqual([
      ['reasoning-route', 100],
      ['coding-route', 80],
      ['default-route', 1],
    ]);
    expect(config.decisions.decisions[0]?.rule).toEqual({ kind: 'or', children: [{ kind: 'leaf', type: 'keyword', name: 'reasoning_keywords' }] });
    expect(config.decisions.decisions[2]?.rule).toEqual({ kind: 'and', children: [] });
    expect(config.decisions.decisions[0]?.modelRefs).toEqual([{ model: 'gemini-2.5-pro', useReasoning: true }]);
    expect([...config.decisions.referencedSignals].sort()).toEqual(['keyword:coding_keywords', 'keyword:reasoning_keywords']);
    expect(config.signals.types).toEqual(['keyword']);
    expect(config.version).toMatch(/^[0-9a-f]{12}$/);
    expect(config.sourcePath).toBe(seedPath);
    await config.close();
  });

  it('fills Switchyard defaults for the router and envoy sections', async () => {
    const { config } = await loadConfigText(MINIMAL, 'minimal.yaml', { env: {} });
    expect(config?.router).toEqual({ autoModelNames: new Set(['auto', 'MoM']), primaryAutoModelName: 'auto', maxRequestBodyBytes: 16 * 1024 * 1024, clusterHeader: 'x-switchyard-cluster', logPrompts: false, drainTimeoutMs: 30_000 });
    expect(config?.envoy).toEqual({
      extprocAddress: '127.0.0.1',
      extprocPort: 50051,
      adminPort: 9901,
      processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'BUFFERED', responseHeaderMode: 'SEND', responseBodyMode: 'STREAMED' },
      failureModeAllow: false,
      allowModeOverride: true,
      messageTimeoutMs: 2000,
      maxMessageTimeoutMs: 30_000,
      bufferLimitBytes: 16 * 1024 * 1024,
      routeCacheAction: 'CLEAR',
      circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 },
      downstream: { maxConnections: 4096, maxRequestsPerConnection: 0, requestHeadersTimeoutMs: 10_000, idleTimeoutMs: 3_600_000 },
    });
    expect(config?.defaultModel).toBe('local');
    expect(config?.defaultReasoningEffort).toBe('medium');
  });

  it('reports an unreadable file as SY_CFG_FILE', async () => {
    const { config, diagnostics } = await loadConfigFile(join(invalidDir, 'does-not-exist.yaml'));
    expect(config).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['SY_CFG_FILE']);
    expect(diagnostics[0]?.message).toContain('ENOENT');
  });

  const fixtures = readdirSync(invalidDir).filter((name) => name.endsWith('.yaml')).sort();

  it('has invalid fixtures, each declaring what it expects', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    for (const name of fixtures) expect(expectedDiagnostics(readFileSync(join(invalidDir, name), 'utf8')).length).toBeGreaterThan(0);
  });

  it.each(fixtures)('reports exactly the declared diagnostics for invalid/%s', async (name) => {
    const path = join(invalidDir, name);
    const { config, diagnostics } = await loadConfigFile(path, { env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.map(positionAndCode)).toEqual(expectedDiagnostics(readFileSync(path, 'utf8')));
    for (const diagnostic of diagnostics) {
      expect(diagnostic.file).toBe(path);
      expect(formatDiagnostic(diagnostic)).toBe(`${path}:${diagnostic.line}:${diagnostic.col}: error ${diagnostic.code}: ${diagnostic.message}`);
    }
  });

  it('reports every problem of a file with several errors, naming each offender', async () => {
    const { diagnostics } = await loadConfigFile(join(invalidDir, 'several-kinds.yaml'), { env: {} });
    const messages = diagnostics.map((d) => d.message);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toContain('"localhost:8000?x=1"');
    expect(messages[1]).toContain('context signal "short"');
    expect(messages[2]).toContain('NOT in decision "long-not-short" needs exactly one condition, has 0');
    expect(messages[3]).toContain('model "big"');
  });

  it('names the unknown key, the allowed keys and the bad values in schema messages', async () => {
    const { diagnostics } = await loadConfigFile(join(invalidDir, 'schema-errors.yaml'), { env: {} });
    const messages = diagnostics.map((d) => d.message);
    expect(messages).toContain('listeners[0].port must be integer, got a string of 4 characters');
    expect(messages).toContain('unknown key "tls" in listeners[0] (allowed: name, address, port, timeout)');
    expect(messages).toContain('decisions[0] is missing required key "modelRefs"');
    expect(messages).toContain('envoy.message_timeout must be a duration such as "300s", "2s", "500ms" or "1m", got "soon"');
  });

  it('accepts default_model, reasoning_families and default_reasoning_effort at the top level', async () => {
    const text = `${MINIMAL}    - name: "thinker"
      reasoning_family: "mine"
      endpoints:
        - name: "primary"
          endpoint: "thinker.internal"
default_model: "thinker"
default_reasoning_effort: "high"
reasoning_families:
  mine: {type: "reasoning_effort", parameter: "effort"}
`;
    const { config, diagnostics } = await loadConfigText(text, 'top-level.yaml', { env: {} });
    expect(diagnostics).toEqual([]);
    expect(config?.defaultModel).toBe('thinker');
    expect(config?.defaultReasoningEffort).toBe('high');
    expect(config?.models.get('thinker')?.reasoningFamily).toEqual({ name: 'mine', type: 'reasoning_effort', parameter: 'effort' });
  });

  it('lets a config override a built-in reasoning family', async () => {
    const text = `${MINIMAL}      reasoning_family: "qwen3"
  reasoning_families:
    qwen3: {type: "chat_template_kwargs", parameter: "thinking_mode"}
`;
    const { config, diagnostics } = await loadConfigText(text, 'override.yaml', { env: {} });
    expect(diagnostics).toEqual([]);
    expect(config?.models.get('local')?.reasoningFamily).toEqual({ name: 'qwen3', type: 'chat_template_kwargs', parameter: 'thinking_mode' });
  });

  it('normalises a bare leaf and an empty rule as Athena does', async () => {
    const text = `${MINIMAL}signals:
  keywords:
    - {name: "hi", operator: "OR", keywords: ["hello"]}
decisions:
  - name: "leaf"
    rules: {type: "keyword", name: "hi"}
    modelRefs: [{model: "local", use_reasoning: false}]
  - name: "empty"
    rules: {}
    modelRefs: [{model: "local", use_reasoning: false, reasoning_effort: "low", weight: 2}]
`;
    const { config, diagnostics } = await loadConfigText(text, 'rules.yaml', { env: {} });
    // The weight is kept on the modelRef, but only the "weighted" algorithm acts on it.
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['SY_CFG_UNSUPPORTED', 17]]);
    expect(config?.decisions.decisions.map((d) => d.rule)).toEqual([{ kind: 'leaf', type: 'keyword', name: 'hi' }, { kind: 'and', children: [] }]);
    expect(config?.decisions.decisions[1]?.modelRefs).toEqual([{ model: 'local', useReasoning: false, reasoningEffort: 'low', weight: 2 }]);
  });

  it('sanitises cluster names and strips trailing slashes from endpoint paths', async () => {
    const text = `version: v0.1
providers:
  models:
    - name: "org/model:latest"
      endpoints:
        - name: "east 1"
          endpoint: "10.0.0.5:9000/openai/v1/"
          protocol: "https"
          access_key: "sk-east"
`;
    const { config, diagnostics } = await loadConfigText(text, 'clusters.yaml', { env: {} });
    expect(diagnostics).toEqual([]);
    expect(config?.models.get('org/model:latest')?.endpoints[0]).toEqual({
      name: 'east 1',
      weight: 1,
      protocol: 'https',
      host: '10.0.0.5',
      port: 9000,
      pathPrefix: '/openai/v1',
      cluster: 'org_model_latest__east_1',
      accessKey: 'sk-east',
    });
  });

  it('reports models whose names sanitise to the same Envoy cluster', async () => {
    const text = `version: v0.1
providers:
  models:
    - name: "org/model"
      endpoints: [{name: "primary", endpoint: "a.internal"}]
    - name: "org_model"
      endpoints: [{name: "primary", endpoint: "b.internal"}]
`;
    const { diagnostics } = await loadConfigText(text, 'twins.yaml', { env: {} });
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['7:26 SY_CFG_DUPLICATE_NAME']);
    expect(diagnostics[0]?.message).toBe('duplicate Envoy cluster name "org_model__primary" (first defined at providers.models[0].endpoints[0])');
  });

  it('freezes the compiled data and hashes the file text into the version', async () => {
    const first = await loadConfigText(MINIMAL, 'a.yaml', { env: {} });
    const same = await loadConfigText(MINIMAL, 'b.yaml', { env: {} });
    const other = await loadConfigText(`${MINIMAL}# a comment changes the text\n`, 'c.yaml', { env: {} });
    const config = first.config;
    expect(config).toBeDefined();
    if (config === undefined) return;
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listeners)).toBe(true);
    expect(Object.isFrozen(config.models.get('local')?.endpoints[0])).toBe(true);
    expect(Object.isFrozen(config.envoy.processingMode)).toBe(true);
    expect(config.version).toBe(same.config?.version);
    expect(config.version).not.toBe(other.config?.version);
  });

  it('reports a YAML syntax error at its position and stops there', async () => {
    const { config, diagnostics } = await loadConfigText('version: v0.1\nproviders:\n  models: [\n', 'broken.yaml', { env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.every((d) => d.code === 'SY_CFG_YAML_SYNTAX')).toBe(true);
    expect(diagnostics[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports an empty file as a schema error, not a crash', async () => {
    const { diagnostics } = await loadConfigText('', 'empty.yaml', { env: {} });
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['1:1 SY_CFG_SCHEMA']);
    expect(diagnostics[0]?.message).toBe('(root) must be object, got null');
  });
});
