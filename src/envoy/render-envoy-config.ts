import { isIP } from 'node:net';
import { Document } from 'yaml';
import type { CircuitBreakerSettings, DownstreamLimits, ExtProcClientTls, ListenerConfig, ModelEndpoint, RuntimeConfig } from '../config/runtime-config.js';
import { DEFAULT_DOWNSTREAM_LIMITS } from '../gateway/downstream-limits.js';
import { failOpenCluster } from '../config/fail-open-cluster.js';
import { openAIErrorBody } from '../errors.js';
import { clientErrorBody } from '../apis/api-errors.js';
import { API_ROUTES, errorFormatOfPath, routePathForms, UNKNOWN_PATH_DIRECT_MESSAGE } from '../router/api-paths.js';

/** The parts of a RuntimeConfig that shape envoy.yaml; a full RuntimeConfig fits. */
export type EnvoyConfigSource = Pick<RuntimeConfig, 'listeners' | 'models' | 'router' | 'envoy'> &
  Partial<Pick<RuntimeConfig, 'version' | 'sourcePath' | 'defaultModel'>>;

/** Name of the cluster that reaches the sidecar's ext_proc gRPC server. */
export const EXTPROC_CLUSTER_NAME = 'switchyard_extproc';

/** Filter name of ext_proc in the HCM chain; per-route overrides are keyed by it. */
export const EXTPROC_FILTER_NAME = 'envoy.filters.http.ext_proc';

/**
 * CA bundle that upstream TLS certificates are verified against: the Debian/Ubuntu path,
 * present in the envoyproxy/envoy images.
 */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const EXTPROC_CONNECT_TIMEOUT = '1s';
const MODEL_CONNECT_TIMEOUT = '5s';
const TYPE = (name: string): string => `type.googleapis.com/${name}`;

/** JSON object as Envoy decodes it (proto3 JSON with snake_case field names). */
type EnvoyJson = Record<string, unknown>;

/** Where Envoy runs relative to the sidecar. */
export interface EnvoyPlacement {
  /**
   * How Envoy reaches the sidecar when it runs elsewhere (its own container, say); by default
   * the config's `envoy.extproc_address`, over loopback when that is a wildcard (one pod).
   */
  readonly sidecar?: { readonly address: string; readonly port: number };
}

/**
 * The envoy.yaml for a config, as a plain object: one listener per configured listener,
 * each running ext_proc → router with `cluster_header` routing; one cluster for the sidecar
 * and one per model endpoint. Follows the recommended layout in the ext_proc reference (§5).
 */
export function buildEnvoyConfig(config: EnvoyConfigSource, placement: EnvoyPlacement = {}): EnvoyJson {
  return {
    admin: {
      address: socketAddress('127.0.0.1', config.envoy.adminPort),
    },
    // Envoy resets each ext_proc stream after its last reply by default. Node's HTTP/2 server
    // (nghttp2's rapid-reset guard: a burst of 1000, then 33 resets/s) answers a reset storm
    // with GOAWAY, which would fail every stream on the connection. A graceful half-close
    // avoids the resets; the sidecar ends each call with OK when Envoy half-closes.
    layered_runtime: {
      layers: [{ name: 'switchyard', static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true, ...listenerConnectionLimits(config) } }],
    },
    static_resources: {
      listeners: config.listeners.map((listener) => buildListener(config, listener)),
      clusters: [buildExtprocCluster(config, placement), ...modelEndpoints(config).map((endpoint) => buildModelCluster(endpoint, config.envoy.circuitBreakers))],
    },
  };
}

/** envoy.yaml text for a config (YAML via the `yaml` package, with a provenance header). */
export function renderEnvoyConfig(config: EnvoyConfigSource, placement: EnvoyPlacement = {}): string {
  const document = new Document(buildEnvoyConfig(config, placement), { aliasDuplicateObjects: false });
  const source = config.sourcePath === undefined ? '' : ` from ${config.sourcePath}`;
  const version = config.version === undefined ? '' : ` (config version ${config.version})`;
  document.commentBefore = ` Rendered by Switchyard${source}${version}. Regenerate it instead of editing.`;
  return document.toString({ lineWidth: 0 });
}

/**
 * `envoy.downstream.max_connections` as Envoy's per-listener runtime limit: connections past it
 * are closed on accept (counted in the listener's `downstream_cx_overflow`).
 */
