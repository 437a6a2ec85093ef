import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parse, parseAllDocuments } from 'yaml';
import { helmValuesSchema } from '../../src/config/helm-values-schema.js';
import { loadConfigText } from '../../src/config/load.js';
import { compileDslText } from '../../src/dsl/compile-dsl.js';
import { renderTarget } from '../../src/dsl/targets.js';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { checkEnvoyBootstrap } from '../../src/envoy/strict-proto-check.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { GoTemplateRenderer } from '../helpers/go-template.js';

/**
 * No `helm` binary can be installed here, so the chart's templates are rendered with a Go
 * text/template renderer for the subset the chart uses (test/helpers/go-template.ts, which
 * throws on anything else) and every manifest is validated offline against the Kubernetes
 * schemas (npm kubernetes-models).
 */

type Json = Record<string, any>;
const CHART = path.join(REPO_ROOT, 'deploy', 'helm', 'switchyard');
const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Json;
const defaults = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Json;
const example = parse(readFileSync(path.join(CHART, 'examples', 'tutorial-values.yaml'), 'utf8')) as Json;
const MODELS: Readonly<Record<string, new (data: Json) => { validate(): void }>> = {
  ConfigMap,
  Service,
  Deployment,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
  ServiceAccount,
  Role,
  // Its constructor type requires roleRef; the rendered manifest is what validate() checks.
  RoleBinding: RoleBinding as unknown as new (data: Json) => { validate(): void },
};

function deepMerge(base: Json, overrides: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    result[key] = typeof value === 'object' && value !== null && !Array.isArray(value) && typeof base[key] === 'object' ? deepMerge(base[key], value) : value;
  }
  return result;
}

