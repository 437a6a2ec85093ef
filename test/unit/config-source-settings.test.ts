import { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { defaultNamespace } from '../../src/config/kubernetes/kubernetes-config-feed.js';
import { loadConfigText } from '../../src/config/load.js';
import { planReload } from '../../src/config/reload-plan.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';

const opened: RuntimeConfig[] = [];

async function seedWith(extra: string): Promise<{ config: RuntimeConfig; warnings: string[] }> {
  const { config, diagnostics } = await loadConfigText(`${await readFile(SEED_CONFIG_PATH, 'utf8')}\n${extra}`, 'config.yaml', { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  opened.push(config);
  return { config, warnings: diagnostics.map(formatDiagnostic) };
}

describe('config_source and kubernetes settings', () => {
  afterAll(async () => {
    await Promise.all(opened.map((config) => config.close()));
  });

  it('compiles the file source by default and the kubernetes source with its defaults', async () => {
    expect((await seedWith('')).config.configSource).toEqual({ kind: 'file' });
    expect((await seedWith('config_source: kubernetes')).config.configSource).toEqual({ kind: 'kubernetes', routerName: 'router' });
  });

  it('warns SY_CFG_UNSUPPORTED at the kubernetes key when the source is the file', async () => {
    const lines = (await readFile(SEED_CONFIG_PATH, 'utf8')).split('\n').length;
    const { warnings } = await seedWith('kubernetes: {namespace: llm}');
    expect(warnings).toEqual([`config.yaml:${lines + 1}:1: warning SY_CFG_UNSUPPORTED: kubernetes is ignored: it only acts with config_source: kubernetes`]);
    expect((await seedWith('config_source: kubernetes\nkubernetes: {namespace: llm}')).warnings).toEqual([]);
  });

  it('refuses a namespace Kubernetes would refuse, at the value', async () => {
    const { diagnostics } = await loadConfigText(`${await readFile(SEED_CONFIG_PATH, 'utf8')}\nconfig_source: kubernetes\nkubernetes: {namespace: LLM_Prod}`, 'config.yaml', { env: {} });
    expect(diagnostics.map(formatDiagnostic).join('\n')).toMatch(/config\.yaml:\d+:\d+: error SY_CFG_SCHEMA: .*kubernetes\.namespace/);
  });

  it('keeps the serving config source on a reload and names each change as needing a restart', async () => {
    const serving = (await seedWith('')).config;
    const plan = planReload(serving, (await seedWith('config_source: kubernetes\nkubernetes: {namespace: llm}')).config);
    expect(plan.restartRequired).toEqual([
      { field: 'config_source', serving: 'file', configured: 'kubernetes' },
      { field: 'kubernetes.namespace', serving: 'unset', configured: 'llm' },
      { field: 'kubernetes.router_name', serving: 'unset', configured: 'router' },
    ]);
    expect(plan.config.configSource).toEqual({ kind: 'file' });
    expect(plan.applied).toEqual([]);
  });

  it('takes the namespace from the pod, else from the kubeconfig context, else "default"', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'switchyard-ns-'));
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions({
        clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: 'from-context' }],
        currentContext: 'ctx',
      });
      const podFile = path.join(folder, 'namespace');
      expect(defaultNamespace(kubeConfig, podFile)).toBe('from-context');
      await writeFile(podFile, 'from-pod\n');
      expect(defaultNamespace(kubeConfig, podFile)).toBe('from-pod');
      expect(defaultNamespace(new KubeConfig(), path.join(folder, 'absent'))).toBe('default');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