function listenerConnectionLimits(config: EnvoyConfigSource): Record<string, number> {
  const maxConnections = (config.envoy.downstream ?? DEFAULT_DOWNSTREAM_LIMITS).maxConnections;
  return Object.fromEntries(config.listeners.map((listener) => [`envoy.resource_limits.listener.${listener.name}.connection_limit`, maxConnections]));
}

function buildListener(config: EnvoyConfigSource, listener: ListenerConfig): EnvoyJson {
  const clusterHeader = config.router.clusterHeader;
  const downstream = config.envoy.downstream ?? DEFAULT_DOWNSTREAM_LIMITS;
  return {
    name: listener.name,
    address: socketAddress(listener.address, listener.port),
    // Also the cap on a BUFFERED request body: beyond it Envoy answers 413 before ext_proc sees it.
    per_connection_buffer_limit_bytes: config.envoy.bufferLimitBytes,
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
          stat_prefix: listener.name,
          codec_type: 'AUTO',
          // The sidecar correlates the phases of one request by x-request-id.
          generate_request_id: true,
          stream_idle_timeout: protoDuration(listener.timeoutMs),
          // LLM responses stream for minutes; only idleness ends a request.
          request_timeout: '0s',
          request_headers_timeout: protoDuration(downstream.requestHeadersTimeoutMs),
          common_http_protocol_options: {
            idle_timeout: protoDuration(downstream.idleTimeoutMs),
            ...(downstream.maxRequestsPerConnection === 0 ? {} : { max_requests_per_connection: downstream.maxRequestsPerConnection }),
          },
          // Runs before route selection, so a client cannot pick a cluster by sending the header.
          early_header_mutation_extensions: [{
            name: 'envoy.http.early_header_mutation.header_mutation',
            typed_config: {
              '@type': TYPE('envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation'),
              mutations: [{ remove: clusterHeader }],
            },
          }],
          route_config: buildRouteConfig(listener, clusterHeader, failOpenCluster(config)),
          http_filters: [buildExtprocFilter(config), {
            name: 'envoy.filters.http.router',
            typed_config: {
              '@type': TYPE('envoy.extensions.filters.http.router.v3.Router'),
              suppress_envoy_headers: true,
            },
          }],
          access_log: [{
            name: 'envoy.access_loggers.stdout',
            typed_config: {
              '@type': TYPE('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog'),
              log_format: {
                json_format: {
                  code: '%RESPONSE_CODE%',
                  details: '%RESPONSE_CODE_DETAILS%',
                  flags: '%RESPONSE_FLAGS%',
                  cluster: '%UPSTREAM_CLUSTER%',
                  method: '%REQ(:METHOD)%',
                  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
                  duration_ms: '%DURATION%',
                  request_id: '%REQ(X-REQUEST-ID)%',
                },
              },
            },
          }],
        },
      }],
    }],
  };
}

/** A route action that answers with a JSON error body. */
function jsonDirectResponse(status: number, body: unknown): EnvoyJson {
  return {
    direct_response: { status, body: { inline_string: JSON.stringify(body) } },
    response_headers_to_add: [{
      header: { key: 'content-type', value: 'application/json' },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    }],
  };
}

/**
 * healthz → routed (the sidecar set the cluster header) → one `unrouted` 503 per served API
 * path form (router/api-paths.ts) → `unknown_path` 404 for everything else. With
 * failure_mode_allow the `unrouted` routes forward to the default model's cluster instead: a
 * request ext_proc failed on continues unmodified and reaches a model (fail open).
 */
