import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Envoy's ext_proc service as grpc-js sees it: the definition to serve and a client class to call it. */
export interface ExtProcDefinitions {
  readonly service: grpc.ServiceDefinition;
  readonly Client: grpc.ServiceClientConstructor;
}

const EXTERNAL_PROCESSOR_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

/**
 * Options shared by server and test client. `enums: String` decodes enums to names; encoding
 * accepts names or numbers, which is how `HttpStatus.code` takes a plain HTTP status number.
 */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

let cached: ExtProcDefinitions | undefined;

/**
 * Loads Envoy's own protos shipped inside `@grpc/grpc-js-xds` (a mid-2024 envoy-api snapshot).
 * Parsing ~140 types takes a few hundred milliseconds, so it happens once per process.
 */
export function loadExtProcDefinitions(): ExtProcDefinitions {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const packageDefinition = protoLoader.loadSync(EXTERNAL_PROCESSOR_PROTO, {
    ...LOADER_OPTIONS,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => path.join(deps, dir)),
  });
  const envoy = grpc.loadPackageDefinition(packageDefinition)['envoy'] as unknown as EnvoyNamespace;
  const ExternalProcessor = envoy.service.ext_proc.v3.ExternalProcessor;
  cached = { service: ExternalProcessor.service, Client: ExternalProcessor };
  return cached;
}

interface EnvoyNamespace {
  readonly service: { readonly ext_proc: { readonly v3: { readonly ExternalProcessor: grpc.ServiceClientConstructor } } };
}
