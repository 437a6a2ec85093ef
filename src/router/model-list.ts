import { createHash } from 'node:crypto';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ImmediateReply } from './route-result.js';

// 2024-01-01T00:00:00Z; `created` values fall within the year after it.
const CREATED_EPOCH_SECONDS = 1_704_067_200;
const SECONDS_PER_YEAR = 31_536_000;

/**
 * A `created` timestamp stable for one config version: replies stay byte-identical across
 * calls and replicas, and change when the config does, without reading the clock.
 */
function createdFromVersion(version: string): number {
  return CREATED_EPOCH_SECONDS + (createHash('sha256').update(version).digest().readUInt32BE(0) % SECONDS_PER_YEAR);
}

/**
 * The `GET /v1/models` reply: the primary auto model name first, then every configured
 * model, in the OpenAI list format.
 */
export function listModelsReply(config: RuntimeConfig): ImmediateReply {
  const created = createdFromVersion(config.version);
  const ids = [...new Set([config.router.primaryAutoModelName, ...config.models.keys()])];
  const body = {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'switchyard' })),
  };
  return {
    kind: 'immediate',
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
    details: 'model_list',
  };
}
