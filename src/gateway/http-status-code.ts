import { envoyStatusCodesByName } from '../extproc/envoy-protos.js';

/**
 * The HTTP status an `ImmediateResponse.status.code` stands for. proto-loader decodes known enum
 * values to names and unknown ones to numbers; 0/absent → undefined.
 */
export function httpStatusFromCode(code: string | number | undefined): number | undefined {
  if (code === undefined) return undefined;
  const status = typeof code === 'number' ? code : envoyStatusCodesByName().get(code);
  return status === undefined || status === 0 ? undefined : status;
}
