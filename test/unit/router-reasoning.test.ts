import type { ReasoningFamily } from '../../src/config/runtime-config.js';
import { applyReasoning } from '../../src/router/reasoning.js';

const qwen3: ReasoningFamily = { name: 'qwen3', type: 'chat_template_kwargs', parameter: 'enable_thinking' };
const gptOss: ReasoningFamily = { name: 'gpt-oss', type: 'reasoning_effort', parameter: 'reasoning_effort' };
const on = { enabled: true, effort: 'high' };
const off = { enabled: false, effort: 'high' };

describe('applyReasoning', () => {
  it('leaves a body without family as is', () => {
    const body = { model: 'm', reasoning_effort: 'low', chat_template_kwargs: { a: 1 } };
    expect(applyReasoning(body, undefined, on)).toEqual(body);
  });

  it('sets chat_template_kwargs[parameter] and keeps the other kwargs', () => {
    expect(applyReasoning({ model: 'm', chat_template_kwargs: { a: 1 } }, qwen3, on)).toEqual({
      model: 'm',
      chat_template_kwargs: { a: 1, enable_thinking: true },
    });
    expect(applyReasoning({ model: 'm', chat_template_kwargs: { enable_thinking: true } }, qwen3, off)).toEqual({
      model: 'm',
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(applyReasoning({ model: 'm', chat_template_kwargs: 'junk' }, qwen3, on)).toEqual({ model: 'm', chat_template_kwargs: { enable_thinking: true } });
  });

  it('writes the routed effort at top level for reasoning_effort families, over the client value', () => {
    expect(applyReasoning({ model: 'm' }, gptOss, on)).toEqual({ model: 'm', reasoning_effort: 'high' });
    expect(applyReasoning({ model: 'm', reasoning_effort: 'low' }, gptOss, on)).toEqual({ model: 'm', reasoning_effort: 'high' });
  });

  it('keeps the client effort when reasoning is off, else asks for "low"', () => {
    expect(applyReasoning({ model: 'm', reasoning_effort: 'medium' }, gptOss, off)).toEqual({ model: 'm', reasoning_effort: 'medium' });
    expect(applyReasoning({ model: 'm' }, gptOss, off)).toEqual({ model: 'm', reasoning_effort: 'low' });
  });

  it('does not mutate its input', () => {
    const body = { model: 'm', chat_template_kwargs: { a: 1 } };
    applyReasoning(body, qwen3, on);
    expect(body).toEqual({ model: 'm', chat_template_kwargs: { a: 1 } });
  });
});
