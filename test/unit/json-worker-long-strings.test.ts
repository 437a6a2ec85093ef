import { parseChatRequest } from '../../src/router/chat-request.js';
import { INLINE_CONVERSATION_BYTES, LONG_STRING_CHARS, parseCompactJsonOffLoop } from '../../src/router/json-worker.js';
import { PII_SCAN_LIMIT_BYTES } from '../../src/plugins/pii-policy-plugin.js';
import { systemPromptPlugin } from '../../src/plugins/system-prompt-plugin.js';
import { boundedView, conversationBytes, KEYWORD_TEXT_BUDGET, MODEL_TEXT_BUDGET } from '../../src/signals/bounded-text.js';
import type { RequestView } from '../../src/signals/signal.js';

/**
 * A large body is parsed on the JSON worker, and what it parsed came back by structured clone:
 * one copy of every string, on the event loop, in one call. A 10 MB prompt held the loop
 * 30-45 ms on-CPU (test/reliability: "a 10 MB prompt of a"). Now no string longer than
 * LONG_STRING_CHARS comes back: long ones are transferred buffers spliced into the upstream body,
 * and a conversation over a megabyte comes back as the samples its signals read.
 */

const MB = 1024 * 1024;
const headers = new Map([['x-test', '1']]);

/** Every string in a parsed value (keys included), longest first. */
function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return Math.max(0, ...value.map(longestString));
  if (value !== null && typeof value === 'object') return Math.max(0, ...Object.entries(value).map(([key, inner]) => Math.max(key.length, longestString(inner))));
  return 0;
}

function viewStrings(view: RequestView): number {
  return Math.max(view.lastUserText.length, ...view.messages.map((message) => message.text.length));
}

/** A prompt with every kind of character JSON escapes or encodes in several bytes. */
function awkwardText(chars: number): string {
  const unit = 'plain words, "quotes", back\\slash, tab\tnew\nline, é, 漢字, 😀, \u0001, lone \ud800 surrogate; ';
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

describe('long strings stay off the event loop', () => {
  it('brings no string over LONG_STRING_CHARS back from a 10 MB prompt', async () => {
    const prompt = 'a'.repeat(10 * MB);
    const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }], stream: true }));
    const request = await parseChatRequest(body, headers);
    expect(longestString(request.json)).toBeLessThanOrEqual(LONG_STRING_CHARS);
    expect(viewStrings(request.view)).toBeLessThanOrEqual(KEYWORD_TEXT_BUDGET + 16);
    expect(request.model).toBe('auto');
    expect(request.stream).toBe(true);
    expect(request.longStrings?.count).toBe(1);
    // Signals and plug-ins that count bytes see the whole conversation.
    expect(conversationBytes(request.view)).toBe(10 * MB + 'Be brief.'.length);
  });

  it('gives each signal budget the view it would get from the full texts', async () => {
    const old = awkwardText(700_000);
    const last = awkwardText(900_000).split('').reverse().join('');
    const messages = [{ role: 'user', content: old }, { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: last }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'and this' }] }];
    const body = Buffer.from(JSON.stringify({ model: 'auto', messages }));
    const full: RequestView = { lastUserText: `${last}\nand this`, messages: [{ role: 'user', text: old }, { role: 'assistant', text: 'ok' }, { role: 'user', text: `${last}\nand this` }], headers };
    const request = await parseChatRequest(body, headers);
    for (const budget of [MODEL_TEXT_BUDGET, KEYWORD_TEXT_BUDGET]) {
      const expected = boundedView(full, budget);
      const got = boundedView(request.view, budget);
      expect({ lastUserText: got.lastUserText, messages: got.messages }).toEqual({ lastUserText: expected.lastUserText, messages: [...expected.messages] });
    }
    expect(conversationBytes(request.view)).toBe(conversationBytes(full));
  });

  it('keeps a conversation up to INLINE_CONVERSATION_BYTES whole, so the pii plug-in reads all it scans', async () => {
    expect(INLINE_CONVERSATION_BYTES).toBeGreaterThanOrEqual(PII_SCAN_LIMIT_BYTES);
    const text = awkwardText(300_000);
    const request = await parseChatRequest(Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] })), headers);
    expect(request.view.lastUserText).toBe(text);
    expect(request.view.conversationBytes).toBeUndefined();
    expect(request.longStrings).toBeUndefined();
  });

  it('splices the long strings back: the rewritten body is the JSON of the full edited request, byte for byte', async () => {
    const json = {
      model: 'auto',
      messages: [{ role: 'system', content: awkwardText(200_000) }, { role: 'user', content: awkwardText(1_200_000) }, { role: 'user', content: 'short' }],
      tools: [{ type: 'function', function: { name: 'f', description: awkwardText(100_000) } }],
      metadata: { note: awkwardText(70_000) },
    };
    const request = await parseChatRequest(Buffer.from(JSON.stringify(json)), headers);
    expect(request.longStrings!.count).toBe(4);
    // A plug-in edit that prefixes the system message: its placeholder ends up inside a longer string.
    const edit = systemPromptPlugin.compile({ system_prompt: 'Answer in French.', mode: 'insert' }).apply({} as never);
    const editJson = (await edit).editJson!;
    const edited = editJson({ ...request.json, model: 'routed-model' });
    const spliced = await request.longStrings!.splice(Buffer.from(JSON.stringify(edited)));
    expect(spliced.equals(Buffer.from(JSON.stringify(editJson({ ...json, model: 'routed-model' }))))).toBe(true);
  });

  it('refuses a 10 MB object key, and leaves a 10 MB string body for the router to refuse', async () => {
    await expect(parseChatRequest(Buffer.from(`{"${'k'.repeat(10 * MB)}":1}`), headers)).rejects.toThrow(`request body has an object key of ${10 * MB} characters`);
    await expect(parseChatRequest(Buffer.from(JSON.stringify('a'.repeat(10 * MB))), headers)).rejects.toThrow('request body must be a JSON object, got a string');
    const parsed = await parseCompactJsonOffLoop(Buffer.from(JSON.stringify(['a'.repeat(10 * MB)])), 128);
    expect(longestString(parsed.value)).toBeLessThan(64);
  });
});