function buildRouteConfig(listener: ListenerConfig, clusterHeader: string, failOpen: string | undefined): EnvoyJson {
  const noRouteMessage = 'No upstream was selected for this request (the router did not answer).';
  const noRoute = openAIErrorBody('SY_ERR_NO_ROUTE', noRouteMessage);
  // Routes sharing a path (GET and DELETE /v1/responses/) are one Envoy route: it matches on path only.
  const paths = API_ROUTES.filter((route, index) => API_ROUTES.findIndex((other) => other.path === route.path) === index);
  return {
    name: listener.name,
    virtual_hosts: [{
      name: 'switchyard',
      domains: ['*'],
      routes: [
        {
          name: 'healthz',
          match: { path: '/healthz' },
          direct_response: { status: 200, body: { inline_string: 'ok\n' } },
          typed_per_filter_config: {
            [EXTPROC_FILTER_NAME]: {
              '@type': TYPE('envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute'),
              disabled: true,
            },
          },
        },
        {
          // Chosen once the sidecar has set the header and the route cache was cleared.
          name: 'routed',
          match: { prefix: '/', headers: [{ name: clusterHeader, present_match: true }] },
          route: {
            cluster_header: clusterHeader,
            cluster_not_found_response_code: 'SERVICE_UNAVAILABLE',
            auto_host_rewrite: true,
            // The 15 s default would cut long generations; the HCM stream idle timeout still applies.
            timeout: '0s',
          },
          request_headers_to_remove: [clusterHeader],
        },
        // Also the routes Envoy caches before ext_proc runs, so ext_proc must stay enabled on them.
        ...paths.flatMap((route) =>
          routePathForms(route).map((form) => ({
            name: `unrouted ${form}`,
            match: route.match === 'exact' ? { path: form } : { prefix: form },
            ...(failOpen === undefined
              ? jsonDirectResponse(503, errorFormatOfPath(form) === 'messages' ? clientErrorBody('messages', 503, noRouteMessage) : noRoute)
              : { route: { cluster: failOpen, auto_host_rewrite: true, timeout: '0s' } }),
          })),
        ),
        {
          // The sidecar answers these itself (404 naming the served paths, counted and logged);
          // this reply stands in only when it did not.
          name: 'unknown_path',
          match: { prefix: '/' },
          ...jsonDirectResponse(404, openAIErrorBody('SY_ERR_UNKNOWN_PATH', UNKNOWN_PATH_DIRECT_MESSAGE)),
        },
      ],
    }],
  };
}

function buildExtprocFilter(config: EnvoyConfigSource): EnvoyJson {
  const settings = config.envoy;
  const mode = settings.processingMode;
  return {
    name: EXTPROC_FILTER_NAME,
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor'),
      grpc_service: { envoy_grpc: { cluster_name: EXTPROC_CLUSTER_NAME } },
      failure_mode_allow: settings.failureModeAllow,
      message_timeout: protoDuration(settings.messageTimeoutMs),
      max_message_timeout: protoDuration(settings.maxMessageTimeoutMs),
      allow_mode_override: settings.allowModeOverride,
      processing_mode: {
        request_header_mode: mode.requestHeaderMode,
        request_body_mode: mode.requestBodyMode,
        request_trailer_mode: 'SKIP',
        response_header_mode: mode.responseHeaderMode,
        response_body_mode: mode.responseBodyMode,
        response_trailer_mode: 'SKIP',
      },
      route_cache_action: settings.routeCacheAction,
      // Defaults: the sidecar may set :path and ordinary headers, never host/:authority/x-envoy-*.
      mutation_rules: {},
    },
  };
}

/** Below nghttp2's reset burst of 1000, so a connection is retired before the guard can trip. */
const EXTPROC_MAX_STREAMS_PER_CONNECTION = 900;

function buildExtprocCluster(config: EnvoyConfigSource, placement: EnvoyPlacement): EnvoyJson {
  const address = placement.sidecar?.address ?? loopbackFor(config.envoy.extprocAddress);
  const port = placement.sidecar?.port ?? config.envoy.extprocPort;
  const tls = config.envoy.extprocTls?.client;
  return {
    name: EXTPROC_CLUSTER_NAME,
    type: isIP(address) === 0 ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: EXTPROC_CONNECT_TIMEOUT,
    per_connection_buffer_limit_bytes: config.envoy.bufferLimitBytes,
    typed_extension_protocol_options: httpProtocolOptions(
      { http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } } },
      // Second guard against the reset limit above, for Envoys without the graceful-close flag.
      { max_requests_per_connection: EXTPROC_MAX_STREAMS_PER_CONNECTION },
    ),
    load_assignment: {
      cluster_name: EXTPROC_CLUSTER_NAME,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address, port) } }] }],
    },
    ...(tls === undefined ? {} : { transport_socket: extprocTls(tls) }),
  };
}

