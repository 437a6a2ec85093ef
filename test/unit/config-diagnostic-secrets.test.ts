import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';

/**
 * Diagnostics are printed to terminals and logs, so they name what was wrong with a value
 * without quoting the value, and never quote anything under a secret-bearing key.
 */

const NUMERIC_KEY = '40938120398475';
const STRING_KEY = 'sk-live-7c1e5a9f0b2d4e6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c';

function configWith(model: string, extra = ''): string {
  return `version: v0.1
providers:
  models:
${model}
${extra}`;
}

async function messagesFor(text: string, env: Record<string, string> = {}): Promise<string[]> {
  const { config, diagnostics } = await loadConfigText(text, 'secrets.yaml', { env });
  await config?.close();
  return diagnostics.map(formatDiagnostic);
}

describe('config diagnostics never echo secrets', () => {
  it('does not print a numeric access_key that ${VAR} expansion put in the file', async () => {
    const text = configWith(`    - name: "cloud"
      access_key: \${CLOUD_KEY}
      endpoints: [{name: "api", endpoint: "api.example.com", protocol: "https"}]`);
    const messages = await messagesFor(text, { CLOUD_KEY: NUMERIC_KEY });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('providers.models[0].access_key must be string, got an integer');
    expect(messages.join('\n')).not.toContain(NUMERIC_KEY);
  });

  it('does not print an endpoint-level access_key of the wrong type, nor a key given as a list', async () => {
    const text = configWith(`    - name: "cloud"
      endpoints:
        - {name: "api", endpoint: "api.example.com", protocol: "https", access_key: ${NUMERIC_KEY}}
    - name: "other"
      access_key: ["${STRING_KEY}"]
      endpoints: [{name: "api", endpoint: "api.example.com", protocol: "https"}]`);
    const all = (await messagesFor(text)).join('\n');
    expect(all).toContain('access_key must be string, got an integer');
    expect(all).toContain('access_key must be string, got a list');
    expect(all).not.toContain(NUMERIC_KEY);
    expect(all).not.toContain(STRING_KEY);
  });

  it('names the key, not the value, of a misplaced or misspelt secret', async () => {
    const text = configWith(`    - name: "cloud"
      api_key: "${STRING_KEY}"
      endpoints: [{name: "api", endpoint: "api.example.com", protocol: "https"}]`);
    const messages = await messagesFor(text);
    expect(messages.join('\n')).toContain('unknown key "api_key"');
    expect(messages.join('\n')).not.toContain(STRING_KEY);
  });

  it('masks credentials written into an endpoint address', async () => {
    const text = configWith(`    - name: "cloud"
      endpoints: [{name: "api", endpoint: "user:${STRING_KEY}@api.example.com/v1", protocol: "https"}]`);
    const messages = await messagesFor(text);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('"***@api.example.com/v1"');
    expect(messages[0]).not.toContain(STRING_KEY);
  });

  it('says the type of a scalar of the wrong type instead of quoting it', async () => {
    const text = configWith(`    - name: "local"
      endpoints: [{name: "a", endpoint: "localhost:8000"}]`, `listeners:
  - {name: "l", address: "127.0.0.1", port: "${STRING_KEY}"}
router:
  max_request_body_bytes: "${STRING_KEY}"
`);
    const messages = await messagesFor(text);
    expect(messages.join('\n')).toContain(`listeners[0].port must be integer, got a string of ${STRING_KEY.length} characters`);
    expect(messages.join('\n')).toContain(`router.max_request_body_bytes must be integer, got a string of ${STRING_KEY.length} characters`);
    expect(messages.join('\n')).not.toContain(STRING_KEY);
  });

  it('still quotes a short word given for a fixed set of values, and an out-of-range number', async () => {
    const text = configWith(`    - name: "local"
      endpoints: [{name: "a", endpoint: "localhost:8000"}]`, `envoy:
  route_cache_action: "SOMETIMES"
  extproc_port: 70000
`);
    const messages = (await messagesFor(text)).join('\n');
    expect(messages).toContain('envoy.route_cache_action must be one of "DEFAULT", "CLEAR", "RETAIN", got "SOMETIMES"');
    expect(messages).toContain('envoy.extproc_port must be <= 65535, got 70000');
  });

  it('quotes nothing under an auth section, whatever the keyword', async () => {
    const text = configWith(`    - name: "local"
      endpoints: [{name: "a", endpoint: "localhost:8000"}]`, `signals:
  role_bindings:
    - {name: "admins", role: "admin", subjects: [{kind: "${STRING_KEY}", name: "alice"}]}
`);
    const messages = (await messagesFor(text)).join('\n');
    expect(messages).not.toContain(STRING_KEY);
  });
});
