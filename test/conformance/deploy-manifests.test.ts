import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { buildEnvoyConfig, EXTPROC_CLUSTER_NAME } from '../../src/envoy/render-envoy-config.js';
import { checkEnvoyBootstrap } from '../../src/envoy/strict-proto-check.js';

/**
 * The deploy/ manifests cannot be checked against the Kubernetes schemas here, so this checks
 * that they parse and that the pieces agree: container names, ports, probes, mounts, and that
 * the Envoy ConfigMap file is the current render of the Switchyard ConfigMap file.
 */

const KUBERNETES_DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const deployFile = (path: string): string => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));

type Json = Record<string, any>;

function yamlDocuments(path: string): Json[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(documents)) return [];
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS() as Json);
}

function onlyDocument(file: string): Json {
  const documents = yamlDocuments(`${KUBERNETES_DIR}${file}`);
  expect(documents).toHaveLength(1);
  return documents[0] as Json;
}

function container(deployment: Json, name: string): Json {
  const found = (deployment['spec'].template.spec.containers as Json[]).find((candidate) => candidate['name'] === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

function mountPath(deployment: Json, containerName: string, configMapName: string): string {
  const volume = (deployment['spec'].template.spec.volumes as Json[]).find((candidate) => candidate['configMap']?.name === configMapName);
  const mount = (container(deployment, containerName)['volumeMounts'] as Json[]).find((candidate) => candidate['name'] === volume?.['name']);
  if (mount === undefined) throw new Error(`${containerName} does not mount ConfigMap ${configMapName}`);
  return mount['mountPath'] as string;
}

describe('deploy/kubernetes', () => {
  const deployment = onlyDocument('deployment.yaml');
  const service = onlyDocument('service.yaml');
  const kustomization = onlyDocument('kustomization.yaml');
  let config: RuntimeConfig;

  beforeAll(async () => {
    const loaded = await loadConfigFile(`${KUBERNETES_DIR}config.yaml`, { env: {} });
    if (loaded.config === undefined) throw new Error(`config.yaml does not load: ${JSON.stringify(loaded.diagnostics)}`);
    config = loaded.config;
  });

  afterAll(async () => {
    await config.close();
  });

  it('has the expected kinds', () => {
    expect([deployment['apiVersion'], deployment['kind']]).toEqual(['apps/v1', 'Deployment']);
    expect([service['apiVersion'], service['kind']]).toEqual(['v1', 'Service']);
    expect(kustomization['kind']).toBe('Kustomization');
  });

  it('lists only files that exist and generates the ConfigMaps the Deployment mounts', () => {
    for (const resource of kustomization['resources'] as string[]) expect(existsSync(`${KUBERNETES_DIR}${resource}`)).toBe(true);
    const generated = kustomization['configMapGenerator'] as Json[];
    for (const generator of generated) {
      for (const file of generator['files'] as string[]) expect(existsSync(`${KUBERNETES_DIR}${file}`)).toBe(true);
    }
    const mounted = (deployment['spec'].template.spec.volumes as Json[]).map((volume) => volume['configMap']?.name);
    expect(generated.map((generator) => generator['name']).sort()).toEqual([...mounted].sort());
  });

  it('runs Envoy and the sidecar side by side in one pod', () => {
    const pod = deployment['spec'].template;
    expect(pod.spec.containers.map((candidate: Json) => candidate['name'])).toEqual(['envoy', 'switchyard']);
    expect(container(deployment, 'envoy')['image']).toMatch(/^envoyproxy\/envoy:/);
    expect(deployment['spec'].selector.matchLabels).toEqual(expect.objectContaining(service['spec'].selector));
    expect(pod.metadata.labels).toEqual(expect.objectContaining(deployment['spec'].selector.matchLabels));
  });

  it('starts the sidecar without the built-in gateway on the mounted config', () => {
    const args = container(deployment, 'switchyard')['args'] as string[];
    expect(args.slice(0, 1)).toEqual(['serve']);
    expect(args).toContain('--no-gateway');
    expect(args[args.indexOf('--config') + 1]).toBe(`${mountPath(deployment, 'switchyard', 'switchyard-config')}/config.yaml`);
    const envoyArgs = container(deployment, 'envoy')['args'] as string[];
    expect(envoyArgs[envoyArgs.indexOf('-c') + 1]).toBe(`${mountPath(deployment, 'envoy', 'switchyard-envoy')}/envoy.yaml`);
  });

  it('exposes the listener port through the Service and probes what each container serves', () => {
    const envoy = container(deployment, 'envoy');
    const sidecar = container(deployment, 'switchyard');
    const listenerPort = config.listeners[0]?.port;
    expect(envoy['ports']).toEqual([{ name: 'http', containerPort: listenerPort }]);
    expect(service['spec'].ports).toEqual([expect.objectContaining({ port: listenerPort, targetPort: 'http' })]);
    for (const probe of ['readinessProbe', 'livenessProbe']) expect(envoy[probe].httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(sidecar['startupProbe'].httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(sidecar['readinessProbe'].httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(sidecar['livenessProbe'].httpGet).toEqual({ path: '/healthz', port: 'admin' });
  });

  it('keeps ext_proc on the pod loopback and serves health on a separate admin port', () => {
    // ext_proc answers with provider keys; only Envoy, in the same pod, may reach it.
    expect(config.envoy.extprocAddress).toBe('127.0.0.1');
    const sidecar = container(deployment, 'switchyard');
    const args = sidecar['args'] as string[];
    const adminPort = Number(args[args.indexOf('--admin-port') + 1]);
    expect(args[args.indexOf('--admin-address') + 1]).toBe('0.0.0.0');
    // Envoy's admin takes envoy.admin_port on the shared pod loopback; the sidecar's must differ.
    expect(adminPort).not.toBe(config.envoy.adminPort);
    expect(adminPort).not.toBe(config.envoy.extprocPort);
    expect(sidecar['ports']).toEqual([{ name: 'admin', containerPort: adminPort }]);
  });

  it('loads without a warning (no exposed ext_proc port)', async () => {
    const loaded = await loadConfigFile(`${KUBERNETES_DIR}config.yaml`, { env: {} });
    await loaded.config?.close();
    expect(loaded.diagnostics).toEqual([]);
  });

  it('ships an envoy.yaml that decodes strictly and is the render of config.yaml', () => {
    const envoyYaml: unknown = parse(readFileSync(`${KUBERNETES_DIR}envoy.yaml`, 'utf8'));
    expect(checkEnvoyBootstrap(envoyYaml)).toEqual([]);
    expect(envoyYaml).toEqual(buildEnvoyConfig(config));
    const clusters = (envoyYaml as Json)['static_resources'].clusters as Json[];
    const extproc = clusters.find((cluster) => cluster['name'] === EXTPROC_CLUSTER_NAME);
    expect(extproc?.['load_assignment'].endpoints[0].lb_endpoints[0].endpoint.address.socket_address)
      .toEqual({ address: '127.0.0.1', port_value: config.envoy.extprocPort });
  });
});

/** kubectl renders the kustomization where it is installed; otherwise each listed file is read as is. */
function kustomizeBuild(): { how: string; manifests: Json[] } {
  try {
    const text = execFileSync('kubectl', ['kustomize', KUBERNETES_DIR], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    return { how: 'rendered by kubectl kustomize', manifests: parseAllDocuments(text).map((document) => document.toJS() as Json) };
  } catch {
    const kustomization = parse(readFileSync(`${KUBERNETES_DIR}kustomization.yaml`, 'utf8')) as Json;
    return { how: 'kubectl not installed: each listed file as is', manifests: (kustomization['resources'] as string[]).flatMap((file) => yamlDocuments(`${KUBERNETES_DIR}${file}`)) };
  }
}

describe('deploy/kubernetes pod pair: the whole kustomization', () => {
  const built = kustomizeBuild();
  const SCHEMAS: Readonly<Record<string, new (data: Json) => { validate(): void }>> = { ConfigMap, Service, Deployment, HorizontalPodAutoscaler, PodDisruptionBudget };

  it(`passes the Kubernetes schemas (kubernetes-models; ${built.how})`, () => {
    for (const manifest of built.manifests) {
      const Schema = SCHEMAS[manifest['kind']];
      if (Schema === undefined) throw new Error(`no schema check for kind ${manifest['kind']}`);
      expect(() => new Schema(manifest).validate()).not.toThrow();
    }
    expect(built.manifests.map((manifest) => manifest['kind'])).toEqual(expect.arrayContaining(['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']));
  });

  it('has a PodDisruptionBudget and an HPA for the router pods, and Redis for the state the replicas share', async () => {
    const byKind = (kind: string, name: string): Json => built.manifests.find((manifest) => manifest['kind'] === kind && manifest['metadata'].name === name)!;
    const router = byKind('Deployment', 'switchyard');
    expect(byKind('PodDisruptionBudget', 'switchyard')['spec'].selector.matchLabels).toEqual(router['spec'].selector.matchLabels);
    expect(byKind('HorizontalPodAutoscaler', 'switchyard')['spec'].scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'switchyard' });
    expect(byKind('HorizontalPodAutoscaler', 'switchyard')['spec'].minReplicas).toBeGreaterThan(1);
    // The Router Service must not select the Redis pods.
    const redisLabels = byKind('Deployment', 'switchyard-redis')['spec'].template.metadata.labels as Json;
    const routerSelector = byKind('Service', 'switchyard')['spec'].selector as Json;
    expect(Object.entries(routerSelector).every(([key, value]) => redisLabels[key] === value)).toBe(false);
    const loaded = await loadConfigFile(`${KUBERNETES_DIR}config.yaml`, { env: {} });
    try {
      const redisService = `redis://switchyard-redis:${byKind('Service', 'switchyard-redis')['spec'].ports[0].port}/0`;
      expect(loaded.config!.semanticCache).toMatchObject({ enabled: true, backendType: 'redis', redis: { url: redisService } });
      const written = parse(readFileSync(`${KUBERNETES_DIR}config.yaml`, 'utf8')) as Json;
      expect(written['model_selection']).toEqual({ store: 'redis', redis: { url: redisService } });
    } finally {
      await loaded.config?.close();
    }
  });

  it('keeps the routing ConfigMap name stable (an edit hot-reloads) and hashes the Envoy one (an edit rolls the pods)', () => {
    const kustomization = parse(readFileSync(`${KUBERNETES_DIR}kustomization.yaml`, 'utf8')) as Json;
    const generators = Object.fromEntries((kustomization['configMapGenerator'] as Json[]).map((generator) => [generator['name'], generator]));
    expect(generators['switchyard-config']?.['options']).toEqual({ disableNameSuffixHash: true });
    expect(generators['switchyard-envoy']?.['options']).toBeUndefined();
  });
});

describe('deploy/systemd/switchyard.service', () => {
  const unit = readFileSync(deployFile('systemd/switchyard.service'), 'utf8');

  it('has the three unit sections and runs the sidecar without the gateway', () => {
    const sections = [...unit.matchAll(/^\[(\w+)\]$/gm)].map((match) => match[1]);
    expect(sections).toEqual(['Unit', 'Service', 'Install']);
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    expect(execStart.split(' ')).toEqual(expect.arrayContaining(['serve', '--config', '--no-gateway']));
  });

  it('gives the sidecar admin server a port of its own, away from the host Envoy admin (9901)', () => {
    const args = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '').split(' ');
    expect(args).toContain('--admin-port');
    expect(args[args.indexOf('--admin-port') + 1]).not.toBe('9901');
    expect(args).not.toContain('--admin-address');
  });
});

describe('deploy/docker/Dockerfile', () => {
  it('builds on node:20', () => {
    const froms = [...readFileSync(deployFile('docker/Dockerfile'), 'utf8').matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:20\b/);
  });
});
