import { readFile } from 'node:fs/promises';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';
import { planReload } from '../../src/config/reload-plan.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

const opened: RuntimeConfig[] = [];

async function seedWith(extra: string): Promise<RuntimeConfig> {
  const { config, diagnostics } = await loadConfigText(`${await readFile(SEED_CONFIG_PATH, 'utf8')}\n${extra}`, 'config.yaml', { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  opened.push(config);
  return config;
}

afterAll(async () => {
  await Promise.all(opened.map((config) => config.close()));
});

describe('a reload of the dashboard section', () => {
  it('applies the token and the show_* switches at once', async () => {
    const plan = planReload(await seedWith(''), await seedWith('dashboard: {token: "a-new-token", show_prompts: true}'));
    expect(plan.applied).toEqual(['dashboard']);
    expect(plan.restartRequired).toEqual([]);
    expect(plan.config.dashboard).toMatchObject({ token: 'a-new-token', showPrompts: true });
  });

  it('keeps enabled and the record store at their serving values until a restart, and says so', async () => {
    const serving = await seedWith('');
    const plan = planReload(serving, await seedWith('dashboard: {enabled: false, replay: {capacity: 10}}'));
    expect(plan.applied).toEqual([]);
    expect(plan.restartRequired.map((change) => change.field)).toEqual(['dashboard.enabled', 'dashboard.replay']);
    expect(plan.config.dashboard?.enabled).toBe(true);
    expect(plan.config.dashboard?.replay.capacity).toBe(serving.dashboard?.replay.capacity);
  });
});
