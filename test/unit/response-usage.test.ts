import { ResponseUsageMeter } from '../../src/telemetry/response-usage.js';

const event = (payload: object): string => `data: ${JSON.stringify(payload)}\n\n`;
const CHUNKS = [
  event({ id: 'c', choices: [{ index: 0, delta: { content: 'Grüße, ' }, finish_reason: null }], usage: null }),
  event({ id: 'c', choices: [{ index: 0, delta: { content: '世界 🌍' }, finish_reason: 'stop' }], usage: null }),
  event({ id: 'c', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } }),
  'data: [DONE]\n\n',
];
/** What the upstream would have sent a client that did not ask for usage. */
const WITHOUT_USAGE = [
  event({ id: 'c', choices: [{ index: 0, delta: { content: 'Grüße, ' }, finish_reason: null }] }),
  event({ id: 'c', choices: [{ index: 0, delta: { content: '世界 🌍' }, finish_reason: 'stop' }] }),
  'data: [DONE]\n\n',
].join('');

function run(parts: readonly Buffer[], strip: boolean, eventStream = true): { out: string; meter: ResponseUsageMeter } {
  const meter = new ResponseUsageMeter(eventStream, strip);
  const out = parts.map((part, i) => meter.chunk(part, i, i === parts.length - 1) ?? part);
  return { out: Buffer.concat(out).toString('utf8'), meter };
}

describe('ResponseUsageMeter on an event stream', () => {
  const whole = Buffer.from(CHUNKS.join(''));

  it('removes what include_usage added, whatever the chunk boundaries (inside UTF-8 sequences included)', () => {
    for (let cut = 1; cut < whole.length; cut += 1) {
      const { out, meter } = run([whole.subarray(0, cut), whole.subarray(cut)], true);
      expect(out).toBe(WITHOUT_USAGE);
      expect(meter.observation()).toMatchObject({ usage: { promptTokens: 7, completionTokens: 3 }, complete: true, malformedUsage: false });
    }
  });

  it('passes every chunk on untouched when nothing is to be removed', () => {
    const parts = CHUNKS.map((chunk) => Buffer.from(chunk));
    const meter = new ResponseUsageMeter(true, false);
    parts.forEach((part, i) => expect(meter.chunk(part, i, i === parts.length - 1)).toBeUndefined());
    expect(meter.observation().usage).toEqual({ promptTokens: 7, completionTokens: 3 });
  });

  it('says a stream without [DONE] is incomplete', () => {
    const { meter } = run([Buffer.from(CHUNKS[0]!)], false);
    expect(meter.observation().complete).toBe(false);
  });
});

describe('ResponseUsageMeter on a JSON body', () => {
  it('takes the usage from the tail of a body larger than what it keeps', () => {
    const body = Buffer.from(JSON.stringify({ choices: [{ message: { content: 'x'.repeat(300_000) } }], usage: { prompt_tokens: 5, completion_tokens: 75_000, total_tokens: 75_005 } }));
    const parts = Array.from({ length: Math.ceil(body.length / 16_384) }, (_, i) => body.subarray(i * 16_384, (i + 1) * 16_384));
    const { meter } = run(parts, false, false);
    expect(meter.observation()).toMatchObject({ usage: { promptTokens: 5, completionTokens: 75_000 }, complete: true });
  });

  it('calls a usage that is not token counts malformed, and "usage": null none', () => {
    expect(run([Buffer.from('{"choices":[],"usage":{"prompt_tokens":-1,"completion_tokens":2}}')], false, false).meter.observation().malformedUsage).toBe(true);
    expect(run([Buffer.from('{"choices":[],"usage":"lots"}')], false, false).meter.observation().malformedUsage).toBe(true);
    expect(run([Buffer.from('{"choices":[],"usage":null}')], false, false).meter.observation()).toMatchObject({ malformedUsage: false, usage: undefined });
  });
});
