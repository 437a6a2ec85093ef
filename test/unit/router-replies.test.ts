import { RouterError } from '../../src/errors.js';
import { errorReply } from '../../src/router/error-reply.js';
import { listModelsReply } from '../../src/router/model-list.js';
import { GEMINI_MODEL, LOCAL_MODEL, seedRuntimeConfig } from '../fixtures/requests/seed-config.js';

describe('listModelsReply', () => {
  it('lists the primary auto name first, then configured models, in OpenAI format', async () => {
    const config = await seedRuntimeConfig();
    const reply = listModelsReply(config);
    expect(reply).toMatchObject({ kind: 'immediate', status: 200, headers: [['content-type', 'application/json']] });
    const body = JSON.parse(reply.body.toString());
    expect(body.object).toBe('list');
    expect(body.data.map((entry: { id: string }) => entry.id)).toEqual(['MoM', LOCAL_MODEL, GEMINI_MODEL]);
    for (const entry of body.data) {
      expect(entry).toEqual({ id: entry.id, object: 'model', created: body.data[0].created, owned_by: 'switchyard' });
    }
    expect(Number.isInteger(body.data[0].created)).toBe(true);
  });

  it('derives `created` from the config version, not the clock', async () => {
    const config = await seedRuntimeConfig();
    const created = (version: string) => JSON.parse(listModelsReply({ ...config, version }).body.toString()).data[0].created;
    expect(created('v1')).toBe(created('v1'));
    expect(created('v1')).not.toBe(created('v2'));
  });
});

describe('errorReply', () => {
  it('turns a RouterError into its status and OpenAI error body', () => {
    const reply = errorReply(new RouterError('SY_ERR_REQUEST_INVALID_FIELD', "'stream' must be a boolean", { param: 'stream' }));
    expect(reply).toMatchObject({ kind: 'immediate', status: 400, headers: [['content-type', 'application/json']], details: 'sy_err_request_invalid_field' });
    expect(JSON.parse(reply.body.toString())).toEqual({
      error: { message: "'stream' must be a boolean", type: 'invalid_request_error', param: 'stream', code: 'invalid_value' },
    });
  });

  it('hides any other error behind a 500 quoting the error id', () => {
    const reply = errorReply(new TypeError('secret stack detail'), 'abc123');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body.toString())).toEqual({
      error: { message: 'internal error (id abc123)', type: 'server_error', param: null, code: 'internal_error' },
    });
    expect(JSON.parse(errorReply(new Error('x')).body.toString()).error.message).toBe('internal error');
  });
});