/**
 * TLS to a sidecar with its own certificate: trust `ca_file`, present the client certificate
 * (the sidecar verifies it), and match the sidecar's DNS name when `server_name` is set.
 * HTTP/2 needs ALPN "h2" over TLS; grpc-js servers refuse a TLS client without it.
 */
function extprocTls(tls: ExtProcClientTls): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': TYPE('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
      ...(tls.serverName === undefined ? {} : { sni: tls.serverName }),
      common_tls_context: {
        alpn_protocols: ['h2'],
        ...(tls.certFile === undefined || tls.keyFile === undefined
          ? {}
          : { tls_certificates: [{ certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } }] }),
        validation_context: {
          trusted_ca: { filename: tls.caFile },
          ...(tls.serverName === undefined ? {} : { match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: tls.serverName } }] }),
        },
      },
    },
  };
}

function buildModelCluster(endpoint: ModelEndpoint, breakers: CircuitBreakerSettings): EnvoyJson {
  const host = unbracketed(endpoint.host);
  const isHostname = isIP(host) === 0;
  const cluster: EnvoyJson = {
    name: endpoint.cluster,
    type: isHostname ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: MODEL_CONNECT_TIMEOUT,
    // The same thresholds the built-in gateway enforces (envoy.circuit_breakers).
    circuit_breakers: {
      thresholds: [{
        priority: 'DEFAULT',
        max_connections: breakers.maxConnections,
        max_pending_requests: breakers.maxPendingRequests,
        max_requests: breakers.maxRequests,
      }],
    },
    dns_lookup_family: 'V4_ONLY',
    typed_extension_protocol_options: httpProtocolOptions({ http_protocol_options: {} }),
    load_assignment: {
      cluster_name: endpoint.cluster,
      endpoints: [{
        lb_endpoints: [{
          endpoint: {
            address: socketAddress(host, endpoint.port),
            // auto_host_rewrite sets Host to this name, which public APIs route on.
            ...(isHostname ? { hostname: host } : {}),
          },
        }],
      }],
    },
  };
  if (endpoint.protocol === 'https') cluster['transport_socket'] = upstreamTls(host, isHostname);
  return cluster;
}

function upstreamTls(host: string, isHostname: boolean): EnvoyJson {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': TYPE('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
      // SNI must be a hostname (RFC 6066), never an IP literal.
      ...(isHostname ? { sni: host } : {}),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: SYSTEM_CA_BUNDLE },
          match_typed_subject_alt_names: [{
            san_type: isHostname ? 'DNS' : 'IP_ADDRESS',
            matcher: { exact: host },
          }],
        },
      },
    },
  };
}

function httpProtocolOptions(explicitHttpConfig: EnvoyJson, commonHttpOptions?: EnvoyJson): EnvoyJson {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': TYPE('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
      ...(commonHttpOptions === undefined ? {} : { common_http_protocol_options: commonHttpOptions }),
      explicit_http_config: explicitHttpConfig,
    },
  };
}

/** Every model endpoint once per cluster name; two different addresses under one name is a config bug. */
function modelEndpoints(config: EnvoyConfigSource): ModelEndpoint[] {
  const byCluster = new Map<string, ModelEndpoint>();
  for (const model of config.models.values()) {
    for (const endpoint of model.endpoints) {
      if (endpoint.cluster === EXTPROC_CLUSTER_NAME) {
        throw new Error(`Model "${model.name}" endpoint "${endpoint.name}" uses the reserved cluster name ${EXTPROC_CLUSTER_NAME}`);
      }
      const known = byCluster.get(endpoint.cluster);
      if (known === undefined) byCluster.set(endpoint.cluster, endpoint);
      else if (known.host !== endpoint.host || known.port !== endpoint.port || known.protocol !== endpoint.protocol) {
        throw new Error(
          `Cluster "${endpoint.cluster}" is defined twice with different upstreams ` +
            `(${known.protocol}://${known.host}:${known.port} and ${endpoint.protocol}://${endpoint.host}:${endpoint.port})`,
        );
      }
    }
  }
  return [...byCluster.values()];
}

function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

/** A sidecar bound to every interface is reached over loopback. */
function loopbackFor(address: string): string {
  const host = unbracketed(address);
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Milliseconds as a proto3 JSON Duration: "2s", "0.250s". */
function protoDuration(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${(milliseconds / 1000).toFixed(3)}s`;
}
