import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ENVOY_API_INCLUDE_DIRS } from '../envoy/envoy-api-include-dirs.js';

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

let packageDefinition: protoLoader.PackageDefinition | undefined;

/**
 * Envoy's own protos shipped inside `@grpc/grpc-js-xds`, from external_processor.proto down.
 * Parsing ~140 types takes a few hundred milliseconds, so it happens once per process.
 */
function extProcPackageDefinition(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(EXTERNAL_PROCESSOR_PROTO, { ...LOADER_OPTIONS, includeDirs: [...ENVOY_API_INCLUDE_DIRS] });
  return packageDefinition;
}

let cached: ExtProcDefinitions | undefined;

/** The ext_proc service definition and client class, built once per process. */
export function loadExtProcDefinitions(): ExtProcDefinitions {
  if (cached !== undefined) return cached;
  const envoy = grpc.loadPackageDefinition(extProcPackageDefinition())['envoy'] as unknown as EnvoyNamespace;
  const ExternalProcessor = envoy.service.ext_proc.v3.ExternalProcessor;
  cached = { service: ExternalProcessor.service, Client: ExternalProcessor };
  return cached;
}

/** The protobuf number of `field` in the ext_proc proto's message type `typeName` (full name). */
export function extProcFieldNumber(typeName: string, field: string): number {
  const type = extProcPackageDefinition()[typeName] as unknown as { type?: { field?: { name: string; number: number }[] } } | undefined;
  const number = type?.type?.field?.find((entry) => entry.name === field)?.number;
  if (number === undefined) throw new Error(`${typeName} has no field ${field}`);
  return number;
}

let statusCodes: ReadonlyMap<string, number> | undefined;

/** `envoy.type.v3.StatusCode` names → HTTP status numbers (`ImmediateResponse.status` uses that enum). */
export function envoyStatusCodesByName(): ReadonlyMap<string, number> {
  if (statusCodes !== undefined) return statusCodes;
  const statusCode = extProcPackageDefinition()['envoy.type.v3.StatusCode'] as unknown as { type: { value: { name: string; number: number }[] } };
  statusCodes = new Map(statusCode.type.value.map((entry) => [entry.name, entry.number]));
  return statusCodes;
}

interface EnvoyNamespace {
  readonly service: { readonly ext_proc: { readonly v3: { readonly ExternalProcessor: grpc.ServiceClientConstructor } } };
}
