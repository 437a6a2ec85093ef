import { MAX_BATCH_TEXTS, MAX_TEXT_CHARS } from './classification-limits.js';

const TEXT = { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS } as const;
const TEXTS = { oneOf: [TEXT, { type: 'array', items: TEXT, minItems: 1, maxItems: MAX_BATCH_TEXTS }] } as const;

const SIGNAL_RESULT = {
  type: 'object',
  required: ['type', 'name', 'matched', 'confidence'],
  properties: {
    type: { type: 'string', description: 'signal type (domain, pii, jailbreak, keyword…)' },
    name: { type: 'string', description: 'the rule name in the config' },
    matched: { type: 'boolean' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    value: { type: 'number' },
    threshold: { type: 'number' },
    top_labels: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' } } } },
    error: { type: 'string', description: 'the extractor failed; the rule counted as not matched' },
  },
} as const;

const ERROR = {
  type: 'object',
  properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: 'string' } } } },
} as const;

function post(summary: string, request: object, response: object): object {
  const json = (schema: object): object => ({ content: { 'application/json': { schema } } });
  return {
    post: {
      summary,
      security: [{ adminToken: [] }],
      requestBody: { required: true, ...json(request) },
      responses: {
        200: { description: 'OK', ...json(response) },
        400: { description: 'invalid body', ...json(ERROR) },
        401: { description: 'missing or wrong admin token', ...json(ERROR) },
        403: { description: 'the admin token is needed but not configured', ...json(ERROR) },
        413: { description: 'body larger than 1 MiB', ...json(ERROR) },
      },
    },
  };
}

function task(summary: string, extra: Record<string, object>): object {
  return post(summary, { type: 'object', required: ['text'], properties: { text: TEXT } }, {
    type: 'object',
    properties: { signals: { type: 'array', items: SIGNAL_RESULT }, processing_time_ms: { type: 'number' }, ...extra },
  });
}

/** The OpenAPI document of the classification API, served at `GET /openapi.json` on the admin port. */
export const CLASSIFICATION_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Switchyard classification API',
    version: '1',
    description: "The router's own signal extractors (those of the serving config, as `switchyard route --explain` runs them) over plain text.",
  },
  components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'model_selection.api.token; needed when the admin port listens beyond loopback' } } },
  paths: {
    '/api/v1/classify/intent': task('Domain (intent) signals of a text', { classification: { type: 'object', properties: { category: { type: ['string', 'null'] }, confidence: { type: 'number' } } } }),
    '/api/v1/classify/pii': task('PII signals of a text', { has_pii: { type: 'boolean' } }),
    '/api/v1/classify/security': task('Jailbreak signals of a text', { is_jailbreak: { type: 'boolean' } }),
    '/api/v1/classify/combined': task('Every signal of a text and the decision the router would take', {
      decision: { type: ['string', 'null'] },
      model: { type: 'string' },
      decisions: { type: 'array', items: { type: 'object' } },
    }),
    '/api/v1/classify/batch': post(
      'One task over several texts',
      { type: 'object', required: ['texts'], properties: { texts: TEXTS, task: { enum: ['intent', 'pii', 'security', 'combined'], default: 'combined' } } },
      { type: 'object', properties: { task: { type: 'string' }, results: { type: 'array', items: { type: 'object' } }, total_count: { type: 'integer' }, processing_time_ms: { type: 'number' } } },
    ),
    '/api/v1/embeddings': post(
      'Sentence embeddings (the bundled encoder, L2-normalised)',
      { type: 'object', required: ['input'], properties: { input: TEXTS } },
      { type: 'object', properties: { object: { const: 'list' }, model: { type: 'string' }, dimensions: { type: 'integer' }, data: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, embedding: { type: 'array', items: { type: 'number' } } } } } } },
    ),
    '/api/v1/similarity': post(
      'Cosine similarity of two texts',
      { type: 'object', required: ['text1', 'text2'], properties: { text1: TEXT, text2: TEXT } },
      { type: 'object', properties: { similarity: { type: 'number' }, model: { type: 'string' } } },
    ),
  },
} as const;
