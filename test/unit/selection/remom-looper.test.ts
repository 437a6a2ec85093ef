import type { SelectionCandidate } from '../../../src/selection/selection-algorithm.js';
import { distributeCalls } from '../../../src/selection/looper/remom-looper.js';
import { compileSynthesisTemplate } from '../../../src/selection/looper/synthesis-template.js';

function candidates(weights: (number | undefined)[]): SelectionCandidate[] {
  return weights.map((weight, i) => ({
    ref: { model: `m${i}`, useReasoning: false, ...(weight === undefined ? {} : { weight }) },
    target: { name: `m${i}` } as SelectionCandidate['target'],
    relativeCost: 0,
  }));
}

const tally = (calls: number[]) => calls.reduce<Record<number, number>>((counts, i) => ({ ...counts, [i]: (counts[i] ?? 0) + 1 }), {});

describe('remom call distribution', () => {
  it('weighted splits calls in proportion to modelRef weights, by largest remainder', () => {
    expect(tally(distributeCalls(10, candidates([3, 1, 1]), 'weighted', 42))).toEqual({ 0: 6, 1: 2, 2: 2 });
    expect(tally(distributeCalls(4, candidates([0.5, 0.3, 0.2]), 'weighted', 42))).toEqual({ 0: 2, 1: 1, 2: 1 });
    // A zero weight gets no call.
    expect(tally(distributeCalls(5, candidates([1, 0]), 'weighted', 42))).toEqual({ 0: 5 });
  });

  it('weighted without weights is equal; equal gives the remainder to the first modelRefs', () => {
    expect(tally(distributeCalls(5, candidates([undefined, undefined]), 'weighted', 42))).toEqual({ 0: 3, 1: 2 });
    expect(tally(distributeCalls(7, candidates([1, 1, 1]), 'equal', 42))).toEqual({ 0: 3, 1: 2, 2: 2 });
  });

  it('shuffles with the seed: the same seed gives the same order, another seed may not', () => {
    const list = candidates([undefined, undefined, undefined, undefined]);
    expect(distributeCalls(16, list, 'equal', 7)).toEqual(distributeCalls(16, list, 'equal', 7));
    expect(distributeCalls(16, list, 'equal', 7)).not.toEqual(distributeCalls(16, list, 'equal', 8));
  });

  it('round_robin cycles in modelRef order and first_only always takes the first', () => {
    expect(distributeCalls(5, candidates([1, 9]), 'round_robin', 42)).toEqual([0, 1, 0, 1, 0]);
    expect(distributeCalls(3, candidates([1, 9]), 'first_only', 42)).toEqual([0, 0, 0]);
  });
});

describe('remom synthesis templates (Go text/template subset)', () => {
  const data = {
    OriginalContent: 'What is 6x7?',
    ReferenceResponses: [
      { Content: '42', Reasoning: '6 sevens', Model: 'a' },
      { Content: '41', Reasoning: '', Model: '' },
    ],
  };

  it('renders ranges with index and element variables, add, if/else and trims', () => {
    const render = compileSynthesisTemplate('Q: {{.OriginalContent}}\n{{- range $i, $r := .ReferenceResponses}}\n#{{add $i 1}} {{if $r.Model}}[{{$r.Model}}]{{else}}[anon]{{end}} {{$r.Content}}{{if $r.Reasoning}} because {{$r.Reasoning}}{{end}}{{end}}');
    expect(render(data)).toBe('Q: What is 6x7?\n#1 [a] 42 because 6 sevens\n#2 [anon] 41');
  });

  it('renders a range that rebinds dot, and a single-variable range', () => {
    expect(compileSynthesisTemplate('{{range .ReferenceResponses}}<{{.Content}}>{{end}}')(data)).toBe('<42><41>');
    expect(compileSynthesisTemplate('{{range $r := .ReferenceResponses}}<{{$r.Model}}>{{end}}')(data)).toBe('<a><>');
    expect(compileSynthesisTemplate('{{/* a comment */}}x')(data)).toBe('x');
  });

  it('refuses what it does not understand when compiled, naming the action', () => {
    expect(() => compileSynthesisTemplate('{{.Question}}')).toThrow(/unknown field \.Question/);
    expect(() => compileSynthesisTemplate('{{range .ReferenceResponses}}x')).toThrow(/"\{\{range\}\}" without "\{\{end\}\}"/);
    expect(() => compileSynthesisTemplate('x{{end}}')).toThrow(/"\{\{end\}\}" without an opening action/);
    expect(() => compileSynthesisTemplate('{{printf "%s" .OriginalContent}}')).toThrow(/unsupported template action/);
    expect(() => compileSynthesisTemplate('{{.OriginalContent')).toThrow(/unclosed/);
  });
});
