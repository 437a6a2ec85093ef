import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { ConfigStore, watchConfig, type ConfigWatchHandle } from '../../src/config/watch.js';

const configText = (model: string): string => `version: v0.1
providers:
  models:
    - name: "${model}"
      endpoints:
        - name: "primary"
          endpoint: "localhost:8000"
`;

type WatchEvent = { readonly kind: 'reload'; readonly config: RuntimeConfig } | { readonly kind: 'rejected'; readonly diagnostics: readonly Diagnostic[] };

describe('watchConfig', () => {
  let dir: string;
  let path: string;
  let handle: ConfigWatchHandle | undefined;
  let waiters: ((event: WatchEvent) => void)[];

  const nextEvent = (): Promise<WatchEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no config watch event within 5s')), 5000);
      waiters.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  const emit = (event: WatchEvent): void => waiters.shift()?.(event);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
    path = join(dir, 'config.yaml');
    waiters = [];
    await writeFile(path, configText('first'));
  });

  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function startWatching(): Promise<ConfigStore> {
    const { config } = await loadConfigFile(path, { env: {} });
    if (config === undefined) throw new Error('the initial config must load');
    const store = new ConfigStore(config);
    handle = watchConfig(path, store, {
      env: {},
      debounceMs: 50,
      onReload: (plan) => emit({ kind: 'reload', config: plan.config }),
      onRejected: (diagnostics) => emit({ kind: 'rejected', diagnostics }),
    });
    return store;
  }

  it('keeps the old config when the file breaks, then swaps in the next good one', async () => {
    const store = await startWatching();
    const original = store.current();

    const rejected = nextEvent();
    await writeFile(path, `${configText('second')}decisions:\n  - name: "d"\n    rules: {}\n    modelRefs: [{model: "ghost", use_reasoning: false}]\n`);
    const rejection = await rejected;
    expect(rejection.kind).toBe('rejected');
    if (rejection.kind === 'rejected') {
      expect(rejection.diagnostics.map((d) => `${d.line} ${d.code}`)).toEqual(['11 SY_CFG_UNKNOWN_MODEL']);
      expect(rejection.diagnostics[0]?.file).toBe(path);
    }
    expect(store.current()).toBe(original);
    expect([...store.current().models.keys()]).toEqual(['first']);

    const reloaded = nextEvent();
    await writeFile(path, configText('third'));
    const reload = await reloaded;
    expect(reload.kind).toBe('reload');
    expect(store.current()).not.toBe(original);
    expect([...store.current().models.keys()]).toEqual(['third']);
    expect(store.current().version).not.toBe(original.version);
  });

  it('follows a file replaced by rename, as editors save', async () => {
    const store = await startWatching();
    const reloaded = nextEvent();
    const staged = join(dir, 'config.yaml.tmp');
    await writeFile(staged, configText('renamed'));
    await rename(staged, path);
    expect((await reloaded).kind).toBe('reload');
    expect([...store.current().models.keys()]).toEqual(['renamed']);
  });

  it('follows a mounted ConfigMap update, where the kubelet swaps the ..data symlink and config.yaml itself never changes', async () => {
    // The kubelet's layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>/
    await rm(path);
    await mkdir(join(dir, '..2026_12_07_10_00_00.1'));
    await writeFile(join(dir, '..2026_12_07_10_00_00.1', 'config.yaml'), configText('first'));
    await symlink('..2026_12_07_10_00_00.1', join(dir, '..data'));
    await symlink(join('..data', 'config.yaml'), path);
    const store = await startWatching();
    // An update: a new timestamped folder, a new ..data_tmp link renamed over ..data, the old folder removed.
    await mkdir(join(dir, '..2026_12_07_10_05_00.2'));
    await writeFile(join(dir, '..2026_12_07_10_05_00.2', 'config.yaml'), configText('from-configmap'));
    await symlink('..2026_12_07_10_05_00.2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..2026_12_07_10_00_00.1'), { recursive: true });
    expect((await nextEvent()).kind).toBe('reload');
    expect([...store.current().models.keys()]).toEqual(['from-configmap']);
  });

  it('rejects a deleted file and keeps serving the old config', async () => {
    const store = await startWatching();
    const original = store.current();
    const rejected = nextEvent();
    await rm(path);
    const event = await rejected;
    expect(event.kind === 'rejected' ? event.diagnostics.map((d) => d.code) : []).toEqual(['SY_CFG_FILE']);
    expect(store.current()).toBe(original);
  });
});

describe('ConfigStore', () => {
  it('returns the replaced snapshot from swap', async () => {
    const [a, b] = await Promise.all([loadConfigText(configText('a'), 'a.yaml', { env: {} }), loadConfigText(configText('b'), 'b.yaml', { env: {} })]);
    if (a.config === undefined || b.config === undefined) throw new Error('both configs must load');
    const store = new ConfigStore(a.config);
    expect(store.swap(b.config)).toBe(a.config);
    expect(store.current()).toBe(b.config);
  });
});
