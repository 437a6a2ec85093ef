import { readFile } from 'node:fs/promises';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';
import { describeReload, planReload } from '../../src/config/reload-plan.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

const opened: RuntimeConfig[] = [];

async function seedWith(extra: string): Promise<RuntimeConfig> {
  const { config, diagnostics } = await loadConfigText(`${await readFile(SEED_CONFIG_PATH, 'utf8')}\n${extra}`, 'config.yaml', { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  opened.push(config);
  return config;
}

describe('planReload', () => {
  afterAll(async () => {
    await Promise.all(opened.map((config) => config.close()));
  });

  it('says so when a file changed but no setting did', async () => {
    const serving = await seedWith('');
    const plan = planReload(serving, await seedWith('# only a comment'));
    expect({ applied: plan.applied, restartRequired: plan.restartRequired }).toEqual({ applied: [], restartRequired: [] });
    expect(describeReload(plan)).toBe('config reloaded (no live setting changed)');
  });

  it('applies the live router settings and keeps the cluster header, which the gateway reads at start', async () => {
    const serving = await seedWith('');
    const plan = planReload(serving, await seedWith('router: {auto_model_names: ["smart"], cluster_header: "x-other-cluster"}'));
    expect(planReload(serving, await seedWith('router: {log_prompts: true}')).applied).toEqual(['router']);
    expect(plan.applied).toEqual(['router']);
    expect(plan.restartRequired).toEqual([{ field: 'router.cluster_header', serving: 'x-switchyard-cluster', configured: 'x-other-cluster' }]);
    expect([...plan.config.router.autoModelNames]).toEqual(['smart']);
    expect(plan.config.router.clusterHeader).toBe('x-switchyard-cluster');
  });

  it('names an added listener and every changed envoy setting, and keeps the serving ones', async () => {
    const serving = await seedWith('');
    const loaded = await seedWith(
      'envoy: {message_timeout: "5s", processing_mode: {response_body_mode: "BUFFERED"}}\nsemantic_cache: {enabled: true}',
    );
    const plan = planReload(serving, { ...loaded, listeners: [...loaded.listeners, { name: 'second', address: '127.0.0.1', port: 9000, timeoutMs: 1000 }] });
    expect(plan.applied).toEqual(['semantic_cache']);
    expect(plan.restartRequired.map((change) => change.field)).toEqual(['listeners[1]', 'envoy.message_timeout', 'envoy.processing_mode.response_body_mode']);
    expect(plan.config.listeners).toBe(serving.listeners);
    expect(plan.config.envoy).toBe(serving.envoy);
    expect(plan.config.semanticCache?.enabled).toBe(true);
    expect(describeReload(plan)).toBe(
      'config reloaded in part (applied for new streams: semantic_cache; not applied until a restart: listeners[1], envoy.message_timeout, envoy.processing_mode.response_body_mode)',
    );
  });
});
