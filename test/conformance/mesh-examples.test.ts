import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { checkEnvoyMessage } from '../../src/envoy/strict-proto-check.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';

/**
 * The mesh drop-in examples (deploy/mesh) cannot be applied to a cluster here; this checks what
 * can be: the ext_proc filter Istio patches in decodes strictly as Envoy's `ExternalProcessor`
 * and processes like the envoy.yaml Switchyard renders, and the routes match on the header the
 * sidecar sets, toward the port it serves.
 */

type Json = Record<string, any>;

function documents(path: string): Json[] {
  const parsed = parseAllDocuments(readFileSync(fileURLToPath(new URL(`../../deploy/mesh/${path}`, import.meta.url)), 'utf8'));
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const document of list) expect(document.errors).toEqual([]);
  return list.map((document) => document.toJS() as Json);
}

const EXT_PROC_TYPE = 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';

describe('deploy/mesh', () => {
  let renderedFilter: Json;
  let extprocPort: number;

  beforeAll(async () => {
    const loaded = await loadConfigFile(`${REPO_ROOT}/examples/seed-tutorial.yaml`, { env: {} });
    if (loaded.config === undefined) throw new Error('seed config does not load');
    extprocPort = loaded.config.envoy.extprocPort;
    const bootstrap = buildEnvoyConfig(loaded.config) as Json;
    await loaded.config.close();
    const manager = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    renderedFilter = manager.http_filters.find((filter: Json) => filter.name === 'envoy.filters.http.ext_proc').typed_config;
  });

  it("istio: the EnvoyFilter's ext_proc config decodes strictly and processes like the rendered envoy.yaml", () => {
    const [filter] = documents('istio/envoyfilter.yaml');
    const patch = filter!.spec.configPatches[0];
    expect(patch).toMatchObject({ applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.ext_proc' } } });
    const config = patch.patch.value.typed_config;
    expect(config['@type']).toBe(`type.googleapis.com/${EXT_PROC_TYPE}`);
    const { '@type': _type, ...message } = config;
    expect(checkEnvoyMessage(EXT_PROC_TYPE, message)).toEqual([]);
    for (const key of ['processing_mode', 'allow_mode_override', 'route_cache_action', 'failure_mode_allow', 'message_timeout', 'max_message_timeout']) {
      expect([key, config[key]]).toEqual([key, renderedFilter[key]]);
    }
    expect(config.grpc_service.envoy_grpc.cluster_name).toBe(`outbound|${extprocPort}||switchyard.llm.svc.cluster.local`);
  });

  it('istio: routes match x-selected-model and only the gateway reaches the ext_proc port over mTLS', () => {
    const [service] = documents('istio/virtualservice.yaml');
    expect(service!.spec.http[0].match[0].headers).toHaveProperty('x-selected-model');
    const [peer, authorization] = documents('istio/security.yaml');
    expect(peer!.spec.mtls.mode).toBe('STRICT');
    expect(authorization!.spec.rules[0].to[0].operation.ports).toEqual([String(extprocPort)]);
  });

  it('envoy gateway: the extension policy buffers requests, streams responses and reaches the ext_proc port over TLS', () => {
    const [policy, tls, network] = documents('envoy-gateway/extension-policy.yaml');
    const extProc = policy!.spec.extProc[0];
    expect(extProc.backendRefs[0].port).toBe(extprocPort);
    expect(extProc.processingMode).toEqual({ allowModeOverride: true, request: { body: 'Buffered' }, response: { body: 'Streamed' } });
    expect(tls!.kind).toBe('BackendTLSPolicy');
    expect(network!.spec.ingress[0].ports[0].port).toBe(extprocPort);
    const [route] = documents('envoy-gateway/httproute.yaml');
    expect(route!.spec.rules[0].matches[0].headers[0].name).toBe('x-selected-model');
  });
});
