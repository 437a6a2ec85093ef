import { expandEnvironment } from '../../src/config/env-expansion.js';
import { loadConfigText } from '../../src/config/load.js';

const CONFIG = `version: v0.1
providers:
  models:
    - name: "remote"
      access_key: "\${API_KEY}"
      endpoints:
        - name: "primary"
          endpoint: "\${UPSTREAM_HOST:-api.example.com}:\${UPSTREAM_PORT:-8443}/v1"
          protocol: "https"
`;

describe('expandEnvironment', () => {
  it('substitutes set variables and falls back to defaults', () => {
    const result = expandEnvironment('a=${A} b=${B:-bee} c=${C:-}', { A: 'ay' });
    expect(result.text).toBe('a=ay b=bee c=');
    expect(result.problems).toEqual([]);
  });

  it('uses the default when the variable is set but empty, as the shell does', () => {
    expect(expandEnvironment('${A:-fallback}', { A: '' }).text).toBe('fallback');
    expect(expandEnvironment('${A}', { A: '' }).problems).toEqual([]);
  });

  it('turns $${X} into a literal ${X} without looking X up', () => {
    const result = expandEnvironment('keep $${HOME} and ${HOME}', { HOME: '/root' });
    expect(result.text).toBe('keep ${HOME} and /root');
    expect(result.problems).toEqual([]);
  });

  it('reports an unset variable without default at its offset, naming it', () => {
    const result = expandEnvironment('x: 1\ny: ${MISSING_VAR}\n', {});
    expect(result.text).toBe('x: 1\ny: UNSET_MISSING_VAR\n');
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.code).toBe('SY_CFG_ENV_UNSET');
    expect(result.problems[0]?.offset).toBe(8);
    expect(result.problems[0]?.message).toContain('"MISSING_VAR"');
  });

  it('maps offsets of the expanded text back to the original text', () => {
    const result = expandEnvironment('a: ${LONG_NAME}, b: c', { LONG_NAME: 'x' });
    expect(result.text).toBe('a: x, b: c');
    expect(result.toOriginalOffset(3)).toBe(3);
    expect(result.toOriginalOffset(6)).toBe(17);
  });
});

describe('loadConfigText with ${VAR}', () => {
  it('expands variables before parsing', async () => {
    const { config, diagnostics } = await loadConfigText(CONFIG, 'env.yaml', { env: { API_KEY: 'sk-test', UPSTREAM_PORT: '9443' } });
    expect(diagnostics).toEqual([]);
    const model = config?.models.get('remote');
    expect(model?.accessKey).toBe('sk-test');
    expect(model?.endpoints[0]).toMatchObject({ host: 'api.example.com', port: 9443, pathPrefix: '/v1' });
  });

  it('reports an unset variable as SY_CFG_ENV_UNSET at its own line and column', async () => {
    const { config, diagnostics } = await loadConfigText(CONFIG, 'env.yaml', { env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['5:20 SY_CFG_ENV_UNSET']);
    expect(diagnostics[0]?.message).toContain('"API_KEY"');
  });

  it('keeps later diagnostics on an expanded line at their original column', async () => {
    const text = CONFIG.replace('/v1"', '/v1?q=1"');
    const { diagnostics } = await loadConfigText(text, 'env.yaml', { env: { API_KEY: 'k', UPSTREAM_HOST: 'h' } });
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['8:21 SY_CFG_BAD_ENDPOINT']);
    expect(diagnostics[0]?.message).toContain('"h:8443/v1?q=1"');
    const text2 = `version: v0.1
listeners:
  - {name: "\${LISTENER_NAME}", address: "0.0.0.0", port: 80, timeout: "forever"}
providers:
  models: [{name: "m", endpoints: [{name: "e", endpoint: "h"}]}]
`;
    const result = await loadConfigText(text2, 'env.yaml', { env: { LISTENER_NAME: 'a-much-longer-listener-name' } });
    expect(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['3:71 SY_CFG_SCHEMA']);
  });

  it('leaves an escaped reference in the value', async () => {
    const { config } = await loadConfigText(CONFIG.replace('"${API_KEY}"', () => '"$${API_KEY}"'), 'env.yaml', { env: {} });
    expect(config?.models.get('remote')?.accessKey).toBe('${API_KEY}');
  });
});
