import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { anthropicRequestFromChat, chatRequestFromAnthropic } from '../../src/apis/anthropic-request.js';
import { answerTranslator, type AnswerTranslation } from '../../src/apis/response-translator.js';
import { chatRequestFromResponses } from '../../src/apis/responses-request.js';
import { responseShellOf } from '../../src/apis/responses-response.js';
import type { JsonObject } from '../../src/apis/wire-json.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';

/**
 * Golden files for the API translations (test/fixtures/apis): each `*.input.json` request is
 * translated and, where the translation has a way back, translated back; each upstream answer is
 * translated for every client format. Expected outputs are the `*.expected.*` files next to the
 * inputs; GOLDEN_UPDATE=1 rewrites them (then read the diff: it is the review).
 */
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'apis');
const UPDATE = process.env.GOLDEN_UPDATE === '1';

/** Ids and clocks differ per run; everything else must match byte for byte. */
function normalize(text: string): string {
  return text
    .replace(/\b(msg|resp|fc|toolu|call)_[0-9a-f]{32}\b/g, '$1_<id>')
    .replace(/\b(msg|fc|chatcmpl)[_-][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '$1_<id>')
    .replace(/"(created|created_at)":(\s*)\d+/g, '"$1":$20');
}

function golden(file: string, actual: string): void {
  const full = path.join(FIXTURES, file);
  const text = normalize(actual);
  if (UPDATE || !existsSync(full)) {
    if (!UPDATE) throw new Error(`${file} is missing: run with GOLDEN_UPDATE=1 and review it`);
    writeFileSync(full, text);
  }
  expect(text).toBe(readFileSync(full, 'utf8'));
}

const pretty = (json: unknown): string => `${JSON.stringify(json, null, 2)}\n`;

interface RequestCase {
  readonly translation: 'chat→anthropic→chat' | 'anthropic→chat→anthropic' | 'responses→chat';
  readonly input: JsonObject;
  readonly history?: JsonObject[];
}

describe('request translation golden files', () => {
  const cases = readdirSync(path.join(FIXTURES, 'requests')).filter((file) => file.endsWith('.input.json'));

  it.each(cases)('%s', (file) => {
    const spec = JSON.parse(readFileSync(path.join(FIXTURES, 'requests', file), 'utf8')) as RequestCase;
    const base = `requests/${file.replace('.input.json', '')}`;
    switch (spec.translation) {
      case 'chat→anthropic→chat': {
        const anthropic = anthropicRequestFromChat(spec.input);
        golden(`${base}.expected.anthropic.json`, pretty(anthropic));
        golden(`${base}.expected.roundtrip.json`, pretty(chatRequestFromAnthropic(anthropic)));
        break;
      }
      case 'anthropic→chat→anthropic': {
        const chat = chatRequestFromAnthropic(spec.input);
        golden(`${base}.expected.chat.json`, pretty(chat));
        golden(`${base}.expected.roundtrip.json`, pretty(anthropicRequestFromChat(chat)));
        break;
      }
      case 'responses→chat':
        golden(`${base}.expected.chat.json`, pretty(chatRequestFromResponses(spec.input, spec.history ?? [])));
        break;
    }
  });
});

/** Every client format an upstream answer format can be translated to. */
const ANSWERS: readonly { file: string; contentType: string; translations: readonly [string, AnswerTranslation][] }[] = [
  {
    file: 'anthropic-message.json',
    contentType: 'application/json',
    translations: [
      ['chat', { from: 'anthropic', to: 'chat', includeUsage: false }],
      ['responses', { from: 'anthropic', to: 'responses', includeUsage: true, shell: responseShellOf({ model: 'auto' }) }],
    ],
  },
  {
    file: 'chat-completion.json',
    contentType: 'application/json',
    translations: [
      ['messages', { from: 'chat', to: 'messages', includeUsage: true }],
      ['responses', { from: 'chat', to: 'responses', includeUsage: true, shell: responseShellOf({ model: 'auto', instructions: 'Be brief.' }) }],
    ],
  },
  {
    file: 'anthropic-stream.sse',
    contentType: 'text/event-stream',
    translations: [
      ['chat', { from: 'anthropic', to: 'chat', includeUsage: true }],
      ['responses', { from: 'anthropic', to: 'responses', includeUsage: true, shell: responseShellOf({ model: 'auto' }) }],
    ],
  },
  {
    file: 'chat-stream.sse',
    contentType: 'text/event-stream',
    translations: [
      ['messages', { from: 'chat', to: 'messages', includeUsage: true }],
      ['responses', { from: 'chat', to: 'responses', includeUsage: true, shell: responseShellOf({ model: 'auto' }) }],
    ],
  },
];

function translate(translation: AnswerTranslation, contentType: string, chunks: readonly Buffer[]): string {
  const translator = answerTranslator(translation, 200, contentType, 1 << 20);
  return Buffer.concat([...chunks.map((chunk) => translator.push(chunk)), translator.end()]).toString('utf8');
}

describe('answer translation golden files', () => {
  const cases = ANSWERS.flatMap((answer) => answer.translations.map(([to, translation]) => ({ ...answer, to, translation })));

  it.each(cases.map((entry) => [`${entry.file} for a ${entry.to} client`, entry] as const))('%s', (_name, entry) => {
    const body = readFileSync(path.join(FIXTURES, 'answers', entry.file));
    const extension = entry.contentType === 'text/event-stream' ? 'sse' : 'json';
    const whole = translate(entry.translation, entry.contentType, [body]);
    golden(`answers/${entry.file.replace(/\.(json|sse)$/, '')}.expected.${entry.to}.${extension}`, extension === 'json' ? pretty(JSON.parse(whole)) : whole);
  });

  const streams = cases.filter((entry) => entry.contentType === 'text/event-stream');

  it.each(streams.map((entry) => [`${entry.file} for a ${entry.to} client`, entry] as const))('translates %s the same however the bytes are split', (_name, entry) => {
    const body = readFileSync(path.join(FIXTURES, 'answers', entry.file));
    const whole = normalize(translate(entry.translation, entry.contentType, [body]));
    // Every two-piece split (mid-line, mid-event, mid-UTF-8 character) and one byte at a time.
    for (let cut = 1; cut < body.length; cut += 7) expect(normalize(translate(entry.translation, entry.contentType, [body.subarray(0, cut), body.subarray(cut)]))).toBe(whole);
    const bytes = [...body].map((byte) => Buffer.from([byte]));
    expect(normalize(translate(entry.translation, entry.contentType, bytes))).toBe(whole);
  });

  it.each(streams.map((entry) => [`${entry.file} for a ${entry.to} client`, entry] as const))('sends %s on event by event, holding nothing back', (_name, entry) => {
    const events = readFileSync(path.join(FIXTURES, 'answers', entry.file), 'utf8').split('\n\n').filter((event) => event.trim() !== '');
    const translator = answerTranslator(entry.translation, 200, entry.contentType, 1 << 20);
    // A content event comes out while the upstream stream is still open.
    const outputs = events.map((event) => translator.push(Buffer.from(`${event}\n\n`)).toString('utf8'));
    const firstText = outputs.findIndex((out) => /Héllo|Grüße/.test(out));
    expect(firstText).toBeGreaterThan(0);
    expect(firstText).toBe(events.findIndex((event) => /Héllo|Grüße/.test(event)));
  });
});
