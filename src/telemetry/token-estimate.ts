/**
 * Token counts guessed from text when an upstream reports none. Four characters per token is
 * the usual figure for English with OpenAI-style BPE vocabularies; figures made this way are
 * always marked `estimated`.
 */
const CHARS_PER_TOKEN = 4;

/** Past this many bytes a body is not scanned: its size alone gives the estimate (the scan would hold the loop). */
const SCAN_LIMIT_BYTES = 1024 * 1024;

/** Every JSON string value of a `content` or `text` key (request messages, response choices and deltas). */
const CONTENT_STRING = /"(?:content|text)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

export function tokensForChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Characters of message text in a JSON document (escapes counted as written; close enough for a guess). */
export function contentChars(json: string): number {
  let chars = 0;
  for (const match of json.matchAll(CONTENT_STRING)) chars += match[1]!.length;
  return chars;
}

/** Estimated prompt tokens of a chat request body. */
export function estimatePromptTokens(body: Buffer): number {
  if (body.length > SCAN_LIMIT_BYTES) return tokensForChars(body.length);
  return tokensForChars(contentChars(body.toString('utf8')));
}
