/** The API a client spoke to Switchyard, which its answers and errors must come back in. */
export type ClientApi = 'chat' | 'responses' | 'messages';

/**
 * The wire format a model's backend speaks (`api_format` of a model): `openai` is chat
 * completions only (vLLM, llama.cpp, mlx-lm), `openai_responses` chat completions and the
 * Responses API (OpenAI itself), `anthropic` the Messages API.
 */
export type UpstreamApiFormat = 'openai' | 'openai_responses' | 'anthropic';

export const UPSTREAM_API_FORMATS: readonly UpstreamApiFormat[] = ['openai', 'openai_responses', 'anthropic'];

/** The format a backend answers in: chat completion chunks and objects, or Anthropic messages and events. */
export type AnswerFormat = 'chat' | 'anthropic';
