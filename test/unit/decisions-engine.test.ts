import type { DecisionSpec, RuleNode } from '../../src/decisions/decision.js';
import { createDecisionEngine } from '../../src/decisions/engine.js';
import type { SignalId, SignalResult, SignalSet } from '../../src/signals/signal.js';

const leaf = (type: string, name: string): RuleNode => ({ kind: 'leaf', type, name });
const and = (...children: RuleNode[]): RuleNode => ({ kind: 'and', children });
const or = (...children: RuleNode[]): RuleNode => ({ kind: 'or', children });
const not = (child: RuleNode): RuleNode => ({ kind: 'not', child });

function decision(name: string, priority: number, rule: RuleNode): DecisionSpec {
  return { name, priority, rule, modelRefs: [{ model: `${name}-model`, useReasoning: false }], plugins: [] };
}

/** A signal set from `id -> confidence` (matched) and `id -> false` (evaluated, not matched). */
function signals(entries: Record<SignalId, number | false>): SignalSet {
  return new Map(
    Object.entries(entries).map(([id, value]): [SignalId, SignalResult] => {
      const [type, name] = id.split(':') as [string, string];
      return [id as SignalId, { type, name, matched: value !== false, confidence: value === false ? 0 : value }];
    }),
  );
}

describe('createDecisionEngine', () => {
  it('tries decisions by priority, highest first', () => {
    const engine = createDecisionEngine([
      decision('low', 1, leaf('keyword', 'a')),
      decision('high', 100, leaf('keyword', 'b')),
    ]);
    expect(engine.decide(signals({ 'keyword:a': 1, 'keyword:b': 1 }))?.decision.name).toBe('high');
    expect(engine.decide(signals({ 'keyword:a': 1, 'keyword:b': false }))?.decision.name).toBe('low');
    expect(engine.decide(signals({ 'keyword:a': false }))).toBeUndefined();
  });

  it('breaks priority ties by declaration order', () => {
    const engine = createDecisionEngine([
      decision('first', 5, leaf('keyword', 'a')),
      decision('second', 5, leaf('keyword', 'a')),
      decision('third', 5, leaf('keyword', 'a')),
    ]);
    expect(engine.decide(signals({ 'keyword:a': 1 }))?.decision.name).toBe('first');
  });

  it('matches an empty AND always, with confidence 1', () => {
    const engine = createDecisionEngine([decision('catch-all', 1, and())]);
    expect(engine.decide(new Map())).toEqual({ decision: expect.objectContaining({ name: 'catch-all' }), confidence: 1 });
  });

  it('never matches an empty OR', () => {
    expect(createDecisionEngine([decision('none', 1, or())]).decide(new Map())).toBeUndefined();
  });

  it.each([
    ['AND of matches: mean confidence', and(leaf('e', 'x'), leaf('e', 'y')), { 'e:x': 0.6, 'e:y': 0.9 }, 0.75],
    ['AND with a miss', and(leaf('e', 'x'), leaf('e', 'y')), { 'e:x': 0.6, 'e:y': false }, undefined],
    ['AND with a missing signal', and(leaf('e', 'x'), leaf('e', 'z')), { 'e:x': 0.6 }, undefined],
    ['OR: max of matching children', or(leaf('e', 'x'), leaf('e', 'y'), leaf('e', 'z')), { 'e:x': 0.6, 'e:y': 0.9, 'e:z': false }, 0.9],
    ['OR of misses', or(leaf('e', 'x'), leaf('e', 'y')), { 'e:x': false }, undefined],
    ['NOT of a miss: 1', not(leaf('e', 'x')), { 'e:x': false }, 1],
    ['NOT of an absent signal: 1', not(leaf('e', 'x')), {}, 1],
    ['NOT of a match', not(leaf('e', 'x')), { 'e:x': 0.4 }, undefined],
    ['leaf: its confidence', leaf('e', 'x'), { 'e:x': 0.42 }, 0.42],
    ['nested: AND(OR, NOT)', and(or(leaf('e', 'x'), leaf('e', 'y')), not(leaf('k', 'urgent'))), { 'e:x': 0.5, 'e:y': 0.7, 'k:urgent': false }, 0.85],
  ] as const)('%s', (_, rule, entries, expected) => {
    const outcome = createDecisionEngine([decision('d', 1, rule)]).decide(signals(entries));
    if (expected === undefined) expect(outcome).toBeUndefined();
    else expect(outcome?.confidence).toBeCloseTo(expected, 10);
  });

  it('rejects a NOT without its one condition, naming the decision', () => {
    const broken = { kind: 'not' } as unknown as RuleNode;
    expect(() => createDecisionEngine([decision('guard', 1, and(leaf('k', 'a'), broken))])).toThrow(
      /decisions\[0\] \(guard\): rule\/conditions\/1: NOT takes exactly one condition/,
    );
  });

  it('rejects an unknown rule kind', () => {
    const broken = { kind: 'xor', children: [] } as unknown as RuleNode;
    expect(() => createDecisionEngine([decision('odd', 1, broken)])).toThrow(/unknown rule kind "xor"/);
  });

  it('lists every leaf as a referenced signal', () => {
    const engine = createDecisionEngine([
      decision('a', 1, and(leaf('keyword', 'k1'), not(leaf('context', 'long')))),
      decision('b', 2, or(leaf('keyword', 'k1'), leaf('domain', 'math'))),
      decision('c', 3, and()),
    ]);
    expect([...engine.referencedSignals].sort()).toEqual(['context:long', 'domain:math', 'keyword:k1']);
  });

  it('keeps the decisions as declared', () => {
    const specs = [decision('a', 1, and()), decision('b', 9, and())];
    expect(createDecisionEngine(specs).decisions).toBe(specs);
  });
});
