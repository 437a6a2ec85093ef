import { RouterError } from '../errors.js';
import type { ImmediateReply } from '../router/route-result.js';
import { errorReply } from '../router/error-reply.js';
import type { ResponsesStore } from './responses-store.js';

function jsonReply(body: unknown): ImmediateReply {
  return { kind: 'immediate', status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(body)), details: 'responses_store' };
}

/** `DELETE /v1/responses/{id}`: forgets the stored response; an unknown id is a 404, as for GET. */
export async function deleteStoredResponse(store: ResponsesStore | undefined, parameter: string): Promise<ImmediateReply> {
  if (parameter.includes('/')) return errorReply(new RouterError('SY_ERR_UNKNOWN_PATH', `Invalid URL (DELETE /v1/responses/${parameter}): use /v1/responses/{id}`));
  const deleted = store !== undefined && (await store.delete(parameter));
  if (!deleted) return responseNotFound(parameter);
  return jsonReply({ id: parameter, object: 'response', deleted: true });
}

function responseNotFound(id: string): ImmediateReply {
  return errorReply(new RouterError('SY_ERR_RESPONSE_NOT_FOUND', `Response with id '${id}' not found.`, { param: 'response_id' }));
}

/**
 * `GET /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`, answered from the store
 * (`parameter` is what follows `/v1/responses/`). A missing, expired or evicted id is a 404.
 */
export async function retrieveStoredResponse(store: ResponsesStore | undefined, parameter: string): Promise<ImmediateReply> {
  const [id = '', part, ...rest] = parameter.split('/');
  if (rest.length > 0 || (part !== undefined && part !== 'input_items')) {
    return errorReply(new RouterError('SY_ERR_UNKNOWN_PATH', `Invalid URL (GET /v1/responses/${parameter}): use /v1/responses/{id} or /v1/responses/{id}/input_items`));
  }
  const record = store === undefined ? undefined : await store.get(id);
  if (record === undefined) return responseNotFound(id);
  if (part === undefined) return jsonReply(record.response);
  const data = [...record.inputItems].reverse();
  return jsonReply({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
}
