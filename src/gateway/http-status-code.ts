import { createRequire } from 'node:module';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

let codesByName: ReadonlyMap<string, number> | undefined;

/** `envoy.type.v3.StatusCode` names → numbers, read from Envoy's own http_status.proto (one small file). */
function statusCodesByName(): ReadonlyMap<string, number> {
  if (codesByName !== undefined) return codesByName;
  const require = createRequire(import.meta.url);
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const definition = protoLoader.loadSync('envoy/type/v3/http_status.proto', {
    keepCase: true,
    includeDirs: ['envoy-api', 'xds', 'protoc-gen-validate'].map((dir) => path.join(deps, dir)),
  });
  const statusCode = definition['envoy.type.v3.StatusCode'] as unknown as { type: { value: { name: string; number: number }[] } };
  codesByName = new Map(statusCode.type.value.map((entry) => [entry.name, entry.number]));
  return codesByName;
}

/**
 * The HTTP status an `ImmediateResponse.status.code` stands for. proto-loader decodes known enum
 * values to names and unknown ones to numbers; 0/absent → undefined.
 */
export function httpStatusFromCode(code: string | number | undefined): number | undefined {
  if (code === undefined) return undefined;
  const status = typeof code === 'number' ? code : statusCodesByName().get(code);
  return status === undefined || status === 0 ? undefined : status;
}
