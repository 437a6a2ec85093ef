import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { ENVOY_API_INCLUDE_DIRS } from './envoy-api-include-dirs.js';

const require = createRequire(import.meta.url);

/** The Envoy API protos, then protobufjs itself for `google/protobuf/*`. */
const INCLUDE_DIRS: readonly string[] = [...ENVOY_API_INCLUDE_DIRS, dirname(require.resolve('protobufjs/package.json'))];

/**
 * Files whose messages a Switchyard envoy.yaml uses, beyond what `Bootstrap` imports itself:
 * every `typed_config` names one of these, so they must be loaded for `@type` to resolve.
 */
const EXTENSION_PROTOS: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/http/early_header_mutation/header_mutation/v3/header_mutation.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
];

/** Full name of Envoy's top-level config message: what an envoy.yaml decodes into. */
export const ENVOY_BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

let cachedRoot: protobuf.Root | undefined;

/**
 * The Envoy protos as a resolved protobufjs Root, loaded once (about 0.2 s) and kept.
 * Field names stay snake_case (`keepCase`), as in envoy.yaml.
 */
export function loadEnvoyProtoRoot(): protobuf.Root {
  if (cachedRoot !== undefined) return cachedRoot;
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of INCLUDE_DIRS) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync([...EXTENSION_PROTOS], { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}
