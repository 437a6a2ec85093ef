import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

const XDS_DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/**
 * Import roots of the Envoy API protos that ship inside `@grpc/grpc-js-xds` (data-plane-api
 * commit f8b75d1, 2024-07-19, the Envoy 1.31 API), for any loader that reads them.
 */
export const ENVOY_API_INCLUDE_DIRS: readonly string[] = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(XDS_DEPS, dir));
