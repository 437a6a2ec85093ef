import { createHash } from 'node:crypto';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { RouterError } from '../errors.js';
import { errorReply } from './error-reply.js';
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

/** The model ids a client can ask for: the primary auto model name first, then every configured model. */
function servedModelIds(config: RuntimeConfig): string[] {
  return [...new Set([config.router.primaryAutoModelName, ...config.models.keys()])];
}

function modelObject(id: string, created: number): Record<string, unknown> {
  return { id, object: 'model', created, owned_by: 'switchyard' };
}

function jsonReply(body: unknown, details: string): ImmediateReply {
  return {
    kind: 'immediate',
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
    details,
  };
}

/** The `GET /v1/models` reply: every served model id, in the OpenAI list format. */
export function listModelsReply(config: RuntimeConfig): ImmediateReply {
  const created = createdFromVersion(config.version);
  return jsonReply({ object: 'list', data: servedModelIds(config).map((id) => modelObject(id, created)) }, 'model_list');
}

/**
 * The `GET /v1/models/{model}` reply, as OpenAI's retrieve answers it: the model object, or
 * 404 `model_not_found` naming the id.
 */
export function retrieveModelReply(config: RuntimeConfig, id: string): ImmediateReply {
  if (!servedModelIds(config).includes(id)) {
    return errorReply(new RouterError('SY_ERR_MODEL_NOT_FOUND', `The model '${id}' does not exist`, { param: 'model' }));
  }
  return jsonReply(modelObject(id, createdFromVersion(config.version)), 'model_retrieve');
}