function render(overrides: Json = example): Json[] {
  const renderer = new GoTemplateRenderer();
  const templates = path.join(CHART, 'templates');
  renderer.addHelpers(readFileSync(path.join(templates, '_helpers.tpl'), 'utf8'));
  const root = {
    Values: deepMerge(defaults, overrides),
    Release: { Name: 'edge', Namespace: 'llm', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const manifests: Json[] = [];
  for (const file of readdirSync(templates).filter((name) => name.endsWith('.yaml'))) {
    const text = renderer.render(readFileSync(path.join(templates, file), 'utf8'), root);
    for (const document of parseAllDocuments(text) as unknown as { errors: unknown[]; toJS(): Json }[]) {
      expect([file, document.errors]).toEqual([file, []]);
      const manifest = document.toJS();
      if (manifest !== null) manifests.push(manifest);
    }
  }
  return manifests;
}

function validateAll(manifests: readonly Json[]): void {
  for (const manifest of manifests) {
    const Model = MODELS[manifest.kind];
    if (Model === undefined) throw new Error(`no schema check for kind ${manifest.kind}`);
    expect(() => new Model(manifest).validate()).not.toThrow();
  }
}

describe('deploy/helm/switchyard', () => {
  it('values.schema.json is the one `make helm-schema` writes from the config schema', () => {
    expect(JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'))).toEqual(helmValuesSchema());
  });

  it('values.yaml with the example passes values.schema.json, and a config with a schema error does not', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(helmValuesSchema());
    expect(validate(deepMerge(defaults, example))).toBe(true);
    const broken = deepMerge(defaults, deepMerge(example, { config: { decisions: [{ name: 'x', rules: {}, modelRefs: [{ model: 'gemini-2.5-pro', use_reasoning: 'yes' }] }] } }));
    expect(validate(broken)).toBe(false);
  });

  it('refuses to render without a config that names the models', () => {
    expect(() => render({})).toThrow('config.providers is required');
  });

  it('renders a pod pair, a Service, a ConfigMap and a PodDisruptionBudget that pass the Kubernetes schemas', () => {
    const manifests = render();
    expect(manifests.map((manifest) => manifest.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
    validateAll(manifests);
    const deployment = manifests.find((manifest) => manifest.kind === 'Deployment')!;
    expect(deployment.metadata.name).toBe('edge-switchyard');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.containers.map((container: Json) => container.name)).toEqual(['envoy', 'switchyard']);
    expect(pod.initContainers[0].args).toEqual(['envoy', '--config', '/etc/switchyard/config.yaml', '--check', '--out', '/etc/envoy/envoy.yaml']);
    const sidecar = pod.containers[1];
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(sidecar.ports).toEqual([{ name: 'admin', containerPort: 9902 }]);
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'switchyard', 'app.kubernetes.io/instance': 'edge' });
  });

  it('with autoscaling and Redis: an HPA instead of fixed replicas, and REDIS_URL pointing at the Redis Service', () => {
    const manifests = render({ ...example, autoscaling: { enabled: true }, redis: { enabled: true }, podDisruptionBudget: { enabled: false } });
    validateAll(manifests);
    expect(manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'ConfigMap/edge-switchyard-config',
      'Deployment/edge-switchyard',
      'Deployment/edge-switchyard-redis',
      'HorizontalPodAutoscaler/edge-switchyard',
      'Service/edge-switchyard',
      'Service/edge-switchyard-redis',
    ]);
    const deployment = manifests.find((manifest) => manifest.metadata.name === 'edge-switchyard' && manifest.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template.spec.containers[1].env).toEqual([{ name: 'REDIS_URL', value: 'redis://edge-switchyard-redis:6379' }]);
  });

  it('with config_source: kubernetes: a service account allowed to watch the routing resources and patch their status, and nothing more', () => {
    const manifests = render(deepMerge(example, { config: { config_source: 'kubernetes' } }));
    validateAll(manifests);
    expect(manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'ConfigMap/edge-switchyard-config',
      'Deployment/edge-switchyard',
      'PodDisruptionBudget/edge-switchyard',
      'Role/edge-switchyard-config-reader',
      'RoleBinding/edge-switchyard-config-reader',
      'Service/edge-switchyard',
      'ServiceAccount/edge-switchyard',
    ]);
    const role = manifests.find((manifest) => manifest.kind === 'Role')!;
    expect(role.rules).toEqual([
      { apiGroups: ['switchyard.io'], resources: ['semanticrouters', 'intelligentpools', 'intelligentroutes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['switchyard.io'], resources: ['semanticrouters/status', 'intelligentpools/status', 'intelligentroutes/status'], verbs: ['patch'] },
    ]);
    const binding = manifests.find((manifest) => manifest.kind === 'RoleBinding')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'edge-switchyard', namespace: 'llm' }]);
    expect(manifests.find((manifest) => manifest.kind === 'Deployment')!.spec.template.spec.serviceAccountName).toBe('edge-switchyard');
    // The file source (the default) renders no RBAC and the namespace's default account.
    expect(render().find((manifest) => manifest.kind === 'Deployment')!.spec.template.spec.serviceAccountName).toBeUndefined();
  });

  it('the ConfigMap holds a config that loads, whose envoy.yaml (rendered by the init container) decodes strictly', async () => {
    const configMap = render().find((manifest) => manifest.kind === 'ConfigMap')!;
    const { config, diagnostics } = await loadConfigText(configMap.data['config.yaml'], 'config.yaml', { env: {}, configDir: REPO_ROOT });
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    try {
      expect(checkEnvoyBootstrap(buildEnvoyConfig(config!))).toEqual([]);
    } finally {
      await config?.close();
    }
  });

  it('`dsl compile --format helm` output is a values file the chart takes', () => {
    const values = parse(renderTarget(compileDslText(readFileSync(path.join(REPO_ROOT, 'examples', 'seed-tutorial.dsl'), 'utf8'), 'seed.dsl').document!, 'helm')) as Json;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(helmValuesSchema());
    expect(validate(deepMerge(defaults, values))).toBe(true);
    const configMap = render(values).find((manifest) => manifest.kind === 'ConfigMap')!;
    // Helm merges maps: the chart's own config keys (the envoy section) stay under the user's.
    expect(parse(configMap.data['config.yaml'])).toEqual(deepMerge(defaults.config, values.config));
    expect(parse(configMap.data['config.yaml']).envoy.extproc_address).toBe('127.0.0.1');
  });
});
