import { cacheKeyOf } from '../../src/cache/cache-key.js';

const user = (content: unknown) => ({ role: 'user', content });
const MODEL = 'm';

describe('cacheKeyOf', () => {
  it('puts the last user message in the query and everything else in the namespace', () => {
    const key = cacheKeyOf({ model: 'auto', messages: [{ role: 'system', content: 'be brief' }, user('What is 2+2?')], temperature: 0 }, MODEL)!;
    expect(key.query).toBe('What is 2+2?');
    expect(key.namespace).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores transport fields and key order, but not history, model or sampling parameters', () => {
    const base = cacheKeyOf({ messages: [user('hi there')], temperature: 0, top_p: 1 }, MODEL)!;
    expect(cacheKeyOf({ top_p: 1, temperature: 0, messages: [user('hi there')], stream: true, stream_options: { include_usage: true }, user: 'u1' }, MODEL)!.namespace).toBe(base.namespace);
    expect(cacheKeyOf({ messages: [user('hi there')], temperature: 0.7, top_p: 1 }, MODEL)!.namespace).not.toBe(base.namespace);
    expect(cacheKeyOf({ messages: [user('hi there')], temperature: 0, top_p: 1 }, 'other')!.namespace).not.toBe(base.namespace);
    expect(cacheKeyOf({ messages: [user('hi there')], temperature: 0, top_p: 1, tools: [{ type: 'function', function: { name: 'f' } }] }, MODEL)!.namespace).not.toBe(base.namespace);
    expect(cacheKeyOf({ messages: [user('hi there')], temperature: 0, top_p: 1, response_format: { type: 'json_object' } }, MODEL)!.namespace).not.toBe(base.namespace);
    const history = [user('Tell me about Rome'), { role: 'assistant', content: 'Rome is…' }, user('hi there')];
    expect(cacheKeyOf({ messages: history, temperature: 0, top_p: 1 }, MODEL)!.namespace).not.toBe(base.namespace);
  });

  it('keeps non-text parts of the last message in the namespace and joins its text parts', () => {
    const withImage = cacheKeyOf({ messages: [user([{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'a.png' } }])] }, MODEL)!;
    const otherImage = cacheKeyOf({ messages: [user([{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'b.png' } }])] }, MODEL)!;
    expect(withImage.query).toBe('What is this?');
    expect(withImage.namespace).not.toBe(otherImage.namespace);
  });

  it('gives identical requests the same identity, whitespace aside', () => {
    expect(cacheKeyOf({ messages: [user('  what  is\nlove ')] }, MODEL)!.identity).toBe(cacheKeyOf({ messages: [user('what is love')] }, MODEL)!.identity);
  });

  it('refuses what it cannot key: no user turn last, no text, n > 1, not an object', () => {
    expect(cacheKeyOf({ messages: [user('q'), { role: 'assistant', content: 'a' }] }, MODEL)).toBeUndefined();
    expect(cacheKeyOf({ messages: [user('   ')] }, MODEL)).toBeUndefined();
    expect(cacheKeyOf({ messages: [user('q')], n: 2 }, MODEL)).toBeUndefined();
    expect(cacheKeyOf({ messages: [] }, MODEL)).toBeUndefined();
    expect(cacheKeyOf('text', MODEL)).toBeUndefined();
  });
});
